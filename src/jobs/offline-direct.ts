import type { CatalogDb } from "../catalog";
import { fileKey, partitionOf, sha256Hex, type OfflineLocationConfig } from "../offline/layout";
import { generationSchema, registeredBatches, registerFiles, type ManifestFile } from "../offline/manifest";
import { encodeParquet, type OfflineRowValues } from "../offline/parquet";
import { epochMsOfKey, type CanonicalRecord, type FeatureValue } from "../records";

/**
 * Offline-only ingestion: validated records go straight into the offline
 * store as Parquet, registered in the manifest exactly as the queue consumer
 * registers its files (same columns, partitions, key scheme and manifest
 * fields), so readers cannot tell them apart. No shard, no outbox, no queue.
 *
 * Exactly once per source object version: the file set is registered under a
 * batch id derived from (job, key, etag) in the same D1 transaction as the
 * files, so a repeat finds the batch and writes nothing; object names derive
 * from the batch id, so a rewrite after a crash lands on the same keys.
 */
export interface OfflineDirectDeps {
  db: CatalogDb;
  bucket: R2Bucket;
  location: OfflineLocationConfig;
}

export interface SourceVersion {
  jobId: string;
  objectKey: string;
  etag: string;
}

export async function offlineBatchId(source: SourceVersion): Promise<string> {
  return `job:${source.jobId}:${(await sha256Hex(`${source.objectKey}\n${source.etag}`)).slice(0, 32)}`;
}

/** Writes records of one group generation to the offline store; returns the files registered (none when already done). */
export async function writeOfflineDirect(deps: OfflineDirectDeps, generation: string, records: readonly CanonicalRecord[], source: SourceVersion, now: number): Promise<ManifestFile[]> {
  const batchId = await offlineBatchId(source);
  if ((await registeredBatches(deps.db, [batchId])).has(batchId)) return [];
  const schema = await generationSchema(deps.db, generation);
  if (!schema) throw new Error(`unknown generation ${generation}`);

  const partitions = new Map<string, { rows: OfflineRowValues[]; eventMs: number[] }>();
  for (const record of records) {
    const partition = partitionOf(record.eventKey);
    let part = partitions.get(partition);
    if (!part) {
      part = { rows: [], eventMs: [] };
      partitions.set(partition, part);
    }
    part.rows.push({ values: JSON.parse(record.body) as Record<string, FeatureValue>, writeTimeMs: now, apiInvocationTimeMs: now, isDeleted: false });
    part.eventMs.push(epochMsOfKey(record.eventKey));
  }

  const files: ManifestFile[] = [];
  for (const [partition, part] of partitions) {
    const name = (await sha256Hex(`${partition}\n${batchId}`)).slice(0, 32);
    const key = fileKey(deps.location, schema.featureGroup, generation, partition, name);
    const bytes = encodeParquet(schema.features, part.rows);
    await deps.bucket.put(key, bytes);
    files.push({
      key,
      generation,
      featureGroup: schema.featureGroup,
      partition,
      rowCount: part.rows.length,
      byteSize: bytes.byteLength,
      minEventTime: part.eventMs.reduce((a, b) => Math.min(a, b)),
      maxEventTime: part.eventMs.reduce((a, b) => Math.max(a, b)),
      minWriteTime: now,
      maxWriteTime: now,
      schemaVersion: schema.catalogVersion,
    });
  }
  await registerFiles(deps.db, files, [{ batchId, rowCount: records.length }], now);
  return files;
}
