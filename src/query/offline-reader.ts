import type { CatalogDb } from "../catalog";
import { offlineReadOptions, type DataKeyLookup } from "../crypto/offline-objects";
import type { Failure } from "../failure";
import { activeFiles, generationSchema, type GenerationSchema, type ManifestFile } from "../offline/manifest";
import { decodeParquet } from "../offline/parquet";
import { rowsFromTable } from "../offline/table-rows";
import { parseEventTime } from "../records";
import type { RecordVersion } from "./versions";

/**
 * Reads record versions from the offline store through the manifest (never
 * by listing R2), skipping files whose manifest ranges cannot hold a match.
 * Counts what it read, so tests and responses can show the pruning worked.
 */
export interface ReadStats {
  filesInManifest: number;
  filesRead: number;
  bytesRead: number;
  rowsRead: number;
}

export interface FileFilter {
  /** Only files that may hold event times ≤ this (epoch ms). */
  eventAtMostMs?: number;
  /** Only files that may hold event times ≥ this (epoch ms). */
  eventAtLeastMs?: number;
  /** Only files that may hold write times ≤ this (epoch ms). */
  writeAtMostMs?: number;
}

/**
 * Compressed bytes one request may read. Decoded Arrow data runs several
 * times larger; this keeps a request well under the 128 MB isolate limit.
 */
export const MAX_QUERY_INPUT_BYTES = 24 * 1024 * 1024;

export function pruneFiles(files: readonly ManifestFile[], filter: FileFilter): ManifestFile[] {
  return files.filter(
    (f) =>
      (filter.eventAtMostMs === undefined || f.minEventTime <= filter.eventAtMostMs) &&
      (filter.eventAtLeastMs === undefined || f.maxEventTime >= filter.eventAtLeastMs) &&
      (filter.writeAtMostMs === undefined || f.minWriteTime <= filter.writeAtMostMs),
  );
}

export type ReadOutcome =
  | { ok: true; schema: GenerationSchema; versions: RecordVersion[]; stats: ReadStats }
  | { ok: false; reason: "unknown_generation" }
  | { ok: false; reason: "too_large"; bytes: number; limit: number }
  /** The group's offline objects are encrypted (SSE-C) and its data keys cannot be unwrapped. */
  | { ok: false; reason: "keys_unavailable"; detail: string };

/** The failure a request answers when reading did not work. */
export function readFailure(read: Exclude<ReadOutcome, { ok: true }>, featureGroup: string): Failure {
  switch (read.reason) {
    case "too_large":
      return { reason: "query_too_large", featureGroup, bytes: read.bytes, limitBytes: read.limit };
    case "keys_unavailable":
      return { reason: "unavailable", detail: `the offline store of ${featureGroup} is encrypted and ${read.detail}` };
    case "unknown_generation":
      return { reason: "feature_group_not_found", featureGroup };
  }
}

export async function readVersions(db: CatalogDb, bucket: R2Bucket, keys: DataKeyLookup, generation: string, filter: FileFilter): Promise<ReadOutcome> {
  const schema = await generationSchema(db, generation);
  if (!schema) return { ok: false, reason: "unknown_generation" };
  const manifest = await activeFiles(db, generation);
  const files = pruneFiles(manifest, filter);
  const bytes = files.reduce((n, f) => n + f.byteSize, 0);
  // Fail before reading anything rather than part-way through.
  if (bytes > MAX_QUERY_INPUT_BYTES) return { ok: false, reason: "too_large", bytes, limit: MAX_QUERY_INPUT_BYTES };
  const timeDef = schema.features.find((f) => f.name === schema.eventTimeFeature);
  const stats: ReadStats = { filesInManifest: manifest.length, filesRead: 0, bytesRead: 0, rowsRead: 0 };
  const versions: RecordVersion[] = [];
  const groupKeys = files.length > 0 ? await keys(generation) : null;
  if (groupKeys && !groupKeys.ok) return { ok: false, reason: "keys_unavailable", detail: groupKeys.failure.reason === "unavailable" ? groupKeys.failure.detail : "its data keys cannot be read" };
  for (const file of files) {
    const options = offlineReadOptions(groupKeys!.ok ? groupKeys!.value : {}, file.key);
    if (!options.ok) return { ok: false, reason: "keys_unavailable", detail: options.failure.reason === "unavailable" ? options.failure.detail : "a data key is missing" };
    const object = await bucket.get(file.key, options.value);
    if (!object) throw new Error(`manifest file ${file.key} is missing from R2`);
    const data = new Uint8Array(await object.arrayBuffer());
    stats.filesRead += 1;
    stats.bytesRead += data.byteLength;
    for (const row of rowsFromTable(decodeParquet(data), schema.features)) {
      stats.rowsRead += 1;
      const id = row.values[schema.recordIdentifierFeature];
      const time = parseEventTime(schema.eventTimeFeature, timeDef?.type ?? "String", row.values[schema.eventTimeFeature]);
      if (id === undefined || !time.ok) continue;
      versions.push({
        recordIdentifier: String(id),
        eventKey: time.value.key,
        writeTimeMs: row.writeTimeMs,
        apiInvocationTimeMs: row.apiInvocationTimeMs,
        isDeleted: row.isDeleted,
        values: row.values,
      });
    }
  }
  return { ok: true, schema, versions, stats };
}
