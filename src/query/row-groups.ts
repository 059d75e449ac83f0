import { Type, type RecordBatch, type Table } from "apache-arrow";
import { decodeParquet } from "../offline/parquet";
import type { GenerationSchema, ManifestFile } from "../offline/manifest";
import { SEQUENCE_PER_MS, type FeatureValue } from "../records";
import { cellsOf, ColumnCells, type TextMemo } from "./arrow-cells";
import { bucketSource, compareBytes, counted, doubleOf, FooterMemo, int64Of, memorySource, PhysicalType, readFooter, readRowGroup, type RowGroupLayout } from "../parquet";

/**
 * Reads offline Parquet files row group by row group: the footer with one
 * ranged read, then only the row groups whose statistics may match, each
 * with its own ranged read, decoded one at a time. Memory holds one row
 * group, never a whole file. Small files (under WHOLE_FILE_MAX_BYTES) are
 * fetched whole in one request: a footer read would cost a round trip for
 * little saved.
 */
export interface ReadStats {
  filesInManifest: number;
  filesRead: number;
  bytesRead: number;
  rowsRead: number;
  rowGroupsRead: number;
  rowGroupsSkipped: number;
}

export const emptyStats = (filesInManifest = 0): ReadStats => ({ filesInManifest, filesRead: 0, bytesRead: 0, rowsRead: 0, rowGroupsRead: 0, rowGroupsSkipped: 0 });

export function addStats(into: ReadStats, from: ReadStats): void {
  for (const key of Object.keys(into) as (keyof ReadStats)[]) into[key] += from[key];
}

export const WHOLE_FILE_MAX_BYTES = 256 * 1024;

/** What a row group must be able to hold to be worth reading. Absent bounds do not prune. */
export interface RowGroupBounds {
  eventAtMostMs?: number;
  eventAtLeastMs?: number;
  writeAtMostMs?: number;
  /** Knowledge time bound: available_time (write_time in files without it) at most this. */
  availableAtMostMs?: number;
  /** Identifiers wanted, as the file stores them (see identifierKeys). */
  identifiers?: IdentifierKeys;
}

/** Sorted identifiers in the file's order: UTF-8 bytes for strings, BigInt for int64. */
export type IdentifierKeys = { kind: "bytes"; sorted: Uint8Array[] } | { kind: "int64"; sorted: bigint[] };

export function identifierKeys(schema: GenerationSchema, ids: Iterable<string>): IdentifierKeys {
  const def = schema.features.find((f) => f.name === schema.recordIdentifierFeature);
  if (def?.type === "Integral") {
    const sorted = [...new Set(ids)].flatMap((id) => (/^-?\d+$/.test(id) ? [BigInt(id)] : [])).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return { kind: "int64", sorted };
  }
  const encoder = new TextEncoder();
  return { kind: "bytes", sorted: [...new Set(ids)].map((id) => encoder.encode(id)).sort(compareBytes) };
}

/** Whether any key lies in [min, max]: binary search for the first key ≥ min. */
function anyWithin<T>(sorted: readonly T[], min: T, max: T, compare: (a: T, b: T) => number): boolean {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compare(sorted[mid]!, min) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo < sorted.length && compare(sorted[lo]!, max) <= 0;
}

const compareBigints = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);

/** Whole seconds of an ISO-8601 UTC statistic: its first 19 characters order like time. */
function isoSecondsMs(bytes: Uint8Array): number | undefined {
  const text = new TextDecoder().decode(bytes.subarray(0, 19));
  const ms = Date.parse(`${text}Z`);
  return text.length === 19 && Number.isFinite(ms) ? ms : undefined;
}

/** Event-time range [min, max] in ms a row group's statistics guarantee, when they can. */
function eventRangeMs(group: RowGroupLayout, schema: GenerationSchema): { min?: number; max?: number } {
  const stats = group.columns.get(schema.eventTimeFeature);
  if (!stats?.min || !stats.max) return {};
  if (stats.physicalType === PhysicalType.Double) return { min: doubleOf(stats.min) * 1000 - 1, max: doubleOf(stats.max) * 1000 + 1 };
  if (stats.physicalType === PhysicalType.ByteArray) {
    const min = isoSecondsMs(stats.min);
    const max = isoSecondsMs(stats.max);
    return { ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max: max + 1000 } : {}) };
  }
  return {};
}

export function rowGroupMayMatch(group: RowGroupLayout, schema: GenerationSchema, bounds: RowGroupBounds): boolean {
  if (group.numRows === 0) return false;
  const write = group.columns.get("write_time");
  if (bounds.writeAtMostMs !== undefined && write?.min && write.physicalType === PhysicalType.Int64 && Number(int64Of(write.min)) > bounds.writeAtMostMs) return false;
  if (bounds.availableAtMostMs !== undefined) {
    const available = group.columns.has("available_time") ? group.columns.get("available_time") : write;
    if (available?.min && available.physicalType === PhysicalType.Int64 && Number(int64Of(available.min)) > bounds.availableAtMostMs) return false;
  }
  if (bounds.eventAtMostMs !== undefined || bounds.eventAtLeastMs !== undefined) {
    const range = eventRangeMs(group, schema);
    if (bounds.eventAtMostMs !== undefined && range.min !== undefined && range.min > bounds.eventAtMostMs) return false;
    if (bounds.eventAtLeastMs !== undefined && range.max !== undefined && range.max < bounds.eventAtLeastMs) return false;
  }
  const ids = group.columns.get(schema.recordIdentifierFeature);
  if (bounds.identifiers && ids?.min && ids.max) {
    const keys = bounds.identifiers;
    if (keys.kind === "int64" && ids.physicalType === PhysicalType.Int64) return anyWithin(keys.sorted, int64Of(ids.min), int64Of(ids.max), compareBigints);
    if (keys.kind === "bytes" && ids.physicalType === PhysicalType.ByteArray) return anyWithin(keys.sorted, ids.min, ids.max, compareBytes);
  }
  return true;
}

/**
 * The row groups of one file that may match, decoded one at a time. Counts
 * what it fetched into stats; a file whose every row group is ruled out by
 * its footer still counts its footer bytes. A footer in `footers` is not
 * read again.
 */
export async function* scanFile(bucket: R2Bucket, file: ManifestFile, mayMatch: (group: RowGroupLayout) => boolean, stats: ReadStats, options: R2GetOptions = {}, footers?: FooterMemo): AsyncGenerator<Table> {
  stats.filesRead += 1;
  const remote = counted(bucketSource(bucket, file.key, file.byteSize, options), (bytes) => (stats.bytesRead += bytes));
  const whole = file.byteSize <= WHOLE_FILE_MAX_BYTES ? await remote.read(0, file.byteSize) : undefined;
  const source = whole ? memorySource(file.key, whole) : remote;
  const { layout } = whole || !footers ? await readFooter(source) : await footers.read(source);
  for (const group of layout.rowGroups) {
    if (!mayMatch(group)) {
      stats.rowGroupsSkipped += 1;
      continue;
    }
    stats.rowGroupsRead += 1;
    // A whole one-group file decodes as it is, without a rebuilt footer.
    const table = whole && layout.rowGroups.length === 1 ? decodeParquet(whole) : await readRowGroup(source, layout, group);
    stats.rowsRead += table.numRows;
    yield table;
  }
}

/**
 * Column access to one record batch of a decoded row group: the cheap
 * columns (identifier, event time, the clocks, the write sequence, the
 * deletion flag) row by row, and a row's feature values only when asked, so rows no query wants
 * cost no objects. Offline files are sorted by identifier, so callers can
 * ask whether a row repeats the previous row's identifier and skip decoding
 * it; event times repeat across the file (one per write batch) and are
 * found by their bytes in a memo.
 */
export class RowGroupRows {
  readonly count: number;
  private readonly id: ColumnCells;
  private readonly eventTime: ColumnCells;
  private readonly writeTime: ColumnCells;
  private readonly invocation: ColumnCells;
  private readonly deleted: ColumnCells;
  /** Absent in files written before write sequences existed: those rows fall back to write_time (records/order.ts). */
  private readonly sequence: ColumnCells | undefined;
  private readonly available: ColumnCells | undefined;
  readonly features: readonly { name: string; cells: ColumnCells }[];

  constructor(batch: RecordBatch, schema: GenerationSchema) {
    const child = (name: string) => {
      const cells = cellsOf(batch, name);
      if (!cells) throw new Error(`offline file lacks ${name}`);
      return cells;
    };
    this.count = batch.numRows;
    this.id = child(schema.recordIdentifierFeature);
    this.eventTime = child(schema.eventTimeFeature);
    this.writeTime = child("write_time");
    this.invocation = child("api_invocation_time");
    this.deleted = child("is_deleted");
    this.sequence = cellsOf(batch, "write_sequence");
    this.available = cellsOf(batch, "available_time");
    this.features = schema.features.flatMap((f) => {
      const cells = cellsOf(batch, f.name);
      return cells ? [{ name: f.name, cells }] : [];
    });
  }

  identifier(i: number): string | undefined {
    const value = this.id.featureValue(i);
    return value === undefined ? undefined : String(value);
  }

  /** Whether row i (i > 0) has row i − 1's identifier, without decoding either. */
  sameIdentifierAsPrevious(i: number): boolean {
    return sameAsPrevious(this.id, i);
  }

  rawEventTime(i: number): unknown {
    return this.eventTime.featureValue(i);
  }

  /** Row i's event time through `parse`, text times looked up by their bytes in `memo` first. */
  eventTimeOf<T>(i: number, memo: TextMemo<T>, parse: (raw: unknown) => T): T {
    if (this.eventTime.typeId !== Type.Utf8 || this.eventTime.isNull(i)) return parse(this.rawEventTime(i));
    return memo.valueOf(this.eventTime, i, parse);
  }

  writeTimeMs(i: number): number {
    return this.writeTime.int64AsNumber(i);
  }

  apiInvocationTimeMs(i: number): number {
    return this.invocation.int64AsNumber(i);
  }

  /** Row i's place in the version order after event time (legacy rows: write_time × 1000). */
  writeSequence(i: number): number {
    const cells = this.sequence;
    return cells !== undefined && !cells.isNull(i) ? cells.int64AsNumber(i) : this.writeTime.int64AsNumber(i) * SEQUENCE_PER_MS;
  }

  /** Row i's knowledge time, epoch ms (legacy rows: write_time). */
  availableTimeMs(i: number): number {
    const cells = this.available;
    return cells !== undefined && !cells.isNull(i) ? cells.int64AsNumber(i) : this.writeTime.int64AsNumber(i);
  }

  isDeleted(i: number): boolean {
    return !this.deleted.isNull(i) && this.deleted.bool(i);
  }

  /** Feature f's value in row i (f indexes `features`); undefined for null. */
  featureValue(f: number, i: number): FeatureValue | undefined {
    return this.features[f]!.cells.featureValue(i);
  }

  values(i: number): Record<string, FeatureValue> {
    const values: Record<string, FeatureValue> = {};
    for (let f = 0; f < this.features.length; f++) {
      const value = this.featureValue(f, i);
      if (value !== undefined) values[this.features[f]!.name] = value;
    }
    return values;
  }
}

function sameAsPrevious(cells: ColumnCells, i: number): boolean {
  if (i === 0 || cells.isNull(i) || cells.isNull(i - 1)) return false;
  switch (cells.typeId) {
    case Type.Utf8:
      return cells.sameText(i, i - 1);
    case Type.Int:
    case Type.Float:
      return cells.get(i) === cells.get(i - 1);
    default:
      return false;
  }
}

