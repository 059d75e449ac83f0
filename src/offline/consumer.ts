import type { CatalogDb } from "../catalog";
import type { GroupDataKeys } from "../crypto/data-keys";
import { offlineWriteKey, type DataKeyLookup } from "../crypto/offline-objects";
import { importValueKeys, openValue, recordContext, type ValueKeys } from "../crypto/values";
import { epochMsOfKey } from "../records";
import { fileKey, partitionOf, sha256Hex, type OfflineLocationConfig } from "./layout";
import { generationSchema, registeredBatches, registerFiles, type GenerationSchema, type ManifestFile } from "./manifest";
import { parseOfflineMessage, parseOfflineRows, type OfflineMessage, type OfflineRow } from "./message";
import { encodeParquet, type OfflineRowValues } from "./parquet";
import { offlineValues } from "./rows";

/**
 * The queue consumer that writes the offline store. Delivery is
 * at-least-once, so: batches already in the manifest are acknowledged
 * without work; file names derive from the batch identities they hold (a
 * rewrite lands on the same key); files and batch identities enter the
 * manifest in one transaction. An object written before a crash but never
 * registered is invisible to readers (they go through the manifest) and is
 * rewritten or swept by housekeeping.
 */
export interface ConsumerDeps {
  db: CatalogDb;
  bucket: R2Bucket;
  location: OfflineLocationConfig;
  now: () => number;
  /** Data keys of encrypted groups: online ones open outbox rows, offline ones encrypt the objects (SSE-C). */
  keys: DataKeyLookup;
}

export interface ConsumeReport {
  acknowledged: number;
  alreadyRegistered: number;
  retried: number;
  files: ManifestFile[];
}

interface Delivered {
  message: Message<unknown>;
  body: OfflineMessage;
  rows: OfflineRow[];
}

async function loadRows(bucket: R2Bucket, body: OfflineMessage): Promise<OfflineRow[] | null> {
  if (body.rows) return body.rows;
  const object = await bucket.get(body.staged!);
  if (!object) return null;
  const rows = parseOfflineRows(await object.json(), "staged");
  return rows.ok ? rows.value : null;
}

export async function consumeOfflineBatch(batch: MessageBatch<unknown>, deps: ConsumerDeps): Promise<ConsumeReport> {
  const report: ConsumeReport = { acknowledged: 0, alreadyRegistered: 0, retried: 0, files: [] };
  const parsed: { message: Message<unknown>; body: OfflineMessage }[] = [];
  for (const message of batch.messages) {
    const body = parseOfflineMessage(message.body);
    if (body.ok) parsed.push({ message, body: body.value });
    else {
      // Never produced by our shards: retried until the dead-letter queue keeps it.
      console.error("malformed offline message", { id: message.id, failure: body.failure });
      message.retry();
      report.retried += 1;
    }
  }
  const registered = await registeredBatches(deps.db, parsed.map((p) => p.body.batchId));
  const fresh: Delivered[] = [];
  const seen = new Set<string>();
  for (const { message, body } of parsed) {
    if (registered.has(body.batchId) || seen.has(body.batchId)) {
      message.ack();
      report.alreadyRegistered += 1;
      continue;
    }
    const rows = await loadRows(deps.bucket, body);
    if (!rows) {
      console.error("staged offline batch is missing", { batchId: body.batchId });
      message.retry();
      report.retried += 1;
      continue;
    }
    seen.add(body.batchId);
    fresh.push({ message, body, rows });
  }
  if (fresh.length === 0) return report;

  try {
    report.files = await writeFiles(fresh, deps);
  } catch (error) {
    console.error("offline write failed; the batch will be redelivered", { error: String(error) });
    for (const { message } of fresh) message.retry();
    report.retried += fresh.length;
    return report;
  }
  for (const { message, body } of fresh) {
    message.ack();
    if (body.staged) await deps.bucket.delete(body.staged);
  }
  report.acknowledged += fresh.length;
  return report;
}

async function writeFiles(fresh: readonly Delivered[], deps: ConsumerDeps): Promise<ManifestFile[]> {
  const writeTime = deps.now();
  const schemas = new Map<string, GenerationSchema>();
  const keysOf = new Map<string, GroupDataKeys>();
  const onlineKeysOf = new Map<string, ValueKeys>();
  // (generation, partition) → rows and the batches that fed them.
  const groups = new Map<string, { schema: GenerationSchema; partition: string; rows: OfflineRowValues[]; eventMs: number[]; catalogVersion: number; batches: Set<string> }>();
  for (const { body, rows } of fresh) {
    let schema = schemas.get(body.generation);
    if (!schema) {
      const loaded = await generationSchema(deps.db, body.generation);
      if (!loaded) throw new Error(`unknown generation ${body.generation}`);
      schema = loaded;
      schemas.set(body.generation, schema);
      const keys = orThrowKeys(await deps.keys(body.generation));
      keysOf.set(body.generation, keys);
      if (keys.online) onlineKeysOf.set(body.generation, await importValueKeys(keys.online));
    }
    const onlineKeys = onlineKeysOf.get(body.generation) ?? null;
    for (const sealed of rows) {
      const row = await openedRow(onlineKeys, body.generation, sealed);
      const partition = partitionOf(row.eventKey);
      const id = `${body.generation}/${partition}`;
      let group = groups.get(id);
      if (!group) {
        group = { schema, partition, rows: [], eventMs: [], catalogVersion: 0, batches: new Set() };
        groups.set(id, group);
      }
      group.rows.push(offlineValues(schema, row, writeTime));
      group.eventMs.push(epochMsOfKey(row.eventKey));
      group.catalogVersion = Math.max(group.catalogVersion, row.catalogVersion);
      group.batches.add(body.batchId);
    }
  }

  const files: ManifestFile[] = [];
  for (const group of groups.values()) {
    const writeKey = offlineWriteKey(keysOf.get(group.schema.generation)!);
    const name = (await sha256Hex([group.partition, ...[...group.batches].sort()].join("\n"))).slice(0, 32) + writeKey.nameSuffix;
    const key = fileKey(deps.location, group.schema.featureGroup, group.schema.generation, group.partition, name);
    const bytes = encodeParquet(group.schema.features, group.rows);
    await deps.bucket.put(key, bytes, writeKey.options);
    files.push({
      key,
      generation: group.schema.generation,
      featureGroup: group.schema.featureGroup,
      partition: group.partition,
      rowCount: group.rows.length,
      byteSize: bytes.byteLength,
      minEventTime: group.eventMs.reduce((a, b) => Math.min(a, b)),
      maxEventTime: group.eventMs.reduce((a, b) => Math.max(a, b)),
      minWriteTime: writeTime,
      maxWriteTime: writeTime,
      schemaVersion: Math.max(group.catalogVersion, group.schema.catalogVersion),
    });
  }
  await registerFiles(deps.db, files, fresh.map(({ body, rows }) => ({ batchId: body.batchId, rowCount: rows.length })), writeTime);
  return files;
}

/** Keys that cannot be loaded fail the write: the batch is redelivered (and dead-lettered if it never succeeds). */
function orThrowKeys(keys: Awaited<ReturnType<DataKeyLookup>>): GroupDataKeys {
  if (keys.ok) return keys.value;
  throw new Error(keys.failure.reason === "unavailable" ? keys.failure.detail : keys.failure.reason);
}

/** An outbox row with its record opened (rows of encrypted groups travel sealed with the online data key). */
async function openedRow(keys: ValueKeys | null, generation: string, row: OfflineRow): Promise<OfflineRow> {
  const body = await openValue(keys, row.body, recordContext(generation, row.recordIdentifier));
  if (!body.ok) throw new Error(body.failure.reason === "unavailable" ? body.failure.detail : body.failure.reason);
  return body.value === row.body ? row : { ...row, body: body.value };
}
