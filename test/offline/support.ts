import { env, runDurableObjectAlarm } from "cloudflare:test";
import { shardName } from "../../src/online";
import { decodeParquet } from "../../src/offline/parquet";
import { api } from "../helpers";
import { confirmOutbox } from "./harness";

/** Fires every shard's alarm of a group, so outboxes drain now instead of after the flush delay. */
export async function drainShards(group: string): Promise<void> {
  const { generation, shardCount } = (await api("GET", `/v1/feature-groups/${group}`)).body as { generation: string; shardCount: number };
  for (let i = 0; i < shardCount; i++) {
    await runDurableObjectAlarm(env.RECORD_SHARD.get(env.RECORD_SHARD.idFromName(shardName(generation, i))));
  }
}

export interface ManifestRow {
  key: string;
  partition: string;
  row_count: number;
  state: string;
}

export async function manifest(group: string): Promise<ManifestRow[]> {
  return (await env.DB.prepare("SELECT key, partition, row_count, state FROM offline_files WHERE feature_group = ? ORDER BY key").bind(group).all<ManifestRow>()).results;
}

/** Waits until the manifest holds `rows` active rows for the group (the queue delivers within its batch timeout). */
export async function waitForOfflineRows(group: string, rows: number, timeoutMs = 20_000): Promise<ManifestRow[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const files = (await manifest(group)).filter((f) => f.state === "active");
    const total = files.reduce((sum, f) => sum + f.row_count, 0);
    if (total >= rows || Date.now() > deadline) return files;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export type OfflineRecord = Record<string, unknown>;

/** Reads every active file of a group back from R2 as plain rows. */
export async function offlineRows(group: string): Promise<OfflineRecord[]> {
  const rows: OfflineRecord[] = [];
  for (const file of (await manifest(group)).filter((f) => f.state === "active")) {
    const object = await env.OFFLINE_BUCKET.get(file.key);
    if (!object) throw new Error(`manifest names a missing object ${file.key}`);
    const table = decodeParquet(new Uint8Array(await object.arrayBuffer()));
    for (const row of table) rows.push(row.toJSON() as OfflineRecord);
  }
  return rows;
}

/**
 * Drains every shard, waits until the offline store holds `rows` rows, then
 * until every shard has confirmed its sent batches and emptied its outbox
 * (so nothing in the shards changes afterwards).
 */
export async function settle(group: string, rows: number): Promise<void> {
  await drainShards(group);
  await waitForOfflineRows(group, rows);
  const { generation, shardCount } = (await api("GET", `/v1/feature-groups/${group}`)).body as { generation: string; shardCount: number };
  for (let i = 0; i < shardCount; i++) {
    const outbox = await confirmOutbox(env.RECORD_SHARD.get(env.RECORD_SHARD.idFromName(shardName(generation, i))));
    if (!outbox) throw new Error(`shard ${i} of ${group} kept rows in its outbox`);
  }
}
