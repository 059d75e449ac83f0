import type { ManifestFile } from "../offline/manifest";
import { ObjectGone, readRowGroup } from "../parquet";
import { fileLayout } from "./column-stats";

/**
 * Histograms of numeric features from a sample: the last row group of each
 * of the newest offline files, newest first, until the sample holds
 * SAMPLE_ROWS rows or would read more than MAX_SAMPLE_BYTES. Each footer says
 * how large its row group is before the group is fetched, so the cost is
 * bounded whatever the size of the store.
 */

/** Data bytes a sample reads at most (a compacted file's row groups can be many MB: such a group is passed over). */
export const MAX_SAMPLE_BYTES = 2 * 1024 * 1024;
/** Enough rows for a histogram's shape; sampling stops once it has them. */
export const SAMPLE_ROWS = 10_000;
/** Files whose footers a sample looks at, at most. */
const MAX_SAMPLE_FILES = 20;
export const HISTOGRAM_BINS = 12;

export interface Histogram {
  feature: string;
  min: number;
  max: number;
  /** Counts of equal-width bins from min to max (the last bin includes max). */
  counts: number[];
  /** Non-null values counted. */
  values: number;
}

export interface SampleHistograms {
  sampledRows: number;
  /** Row groups (one per file) the sample read. */
  rowGroups: number;
  /** Why nothing was sampled, when nothing was. */
  skipped?: string;
  histograms: Histogram[];
}

/** Equal-width bins over finite values. Pure. */
export function histogramOf(feature: string, values: readonly number[], bins: number): Histogram | null {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return null;
  let [min, max] = [Infinity, -Infinity];
  for (const v of finite) [min, max] = [Math.min(min, v), Math.max(max, v)];
  const count = min === max ? 1 : bins;
  const counts = new Array<number>(count).fill(0);
  for (const v of finite) counts[min === max ? 0 : Math.min(count - 1, Math.floor(((v - min) / (max - min)) * count))]! += 1;
  return { feature, min, max, counts, values: finite.length };
}

/** Reads the sample and bins each named numeric feature. */
export async function sampleHistograms(bucket: R2Bucket, files: readonly ManifestFile[], features: readonly string[], optionsOf: (key: string) => R2GetOptions): Promise<SampleHistograms> {
  if (files.length === 0 || features.length === 0) return { sampledRows: 0, rowGroups: 0, skipped: "no offline files or no numeric features", histograms: [] };
  const values = new Map<string, number[]>(features.map((f) => [f, []]));
  let [rows, bytes, rowGroups] = [0, 0, 0];
  for (const file of [...files].sort((a, b) => b.maxWriteTime - a.maxWriteTime).slice(0, MAX_SAMPLE_FILES)) {
    if (rows >= SAMPLE_ROWS) break;
    const options = optionsOf(file.key);
    const read = await fileLayout(bucket, file, options);
    if (!read) continue; // replaced by compaction meanwhile
    const group = read.layout.rowGroups.at(-1);
    if (!group || bytes + (group.end - group.start) > MAX_SAMPLE_BYTES) continue;
    const table = await readRowGroup(read.source, read.layout, group).catch((error: unknown) => {
      if (error instanceof ObjectGone) return null;
      throw error;
    });
    if (!table) continue;
    bytes += group.end - group.start;
    rows += table.numRows;
    rowGroups += 1;
    for (const [feature, into] of values) {
      for (const value of table.getChild(feature) ?? []) if (typeof value === "number" || typeof value === "bigint") into.push(Number(value));
    }
  }
  if (rowGroups === 0) return { sampledRows: 0, rowGroups: 0, skipped: `no recent row group is small enough to sample (at most ${MAX_SAMPLE_BYTES / 1024 / 1024} MiB)`, histograms: [] };
  const histograms = features.map((f) => histogramOf(f, values.get(f)!, HISTOGRAM_BINS)).filter((h): h is Histogram => h !== null);
  return { sampledRows: rows, rowGroups, histograms };
}
