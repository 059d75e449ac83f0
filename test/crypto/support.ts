import type { CatalogDb } from "../../src/catalog";
import type { DataKeyLookup } from "../../src/crypto/offline-objects";
import type { Result } from "../../src/failure";
import { eventTypeOf, newStats, planScan, scanRowGroups, versionAt } from "../../src/query/offline-reader";
import type { RecordVersion } from "../../src/query/versions";
import { runInDurableObject } from "cloudflare:test";
import type { RecordShard } from "../../src/online";
import { api, uniqueName } from "../helpers";

/** Helpers for the encryption-at-rest tests. */

export interface EncryptedGroupOptions {
  online?: boolean;
  offline?: boolean;
  offlineStore?: boolean;
  ttl?: { unit: string; value: number };
  shardCount?: number;
}

/** Creates a group with an identifier `id`, event time `ts`, and features age, city, tags (String List). */
export async function createEncryptedGroup(options: EncryptedGroupOptions = {}): Promise<{ name: string; generation: string; body: any }> {
  const name = uniqueName("enc");
  const res = await api("POST", "/v1/feature-groups", {
    name,
    recordIdentifierFeature: "id",
    eventTimeFeature: "ts",
    features: [
      { name: "id", type: "String" },
      { name: "ts", type: "String" },
      { name: "age", type: "Integral" },
      { name: "city", type: "String" },
    ],
    onlineStore: { enabled: true, ...(options.ttl ? { ttl: options.ttl } : {}) },
    offlineStore: { enabled: options.offlineStore ?? options.offline ?? false },
    encryption: { online: options.online ?? true, offline: options.offline ?? false },
    shardCount: options.shardCount ?? 1,
  });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.text}`);
  return { name, generation: res.body.generation, body: res.body };
}

export interface StoredRows {
  records: { record_identifier: string; body: string | null }[];
  outbox: { record_identifier: string; body: string }[];
}

/** Every record and outbox row exactly as the shard's SQLite holds it. */
export function storedRows(stub: DurableObjectStub<RecordShard>): Promise<StoredRows> {
  return runInDurableObject(stub, (_instance, state) => ({
    records: state.storage.sql.exec<{ record_identifier: string; body: string | null }>("SELECT record_identifier, body FROM records ORDER BY record_identifier").toArray(),
    outbox: state.storage.sql.exec<{ record_identifier: string; body: string }>("SELECT record_identifier, body FROM outbox ORDER BY seq").toArray(),
  }));
}

/** Every table of the shard's SQLite dumped as text, to search for plaintext anywhere. */
export function shardDump(stub: DurableObjectStub<RecordShard>): Promise<string> {
  return runInDurableObject(stub, (_instance, state) => {
    const sql = state.storage.sql;
    const tables = sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'").toArray();
    return tables.map((t) => JSON.stringify(sql.exec(`SELECT * FROM "${t.name}"`).toArray())).join("\n");
  });
}

/** Every version of a generation in the offline store, read as the query worker reads (manifest, SSE-C keys, row groups). */
export async function readAllVersions(db: CatalogDb, bucket: R2Bucket, keys: DataKeyLookup, generation: string): Promise<Result<RecordVersion[]>> {
  const planned = await planScan(db, keys, generation, generation, {});
  if (!planned.ok) return planned;
  const plan = planned.value;
  const versions: RecordVersion[] = [];
  for await (const rows of scanRowGroups(bucket, plan, {}, newStats(plan))) {
    for (let i = 0; i < rows.count; i++) {
      const version = versionAt(rows, i, plan.schema, eventTypeOf(plan.schema));
      if (version) versions.push(version);
    }
  }
  return { ok: true, value: versions };
}
