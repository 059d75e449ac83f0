import type { CatalogDb } from "../catalog";
import type { OfflineWriteKey } from "../crypto/offline-objects";
import { epochMsOfKey, type FeatureValue } from "../records";
import { fileKey, partitionOf, sha256Hex, type OfflineLocationConfig } from "./layout";
import { registeredBatches, registerFiles, type GenerationSchema, type ManifestFile } from "./manifest";
import { encodeParquet, type OfflineRowValues } from "./parquet";

/**
 * The offline half of a bulk request, written by the API worker itself: one
 * Parquet file per (request, hourly partition), registered in the manifest
 * with the same batch bookkeeping the queue consumer uses. This skips the
 * shard outbox, the queue and the consumer for rows that already arrive in
 * bulk (the measured bottleneck, see docs/benchmarks.md).
 *
 * Exactly once: the batch identity of each file is derived from the
 * request's idempotency key and the partition. A retry with the same key
 * finds its batches registered and writes nothing; two racing retries both
 * write the same R2 key (same name, same rows) and only one registration
 * commits, because registerFiles fails as a whole on a known batch.
 */
export interface BulkOfflineDeps {
  db: CatalogDb;
  bucket: R2Bucket;
  location: OfflineLocationConfig;
}

export interface BulkOfflineRow {
  eventKey: string;
  /** Canonical record JSON, as the online store keeps it. */
  body: string;
  /** The same values as objects, when the caller still has them (saves parsing the body again). */
  values?: Record<string, FeatureValue>;
}

export interface BulkOfflineResult {
  /** Rows this call wrote. */
  written: number;
  /** Rows an earlier request with the same idempotency key already wrote. */
  alreadyWritten: number;
  files: ManifestFile[];
}

/** Batch identities of bulk files; never collide with outbox batches ("<generation>:<shard>:<n>"). */
export function bulkBatchId(generation: string, keyDigest: string, partition: string): string {
  return `bulk:${generation}:${keyDigest}:${partition}`;
}

/** Groups rows by hourly partition, keeping input order within each. */
function byPartition(rows: readonly BulkOfflineRow[]): Map<string, BulkOfflineRow[]> {
  const groups = new Map<string, BulkOfflineRow[]>();
  for (const row of rows) {
    const partition = partitionOf(row.eventKey);
    const list = groups.get(partition);
    if (list) list.push(row);
    else groups.set(partition, [row]);
  }
  return groups;
}

/**
 * Writes the rows as Parquet and registers them, unless the idempotency key
 * already did. `keyDigest` identifies the request's content (see
 * ingest/idempotency.ts); `now` is the write_time of every row; `writeKey`
 * encrypts the objects of a group that encrypts its offline store (SSE-C,
 * the key version in the object's name, as the consumer writes them).
 */
export async function writeBulkOffline(
  deps: BulkOfflineDeps,
  schema: GenerationSchema,
  rows: readonly BulkOfflineRow[],
  opts: { keyDigest: string; apiInvocationTimeMs: number; now: number; writeKey: OfflineWriteKey },
): Promise<BulkOfflineResult> {
  const partitions = [...byPartition(rows)].map(([partition, list]) => ({ partition, rows: list, batchId: bulkBatchId(schema.generation, opts.keyDigest, partition) }));
  const known = await registeredBatches(deps.db, partitions.map((p) => p.batchId));
  const fresh = partitions.filter((p) => !known.has(p.batchId));
  const result: BulkOfflineResult = { written: 0, alreadyWritten: rows.length - fresh.reduce((n, p) => n + p.rows.length, 0), files: [] };
  if (fresh.length === 0) return result;

  const files = await Promise.all(
    fresh.map(async (p): Promise<ManifestFile> => {
      const values: OfflineRowValues[] = p.rows.map((r) => ({
        values: r.values ?? (JSON.parse(r.body) as Record<string, FeatureValue>),
        writeTimeMs: opts.now,
        apiInvocationTimeMs: opts.apiInvocationTimeMs,
        isDeleted: false,
      }));
      const bytes = encodeParquet(schema.features, values);
      const key = fileKey(deps.location, schema.featureGroup, schema.generation, p.partition, (await sha256Hex(p.batchId)).slice(0, 32) + opts.writeKey.nameSuffix);
      await deps.bucket.put(key, bytes, opts.writeKey.options);
      let minEvent = Infinity;
      let maxEvent = -Infinity;
      for (const r of p.rows) {
        const ms = epochMsOfKey(r.eventKey);
        if (ms < minEvent) minEvent = ms;
        if (ms > maxEvent) maxEvent = ms;
      }
      return {
        key,
        generation: schema.generation,
        featureGroup: schema.featureGroup,
        partition: p.partition,
        rowCount: p.rows.length,
        byteSize: bytes.byteLength,
        minEventTime: minEvent,
        maxEventTime: maxEvent,
        minWriteTime: opts.now,
        maxWriteTime: opts.now,
        schemaVersion: schema.catalogVersion,
      };
    }),
  );
  try {
    await registerFiles(deps.db, files, fresh.map((p) => ({ batchId: p.batchId, rowCount: p.rows.length })), opts.now);
  } catch (error) {
    // A racing retry with the same key registered first: its files hold the same rows.
    const now = await registeredBatches(deps.db, fresh.map((p) => p.batchId));
    if (fresh.every((p) => now.has(p.batchId))) return { ...result, alreadyWritten: rows.length };
    throw error;
  }
  return { ...result, written: rows.length - result.alreadyWritten, files };
}
