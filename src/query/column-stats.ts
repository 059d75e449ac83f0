import type { ManifestFile } from "../offline/manifest";
import { bucketSource, compareBytes, counted, doubleOf, int64Of, ObjectGone, PhysicalType, readFooter, type ByteSource, type ColumnStats, type FooterLayout } from "../parquet";

/**
 * Per-column statistics of a group's offline files from their Parquet
 * footers alone: row counts, null counts and min/max as the writer recorded
 * them per row group. One or two ranged reads of each file's tail; no data
 * page is fetched, so a file of a million rows costs what a file of ten does.
 */

/** Files whose footers one summary reads at most (the newest first); row counts still come from the whole manifest. */
export const MAX_STATS_FILES = 200;
/** Footers read at once. */
const CONCURRENT_READS = 8;

/** A column's statistics over the files read; min and max decoded by physical type. */
export interface ColumnSummary {
  name: string;
  physicalType: number;
  rows: number;
  /** Nulls counted; null when some row group did not record its null count. */
  nulls: number | null;
  min?: number | bigint | string | boolean;
  max?: number | bigint | string | boolean;
}

export interface FooterSummary {
  filesRead: number;
  filesInManifest: number;
  /** Rows in the files read. */
  rows: number;
  bytesRead: number;
  columns: ColumnSummary[];
}

type StatValue = number | bigint | string | boolean;

/** A statistic's value, or undefined for a type we do not summarize (INT96, fixed-length bytes). */
function decode(physicalType: number, bytes: Uint8Array): StatValue | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (physicalType) {
    case PhysicalType.Boolean:
      return bytes.byteLength > 0 ? bytes[0] !== 0 : undefined;
    case PhysicalType.Int32:
      return bytes.byteLength >= 4 ? view.getInt32(0, true) : undefined;
    case PhysicalType.Int64:
      return bytes.byteLength >= 8 ? int64Of(bytes) : undefined;
    case PhysicalType.Float:
      return bytes.byteLength >= 4 ? view.getFloat32(0, true) : undefined;
    case PhysicalType.Double:
      return bytes.byteLength >= 8 ? doubleOf(bytes) : undefined;
    case PhysicalType.ByteArray:
      return new TextDecoder().decode(bytes);
    default:
      return undefined;
  }
}

interface Accumulator {
  physicalType: number;
  rows: number;
  nulls: number | null;
  min?: Uint8Array;
  max?: Uint8Array;
}

function compareStat(physicalType: number, a: Uint8Array, b: Uint8Array): number {
  if (physicalType === PhysicalType.ByteArray) return compareBytes(a, b);
  const x = decode(physicalType, a);
  const y = decode(physicalType, b);
  if (x === undefined || y === undefined) return 0;
  return x < y ? -1 : x > y ? 1 : 0;
}

function add(into: Map<string, Accumulator>, name: string, stats: ColumnStats, rows: number): void {
  const acc = into.get(name) ?? { physicalType: stats.physicalType, rows: 0, nulls: 0 };
  acc.rows += rows;
  acc.nulls = acc.nulls === null || stats.nullCount === undefined ? null : acc.nulls + stats.nullCount;
  if (stats.min && (!acc.min || compareStat(acc.physicalType, stats.min, acc.min) < 0)) acc.min = stats.min;
  if (stats.max && (!acc.max || compareStat(acc.physicalType, stats.max, acc.max) > 0)) acc.max = stats.max;
  into.set(name, acc);
}

/** A file's footer layout and the bytes read for it; null when the object is gone (compaction replaced it). */
export async function fileLayout(bucket: R2Bucket, file: ManifestFile, options: R2GetOptions): Promise<{ layout: FooterLayout; source: ByteSource; bytesRead: number } | null> {
  let bytesRead = 0;
  const source = counted(bucketSource(bucket, file.key, file.byteSize, options), (bytes) => (bytesRead += bytes));
  try {
    const { layout } = await readFooter(source);
    return { layout, source, bytesRead };
  } catch (error) {
    if (error instanceof ObjectGone) return null;
    throw error;
  }
}

/**
 * Summarizes the footers of the newest MAX_STATS_FILES files. `optionsOf`
 * gives each file's read options (its SSE-C key for encrypted groups).
 * A file gone from R2 meanwhile (compaction replaced it) is skipped.
 */
export async function summarizeFooters(bucket: R2Bucket, files: readonly ManifestFile[], optionsOf: (key: string) => R2GetOptions): Promise<FooterSummary> {
  const newest = [...files].sort((a, b) => b.maxWriteTime - a.maxWriteTime).slice(0, MAX_STATS_FILES);
  const columns = new Map<string, Accumulator>();
  const summary: FooterSummary = { filesRead: 0, filesInManifest: files.length, rows: 0, bytesRead: 0, columns: [] };
  for (let i = 0; i < newest.length; i += CONCURRENT_READS) {
    const batch = newest.slice(i, i + CONCURRENT_READS);
    const footers = await Promise.all(batch.map((file) => fileLayout(bucket, file, optionsOf(file.key))));
    for (const read of footers) {
      if (!read) continue;
      const { layout } = read;
      summary.filesRead += 1;
      summary.bytesRead += read.bytesRead;
      summary.rows += layout.numRows;
      for (const group of layout.rowGroups) for (const [name, stats] of group.columns) add(columns, name, stats, group.numRows);
    }
  }
  for (const [name, acc] of columns) {
    const min = acc.min && decode(acc.physicalType, acc.min);
    const max = acc.max && decode(acc.physicalType, acc.max);
    summary.columns.push({ name, physicalType: acc.physicalType, rows: acc.rows, nulls: acc.nulls, ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) });
  }
  return summary;
}
