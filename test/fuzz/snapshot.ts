import { env, runInDurableObject } from "cloudflare:test";
import { shardName } from "../../src/online";

/**
 * Everything a request could change, as plain comparable data: every D1
 * table (all rows), every table of every record shard of the given groups
 * (records, outbox, outbox batches, meta) and its alarm, and the R2 listing
 * (key, size, etag). The queue's delivered state is the consumer's D1 rows
 * (offline_batches, offline_files, dead letters) plus the shards' outboxes.
 */
export interface StoreSnapshot {
  d1: Record<string, unknown[]>;
  /**
   * The audit log grows by design (an audited action records its failures
   * too), so it is compared by what no rejected request may add: entries of
   * changes that were allowed and went through.
   */
  auditedChanges: number;
  shards: Record<string, { tables: Record<string, unknown[]>; alarm: number | null }>;
  r2: { key: string; size: number; etag: string }[];
}

/** Internal bookkeeping tables of the platforms, not ours. */
const PLATFORM_TABLE = /^(_cf_|sqlite_|d1_migrations$)/;
const AUDIT_TABLE = "audit_log";

async function d1Tables(): Promise<Record<string, unknown[]>> {
  const tables = (await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all<{ name: string }>()).results.map((t) => t.name).filter((n) => !PLATFORM_TABLE.test(n) && n !== AUDIT_TABLE);
  const out: Record<string, unknown[]> = {};
  for (const table of tables) {
    const rows = (await env.DB.prepare(`SELECT * FROM "${table.replaceAll('"', '""')}"`).all()).results;
    out[table] = rows.map((row) => JSON.stringify(row)).sort();
  }
  return out;
}

async function shardState(name: string) {
  const stub = env.RECORD_SHARD.get(env.RECORD_SHARD.idFromName(name));
  return runInDurableObject(stub, async (_instance, state) => {
    const sql = state.storage.sql;
    const tables: Record<string, unknown[]> = {};
    for (const { name: table } of sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").toArray()) {
      if (PLATFORM_TABLE.test(table)) continue;
      tables[table] = sql
        .exec(`SELECT * FROM "${table.replaceAll('"', '""')}"`)
        .toArray()
        .map((row) => JSON.stringify(row))
        .sort();
    }
    return { tables, alarm: await state.storage.getAlarm() };
  });
}

async function r2Listing(): Promise<StoreSnapshot["r2"]> {
  const out: StoreSnapshot["r2"] = [];
  for (const [name, bucket] of [["offline", env.OFFLINE_BUCKET], ["ingest", env.INGEST_BUCKET]] as const) {
    let cursor: string | undefined;
    do {
      const page = await bucket.list({ ...(cursor ? { cursor } : {}) });
      out.push(...page.objects.map((o) => ({ key: `${name}:${o.key}`, size: o.size, etag: o.etag })));
      cursor = page.truncated ? page.cursor : undefined;
    } while (cursor);
  }
  return out.sort((a, b) => a.key.localeCompare(b.key));
}

export async function snapshotStores(groups: readonly { generation: string; shardCount: number }[]): Promise<StoreSnapshot> {
  const shards: StoreSnapshot["shards"] = {};
  for (const { generation, shardCount } of groups) {
    for (let i = 0; i < shardCount; i++) shards[shardName(generation, i)] = await shardState(shardName(generation, i));
  }
  const audited = await env.DB.prepare(`SELECT count(*) AS n FROM ${AUDIT_TABLE} WHERE result = 'allowed'`).first<{ n: number }>();
  return { d1: await d1Tables(), auditedChanges: audited?.n ?? 0, shards, r2: await r2Listing() };
}
