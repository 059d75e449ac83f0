import type { CatalogDb } from "../catalog";
import { offlineReadOptions, type DataKeyLookup } from "../crypto/offline-objects";
import { fail, ok, type Failure, type Result } from "../failure";
import { activeFiles, generationSchema, type GenerationSchema, type ManifestFile } from "../offline/manifest";
import { parseEventTime, type FeatureType } from "../records";
import type { FooterMemo } from "../parquet";
import { emptyStats, rowGroupMayMatch, RowGroupRows, scanFile, type ReadStats, type RowGroupBounds } from "./row-groups";
import type { RecordVersion } from "./versions";

export type { ReadStats } from "./row-groups";

/**
 * Reads record versions from the offline store through the manifest (never
 * by listing R2): files whose manifest ranges cannot hold a match are
 * skipped, then row groups whose statistics cannot (row-groups.ts). Counts
 * what it read, so tests and responses can show the pruning worked.
 */
export interface FileFilter {
  /** Only files that may hold event times ≤ this (epoch ms). */
  eventAtMostMs?: number;
  /** Only files that may hold event times ≥ this (epoch ms). */
  eventAtLeastMs?: number;
  /** Only files that may hold write times ≤ this (epoch ms). */
  writeAtMostMs?: number;
}

export function pruneFiles(files: readonly ManifestFile[], filter: FileFilter): ManifestFile[] {
  return files.filter(
    (f) =>
      (filter.eventAtMostMs === undefined || f.minEventTime <= filter.eventAtMostMs) &&
      (filter.eventAtLeastMs === undefined || f.maxEventTime >= filter.eventAtLeastMs) &&
      (filter.writeAtMostMs === undefined || f.minWriteTime <= filter.writeAtMostMs),
  );
}

export interface ScanPlan {
  schema: GenerationSchema;
  files: ManifestFile[];
  filesInManifest: number;
  /** Per file: the get options that read it (its SSE-C key when the group encrypts its offline store). */
  readOptions: ReadonlyMap<string, R2GetOptions>;
}

/**
 * The generation's schema, the files a read with this filter must open and
 * how to read each. Fails for an unknown generation, and before reading
 * anything when an encrypted group's data keys cannot be unwrapped.
 */
export async function planScan(db: CatalogDb, keys: DataKeyLookup, featureGroup: string, generation: string, filter: FileFilter): Promise<Result<ScanPlan>> {
  const schema = await generationSchema(db, generation);
  if (!schema) return fail({ reason: "feature_group_not_found", featureGroup });
  const manifest = await activeFiles(db, generation);
  const files = pruneFiles(manifest, filter);
  const readOptions = new Map<string, R2GetOptions>();
  if (files.length > 0) {
    const groupKeys = await keys(generation);
    if (!groupKeys.ok) return fail(keysUnavailable(featureGroup, groupKeys.failure));
    for (const file of files) {
      const options = offlineReadOptions(groupKeys.value, file.key);
      if (!options.ok) return fail(keysUnavailable(featureGroup, options.failure));
      readOptions.set(file.key, options.value);
    }
  }
  return ok({ schema, files, filesInManifest: manifest.length, readOptions });
}

function keysUnavailable(featureGroup: string, failure: Failure): Failure {
  const detail = failure.reason === "unavailable" ? failure.detail : "its data keys cannot be read";
  return { reason: "unavailable", detail: `the offline store of ${featureGroup} is encrypted and ${detail}` };
}

/** Every row group of the plan's files that may match the bounds, one at a time. */
export async function* scanRowGroups(bucket: R2Bucket, plan: ScanPlan, bounds: RowGroupBounds, stats: ReadStats, footers?: FooterMemo): AsyncGenerator<RowGroupRows> {
  for (const file of plan.files) {
    for await (const table of scanFile(bucket, file, (group) => rowGroupMayMatch(group, plan.schema, bounds), stats, plan.readOptions.get(file.key), footers)) {
      for (const batch of table.batches) yield new RowGroupRows(batch, plan.schema);
    }
  }
}

export const newStats = (plan: ScanPlan): ReadStats => emptyStats(plan.filesInManifest);

/** Turns a row's raw event time into a version; undefined for rows without identifier or a valid time. */
export function eventTypeOf(schema: GenerationSchema): FeatureType {
  return schema.features.find((f) => f.name === schema.eventTimeFeature)?.type ?? "String";
}

export function versionAt(rows: RowGroupRows, i: number, schema: GenerationSchema, eventType: FeatureType, recordIdentifier?: string): RecordVersion | undefined {
  const id = recordIdentifier ?? rows.identifier(i);
  if (id === undefined) return undefined;
  const time = parseEventTime(schema.eventTimeFeature, eventType, rows.rawEventTime(i));
  return time.ok ? rowVersion(rows, i, id, time.value.key) : undefined;
}

/** Row i of a row group as a record version, its identifier and event key already read. */
export function rowVersion(rows: RowGroupRows, i: number, recordIdentifier: string, eventKey: string): RecordVersion {
  return {
    recordIdentifier,
    eventKey,
    writeTimeMs: rows.writeTimeMs(i),
    apiInvocationTimeMs: rows.apiInvocationTimeMs(i),
    writeSequence: rows.writeSequence(i),
    availableTimeMs: rows.availableTimeMs(i),
    isDeleted: rows.isDeleted(i),
    values: rows.values(i),
  };
}
