import type { ManifestFile } from "../offline/manifest";
import { decodeParquet } from "../offline/parquet";
import { readFooter } from "./column-stats";
import { parseFooter, rowGroupFile } from "./parquet-layout";

/**
 * Histograms of numeric features from a sample: the last row group of the
 * newest offline file, read only when it is small. Its footer says how large
 * it is before anything else is fetched, so the cost is bounded whatever the
 * size of the store: at most MAX_SAMPLE_BYTES of data, one row group.
 */

/** A larger row group is not sampled (a compacted file's groups can be many MB). */
export const MAX_SAMPLE_BYTES = 2 * 1024 * 1024;
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
  /** Rows in the sampled row group; 0 with `skipped` when nothing was sampled. */
  sampledRows: number;
  file?: string;
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

/** Samples the newest file's last row group and bins each named numeric feature. */
export async function sampleHistograms(bucket: R2Bucket, files: readonly ManifestFile[], features: readonly string[], optionsOf: (key: string) => R2GetOptions): Promise<SampleHistograms> {
  const newest = [...files].sort((a, b) => b.maxWriteTime - a.maxWriteTime)[0];
  if (!newest || features.length === 0) return { sampledRows: 0, skipped: "no offline files or no numeric features", histograms: [] };
  const options = optionsOf(newest.key);
  const read = await readFooter(bucket, newest, options);
  if (!read) return { sampledRows: 0, skipped: "the newest file was replaced meanwhile", histograms: [] };
  const layout = parseFooter(read.footer, newest.byteSize);
  const group = layout.rowGroups.at(-1);
  if (!group) return { sampledRows: 0, skipped: "the newest file has no rows", histograms: [] };
  if (group.end - group.start > MAX_SAMPLE_BYTES) return { sampledRows: 0, skipped: `its newest row group is larger than the ${MAX_SAMPLE_BYTES / 1024 / 1024} MiB a sample may read`, histograms: [] };
  const object = await bucket.get(newest.key, { ...options, range: { offset: group.start, length: group.end - group.start } });
  if (!object) return { sampledRows: 0, skipped: "the newest file was replaced meanwhile", histograms: [] };
  const table = decodeParquet(rowGroupFile(layout, group, new Uint8Array(await object.arrayBuffer())));
  const histograms: Histogram[] = [];
  for (const feature of features) {
    const column = table.getChild(feature);
    if (!column) continue;
    const values: number[] = [];
    for (const value of column) if (typeof value === "number" || typeof value === "bigint") values.push(Number(value));
    const histogram = histogramOf(feature, values, HISTOGRAM_BINS);
    if (histogram) histograms.push(histogram);
  }
  return { sampledRows: table.numRows, file: newest.key, histograms };
}
