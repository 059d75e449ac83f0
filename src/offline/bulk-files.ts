import type { CatalogDb } from "../catalog";
import type { OfflineWriteKey } from "../crypto/offline-objects";
import { availableTimeMs, bulkSequence, epochMsOfKey, type Availability, type FeatureValue } from "../records";
import { fileKey, partitionOf, sha256Hex, type OfflineLocationConfig } from "./layout";
import { registeredBatchTimes, registerFiles, type GenerationSchema, type ManifestFile } from "./manifest";
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
 *
 * Version order: row n of the request (body order) gets the write sequence
 * bulkSequence(accepted, n), where `accepted` is when its files were
 * registered; a retry takes the instant of the first registration, so its
 * rows (and the online rows the caller sends with the same stamps) keep
 * the order they were given the first time.
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
  /** When the rows were accepted (registered), epoch ms: the base of their write sequences. */
  acceptedMs: number;
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

/** Positions of the rows by hourly partition, keeping input order within each. */
function byPartition(rows: readonly BulkOfflineRow[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  rows.forEach((row, n) => {
    const partition = partitionOf(row.eventKey);
    const list = groups.get(partition);
    if (list) list.push(n);
    else groups.set(partition, [n]);
  });
  return groups;
}

/**
 * Writes the rows as Parquet and registers them, unless the idempotency key
 * already did. `keyDigest` identifies the request's content (see
 * ingest/idempotency.ts); `now` is the write_time of every row (and, on a
 * first attempt, the instant the rows are accepted); `availability` gives
 * each row's knowledge time; `writeKey` encrypts the objects of a group
 * that encrypts its offline store (SSE-C, the key version in the object's
 * name, as the consumer writes them).
 */
export async function writeBulkOffline(
  deps: BulkOfflineDeps,
  schema: GenerationSchema,
  rows: readonly BulkOfflineRow[],
  opts: { keyDigest: string; apiInvocationTimeMs: number; now: number; writeKey: OfflineWriteKey; availability: Availability },
): Promise<BulkOfflineResult> {
  const partitions = [...byPartition(rows)].map(([partition, positions]) => ({ partition, positions, batchId: bulkBatchId(schema.generation, opts.keyDigest, partition) }));
  const known = await registeredBatchTimes(deps.db, partitions.map((p) => p.batchId));
  const acceptedMs = known.size > 0 ? Math.min(...known.values()) : opts.now;
  const fresh = partitions.filter((p) => !known.has(p.batchId));
  const result: BulkOfflineResult = { acceptedMs, written: 0, alreadyWritten: rows.length - fresh.reduce((n, p) => n + p.positions.length, 0), files: [] };
  if (fresh.length === 0) return result;

  const files = await Promise.all(
    fresh.map(async (p): Promise<ManifestFile> => {
      const values: OfflineRowValues[] = p.positions.map((n) => {
        const r = rows[n]!;
        return {
          values: r.values ?? (JSON.parse(r.body) as Record<string, FeatureValue>),
          writeTimeMs: opts.now,
          apiInvocationTimeMs: opts.apiInvocationTimeMs,
          isDeleted: false,
          writeSequence: bulkSequence(acceptedMs, n),
          availableTimeMs: availableTimeMs(opts.availability, epochMsOfKey(r.eventKey), acceptedMs),
        };
      });
      const bytes = encodeParquet(schema.features, values);
      const key = fileKey(deps.location, schema.featureGroup, schema.generation, p.partition, (await sha256Hex(p.batchId)).slice(0, 32) + opts.writeKey.nameSuffix);
      await deps.bucket.put(key, bytes, opts.writeKey.options);
      let minEvent = Infinity;
      let maxEvent = -Infinity;
      for (const n of p.positions) {
        const ms = epochMsOfKey(rows[n]!.eventKey);
        if (ms < minEvent) minEvent = ms;
        if (ms > maxEvent) maxEvent = ms;
      }
      return {
        key,
        generation: schema.generation,
        featureGroup: schema.featureGroup,
        partition: p.partition,
        rowCount: p.positions.length,
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
    await registerFiles(deps.db, files, fresh.map((p) => ({ batchId: p.batchId, rowCount: p.positions.length })), opts.now);
  } catch (error) {
    // A racing retry with the same key registered first: its files hold the same rows.
    const now = await registeredBatchTimes(deps.db, fresh.map((p) => p.batchId));
    if (fresh.every((p) => now.has(p.batchId))) return { ...result, acceptedMs: Math.min(...now.values()), alreadyWritten: rows.length };
    throw error;
  }
  return { ...result, written: rows.length - result.alreadyWritten, files };
}
