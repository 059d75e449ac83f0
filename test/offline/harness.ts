import { dataKeyLookup } from "../../src/crypto/offline-objects";
import { createExecutionContext, createMessageBatch, env, getQueueResult, runDurableObjectAlarm, runInDurableObject, type QueueResult } from "cloudflare:test";
import { Type, type Table, type Timestamp } from "apache-arrow";
import { catalogDb } from "../../src/catalog";
import type { Env } from "../../src/env";
import worker from "../../src/index";
import { consumeOfflineBatch, type ConsumeReport } from "../../src/offline/consumer";
import type { OfflineMessage } from "../../src/offline/message";
import { decodeParquet } from "../../src/offline/parquet";
import { shardName, type RecordShard } from "../../src/online";
import { api } from "../helpers";

/**
 * Offline-store test harness: capture what a shard sends to the queue, feed
 * the real consumer by hand (as the queue would, or again, as a redelivery
 * does), and read the manifest and R2 back as plain values.
 */

export const OFFLINE_QUEUE_NAME = "feature-store-offline";

export interface GroupInfo {
  generation: string;
  shardCount: number;
}

export async function groupInfo(group: string): Promise<GroupInfo> {
  const res = await api("GET", `/v1/feature-groups/${group}`);
  if (res.status !== 200) throw new Error(`describe ${group}: ${res.status} ${res.text}`);
  return { generation: res.body.generation, shardCount: res.body.shardCount };
}

export function shardStub(generation: string, index: number): DurableObjectStub<RecordShard> {
  return env.RECORD_SHARD.get(env.RECORD_SHARD.idFromName(shardName(generation, index)));
}

type ShardEnv = { env: Env & { [ORIGINAL_ENV]?: Env } };
const ORIGINAL_ENV = Symbol("original shard env");

/**
 * Replaces the OFFLINE_QUEUE a shard instance sends to (the instance's `env`
 * property); returns the queue it had. The rest of the env is untouched.
 */
export async function swapShardQueue(stub: DurableObjectStub<RecordShard>, queue: Queue<OfflineMessage>): Promise<Queue<OfflineMessage>> {
  return runInDurableObject(stub, (instance) => {
    const shard = instance as unknown as ShardEnv;
    const original = shard.env[ORIGINAL_ENV] ?? shard.env;
    const previous = shard.env.OFFLINE_QUEUE;
    shard.env = Object.assign(Object.create(original) as Env, { OFFLINE_QUEUE: queue, [ORIGINAL_ENV]: original });
    return previous;
  });
}

/** Puts the original env back on a shard instance. */
export async function restoreShardEnv(stub: DurableObjectStub<RecordShard>): Promise<void> {
  await runInDurableObject(stub, (instance) => {
    const shard = instance as unknown as ShardEnv;
    const original = shard.env[ORIGINAL_ENV];
    if (original) shard.env = original;
  });
}

/** A queue that keeps what it is sent, optionally failing or forwarding. */
export class RecordingQueue {
  readonly sent: OfflineMessage[] = [];
  readonly attempts: OfflineMessage[][] = [];
  constructor(private readonly behaviour: { fail?: boolean; forwardTo?: Queue<OfflineMessage> } = {}) {}

  async send(body: OfflineMessage): Promise<void> {
    await this.sendBatch([{ body }]);
  }

  async sendBatch(messages: Iterable<MessageSendRequest<OfflineMessage>>): Promise<void> {
    const bodies = [...messages].map((m) => structuredClone(m.body));
    this.attempts.push(bodies);
    if (this.behaviour.fail) throw new Error("injected: queue unavailable");
    if (this.behaviour.forwardTo) await this.behaviour.forwardTo.sendBatch(bodies.map((body) => ({ body, contentType: "json" })));
    this.sent.push(...bodies);
  }

  asQueue(): Queue<OfflineMessage> {
    return this as unknown as Queue<OfflineMessage>;
  }
}

/**
 * Drains every shard of a group into a recording queue instead of the real
 * one (the alarm runs as usual) and returns the messages, in send order.
 */
export async function captureDrain(group: string): Promise<OfflineMessage[]> {
  const { generation, shardCount } = await groupInfo(group);
  const recorder = new RecordingQueue();
  for (let i = 0; i < shardCount; i++) {
    const stub = shardStub(generation, i);
    await swapShardQueue(stub, recorder.asQueue());
    try {
      await runDurableObjectAlarm(stub);
    } finally {
      await restoreShardEnv(stub);
    }
  }
  return recorder.sent;
}

let messageCounter = 0;

export interface Delivery {
  batch: MessageBatch<unknown>;
  result: QueueResult;
  ids: string[];
}

/** Delivers messages to the worker's real queue handler, as the queue named `queue` would. */
export async function deliver(bodies: readonly unknown[], options: { queue?: string; attempts?: number; ids?: string[] } = {}): Promise<Delivery> {
  const ids = options.ids ?? bodies.map(() => `msg-${++messageCounter}`);
  const batch = createMessageBatch(
    options.queue ?? OFFLINE_QUEUE_NAME,
    bodies.map((body, i) => ({ id: ids[i]!, timestamp: new Date(), attempts: options.attempts ?? 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  return { batch, result: await getQueueResult(batch, ctx), ids };
}

/** Calls the consumer directly with the given D1 (e.g. one with an injected failure). */
export async function consumeWith(d1: D1Database, bodies: readonly unknown[], options: { attempts?: number; ids?: string[] } = {}): Promise<{ report: ConsumeReport; result: QueueResult; ids: string[] }> {
  const ids = options.ids ?? bodies.map(() => `msg-${++messageCounter}`);
  const batch = createMessageBatch(
    OFFLINE_QUEUE_NAME,
    bodies.map((body, i) => ({ id: ids[i]!, timestamp: new Date(), attempts: options.attempts ?? 1, body })),
  );
  const report = await consumeOfflineBatch(batch, { db: catalogDb(d1), bucket: env.OFFLINE_BUCKET, location: env, now: Date.now, keys: dataKeyLookup(catalogDb(d1), env) });
  return { report, result: await getQueueResult(batch, createExecutionContext()), ids };
}

/** A D1 binding whose `batch` throws the first `times` calls, everything else passed through to the real database. */
export function d1FailingBatch(db: D1Database, times = 1): { db: D1Database; failures: () => number } {
  let failures = 0;
  const wrapped = new Proxy(db, {
    get(target, prop) {
      if (prop === "batch") {
        return async (statements: D1PreparedStatement[]) => {
          if (failures < times) {
            failures += 1;
            throw new Error("injected: D1 batch failed");
          }
          return target.batch(statements);
        };
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { db: wrapped, failures: () => failures };
}

export interface FileRow {
  key: string;
  generation: string;
  feature_group: string;
  partition: string;
  row_count: number;
  byte_size: number;
  min_event_time: number;
  max_event_time: number;
  min_write_time: number;
  max_write_time: number;
  schema_version: number;
  state: string;
  created_at: number;
  replaced_at: number | null;
}

export async function manifestFiles(group: string): Promise<FileRow[]> {
  return (await env.DB.prepare("SELECT * FROM offline_files WHERE feature_group = ? ORDER BY partition, key").bind(group).all<FileRow>()).results;
}

export async function activeFiles(group: string): Promise<FileRow[]> {
  return (await manifestFiles(group)).filter((f) => f.state === "active");
}

export async function registeredBatchIds(generation: string): Promise<{ batch_id: string; row_count: number }[]> {
  return (
    await env.DB.prepare("SELECT batch_id, row_count FROM offline_batches WHERE batch_id LIKE ? ORDER BY batch_id").bind(`${generation}:%`).all<{ batch_id: string; row_count: number }>()
  ).results;
}

/** Every key under a prefix of the offline bucket. */
export async function bucketKeys(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.OFFLINE_BUCKET.list({ prefix, ...(cursor ? { cursor } : {}) });
    keys.push(...page.objects.map((o) => o.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return keys.sort();
}

export function dataPrefixOf(group: string, generation: string): string {
  return `${env.OFFLINE_PREFIX ?? "offline-store"}/${group}/${generation}/data/`;
}

/** A plain row: int64 as a number when safe (else a decimal string), lists as arrays, timestamps as epoch ms. */
export type PlainRow = Record<string, unknown>;

function plain(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Date) return value.getTime();
  if (typeof value === "object" && Symbol.iterator in value && typeof value !== "string") return Array.from(value as Iterable<unknown>, plain);
  return value;
}

export interface DecodedFile {
  table: Table;
  columns: string[];
  rows: PlainRow[];
}

export function decodeRows(table: Table): PlainRow[] {
  const rows: PlainRow[] = [];
  for (let i = 0; i < table.numRows; i++) {
    const row: PlainRow = {};
    for (const field of table.schema.fields) row[field.name] = plain(table.getChild(field.name)!.get(i));
    rows.push(row);
  }
  return rows;
}

export async function readObject(key: string): Promise<DecodedFile> {
  const object = await env.OFFLINE_BUCKET.get(key);
  if (!object) throw new Error(`no object ${key}`);
  const table = decodeParquet(new Uint8Array(await object.arrayBuffer()));
  return { table, columns: table.schema.fields.map((f) => f.name), rows: decodeRows(table) };
}

/** Rows of every active manifest file of a group. */
export async function activeRows(group: string): Promise<PlainRow[]> {
  const rows: PlainRow[] = [];
  for (const file of await activeFiles(group)) rows.push(...(await readObject(file.key)).rows);
  return rows;
}

/** Rows as a sorted list of canonical JSON texts: equal lists are equal multisets. */
export function multiset(rows: readonly PlainRow[]): string[] {
  return rows.map((r) => JSON.stringify(Object.keys(r).sort().map((k) => [k, r[k]]))).sort();
}

/** Whether a column is a UTC millisecond timestamp. */
export function isUtcMillisTimestamp(table: Table, column: string): boolean {
  const field = table.schema.fields.find((f) => f.name === column);
  if (!field || field.type.typeId !== Type.Timestamp) return false;
  const type = field.type as Timestamp;
  return type.unit === 1 && (type.timezone === "UTC" || type.timezone === "+00:00");
}

/** Polls until `check` returns a value that is not undefined, or the deadline passes (then returns undefined). */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 20_000, everyMs = 200): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Waits until the group's active manifest rows reach `rows`; returns the files then (or when time runs out). */
export async function waitForManifestRows(group: string, rows: number, timeoutMs = 20_000): Promise<FileRow[]> {
  let last: FileRow[] = [];
  await eventually(async () => {
    last = await activeFiles(group);
    return last.reduce((n, f) => n + f.row_count, 0) >= rows ? true : undefined;
  }, timeoutMs);
  return last;
}

/** What a shard still owes the offline store, read inside the object. */
export async function shardOutbox(stub: DurableObjectStub<RecordShard>): Promise<{ rows: number; batches: { batch: number; attempts: number }[]; alarm: number | null }> {
  return runInDurableObject(stub, async (_instance, state) => ({
    rows: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n,
    batches: state.storage.sql.exec<{ batch: number; attempts: number }>("SELECT batch, attempts FROM outbox_batches ORDER BY batch").toArray(),
    alarm: await state.storage.getAlarm(),
  }));
}

/**
 * Fires the shard's alarm until its outbox is empty: every batch sent,
 * registered in the manifest and confirmed. Answers the outbox then, or
 * undefined when the deadline passes first.
 */
export async function confirmOutbox(stub: DurableObjectStub<RecordShard>, timeoutMs = 20_000): Promise<Awaited<ReturnType<typeof shardOutbox>> | undefined> {
  return eventually(async () => {
    await runDurableObjectAlarm(stub);
    const outbox = await shardOutbox(stub);
    return outbox.rows === 0 ? outbox : undefined;
  }, timeoutMs);
}
