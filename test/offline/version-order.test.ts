/**
 * The version order across an upgrade (docs/storage-layout.md): shard
 * databases, queue messages and offline files written before write
 * sequences and knowledge time existed keep working and keep their order.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { catalogDb } from "../../src/catalog";
import { dataKeyLookup } from "../../src/crypto/offline-objects";
import { compactOffline, DEFAULT_COMPACTION_POLICY } from "../../src/offline/compaction";
import { registerFiles } from "../../src/offline/manifest";
import { offlineTable, tableToParquet, type OfflineRowValues } from "../../src/offline/parquet";
import { dueBatches, sealOutbox } from "../../src/online/outbox";
import { CACHED_COPY_WINDOW_MS, migrateShard } from "../../src/online/shard-store";
import { eventKeyFromEpochMs } from "../../src/records";
import { api, at, createGroup, getRecord, putRecord } from "../helpers";
import { consumeWith, groupInfo, shardStub } from "./harness";
import { offlineRows } from "./support";

const columnsOf = (sql: SqlStorage, table: string) => sql.exec<{ name: string }>(`PRAGMA table_info(${table})`).toArray().map((c) => c.name);

describe("the version order across an upgrade", () => {
  it("adds write_sequence to a shard database from before it, sends old outbox rows at created_at × 1000, and lets a later put win over an old record", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    const { generation } = await groupInfo(group);
    const stub = shardStub(generation, 0);
    await putRecord(group, { id: "old", ts: at(5), age: 1 }, { targetStores: ["online"] });
    const createdAt = Date.UTC(2026, 0, 2);
    await runInDurableObject(stub, async (_instance, state) => {
      const sql = state.storage.sql;
      // The tables as shards created them before the column existed, holding a record and a waiting outbox row.
      sql.exec("ALTER TABLE records DROP COLUMN write_sequence");
      sql.exec("ALTER TABLE records DROP COLUMN cached_until");
      sql.exec("ALTER TABLE outbox DROP COLUMN write_sequence");
      sql.exec(
        "INSERT INTO outbox (kind, record_identifier, event_key, body, is_deleted, api_invocation_time, catalog_version, created_at) VALUES ('put', 'legacy', ?, ?, 0, ?, 1, ?)",
        eventKeyFromEpochMs(Date.parse(at(1))),
        JSON.stringify({ id: "legacy", ts: at(1), age: 3 }),
        createdAt - 5,
        createdAt,
      );
      const migratedAt = Date.now();
      migrateShard(sql, migratedAt);
      expect(columnsOf(sql, "records")).toContain("write_sequence");
      // Rows from before cached_until may have copies in colo caches: every put drops its copy for one more window.
      expect(columnsOf(sql, "records")).toContain("cached_until");
      expect(sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'any_cached_copy_until'").one().value).toBe(String(migratedAt + CACHED_COPY_WINDOW_MS));
      expect(columnsOf(sql, "outbox")).toContain("write_sequence");
      expect(sql.exec<{ write_sequence: number }>("SELECT write_sequence FROM records WHERE record_identifier = 'old'").one().write_sequence).toBe(0);
      sealOutbox(state.storage, { maxRows: 100, maxBytes: 1 << 20 }, Date.now());
      const rows = dueBatches(sql, Date.now(), 1_000, 10).flatMap((b) => b.rows);
      expect(rows.find((r) => r.recordIdentifier === "legacy")).toMatchObject({ writeSequence: createdAt * 1000, availableTimeMs: createdAt });
      // Running the migration again changes nothing.
      migrateShard(sql, migratedAt + 1);
      expect(sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'any_cached_copy_until'").one().value).toBe(String(migratedAt + CACHED_COPY_WINDOW_MS));
    });
    expect((await putRecord(group, { id: "old", ts: at(5), age: 2 }, { targetStores: ["online"] })).body.online).toBe("written");
    expect((await getRecord(group, "old")).body.record.age).toBe(2);
  });

  it("writes the rows of a queue message from before write sequences existed at the request's time", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    const { generation } = await groupInfo(group);
    const invokedAt = Date.UTC(2026, 0, 3, 4, 5, 6, 7);
    const message = {
      v: 1,
      batchId: `${generation}:0:9001`,
      generation,
      rows: [{ kind: "put", recordIdentifier: "m1", eventKey: eventKeyFromEpochMs(Date.parse(at(1))), body: JSON.stringify({ id: "m1", ts: at(1), age: 4 }), isDeleted: false, apiInvocationTimeMs: invokedAt, catalogVersion: 1 }],
    };
    const { report } = await consumeWith(env.DB, [message]);
    expect(report.acknowledged).toBe(1);
    const [row] = await offlineRows(group);
    expect(Number(row!.write_sequence)).toBe(invokedAt * 1000);
    expect(row!.available_time).toBe(invokedAt);
  });

  it("ranks rows of files without write_sequence by write_time, before and after compaction merges them with newer files", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    const { generation } = await groupInfo(group);
    const schema = (await api("GET", `/v1/feature-groups/${group}`)).body.features;
    const eventMs = Date.parse("2026-02-01T10:30:00Z");
    const version = (age: number, writeTimeMs: number, writeSequence: number): OfflineRowValues => ({
      values: { id: "k", ts: "2026-02-01T10:30:00Z", age },
      writeTimeMs,
      apiInvocationTimeMs: writeTimeMs,
      isDeleted: false,
      writeSequence,
      availableTimeMs: writeTimeMs,
    });
    const T = Date.UTC(2026, 1, 2);
    // Four files of one partition: two from before the columns existed, two after; the newest write wins.
    const files = [
      { rows: [version(1, T, 0)], legacy: true },
      { rows: [version(2, T + 1000, (T + 500) * 1000)], legacy: false },
      { rows: [version(3, T + 2000, 0)], legacy: true },
      { rows: [version(4, T + 3000, (T + 2500) * 1000)], legacy: false },
    ];
    const db = catalogDb(env.DB);
    const partition = "year=2026/month=02/day=01/hour=10";
    for (const [i, file] of files.entries()) {
      const table = offlineTable(schema, file.rows);
      const written = file.legacy ? table.select(table.schema.fields.map((f) => f.name).filter((n) => n !== "write_sequence" && n !== "available_time")) : table;
      const bytes = tableToParquet(written);
      const key = `offline-store/${group}/${generation}/data/${partition}/v${i}.parquet`;
      await env.OFFLINE_BUCKET.put(key, bytes);
      const writeTime = file.rows[0]!.writeTimeMs;
      await registerFiles(
        db,
        [{ key, generation, featureGroup: group, partition, rowCount: 1, byteSize: bytes.byteLength, minEventTime: eventMs, maxEventTime: eventMs, minWriteTime: writeTime, maxWriteTime: writeTime, schemaVersion: 1 }],
        [],
        Date.now(),
      );
    }
    const ages = async () => (await api("GET", `/v1/feature-groups/${group}/records/k/history`)).body.versions.map((v: { record: { age: number } }) => v.record.age);
    const latest = async () => (await api("GET", `/v1/feature-groups/${group}/as-of`)).body.records.map((r: { record: { age: number } }) => r.record.age);
    expect(await ages()).toEqual([1, 2, 3, 4]);
    expect(await latest()).toEqual([4]);
    const report = await compactOffline({ db, bucket: env.OFFLINE_BUCKET, location: env, now: Date.now(), keys: dataKeyLookup(db, env) }, { ...DEFAULT_COMPACTION_POLICY, minFiles: 4 });
    expect(report.merged.filter((m) => m.partition === partition)).toHaveLength(1);
    expect(await ages()).toEqual([1, 2, 3, 4]);
    expect(await latest()).toEqual([4]);
    // The merged file carries both columns, the old rows filled in from write_time.
    const merged = (await offlineRows(group)).map((r) => [r.age, Number(r.write_sequence), r.available_time]);
    expect(merged.sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual([
      [1n, T * 1000, T],
      [2n, (T + 500) * 1000, T + 1000],
      [3n, (T + 2000) * 1000, T + 2000],
      [4n, (T + 2500) * 1000, T + 3000],
    ]);
  });
});
