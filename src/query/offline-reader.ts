import type { CatalogDb } from "../catalog";
import { activeFiles, generationSchema, type GenerationSchema, type ManifestFile } from "../offline/manifest";
import { parseEventTime, type FeatureType } from "../records";
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
}

/** The generation's schema and the files a read with this filter must open; null for an unknown generation. */
export async function planScan(db: CatalogDb, generation: string, filter: FileFilter): Promise<ScanPlan | null> {
  const schema = await generationSchema(db, generation);
  if (!schema) return null;
  const manifest = await activeFiles(db, generation);
  return { schema, files: pruneFiles(manifest, filter), filesInManifest: manifest.length };
}

/** Every row group of the plan's files that may match the bounds, one at a time. */
export async function* scanRowGroups(bucket: R2Bucket, plan: ScanPlan, bounds: RowGroupBounds, stats: ReadStats): AsyncGenerator<RowGroupRows> {
  for (const file of plan.files) {
    for await (const table of scanFile(bucket, file, (group) => rowGroupMayMatch(group, plan.schema, bounds), stats)) {
      yield new RowGroupRows(table, plan.schema);
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
  if (!time.ok) return undefined;
  return {
    recordIdentifier: id,
    eventKey: time.value.key,
    writeTimeMs: rows.writeTimeMs(i),
    apiInvocationTimeMs: rows.apiInvocationTimeMs(i),
    isDeleted: rows.isDeleted(i),
    values: rows.values(i),
  };
}
