// A validated batch as offline files: its rows split by hourly partition
// (input order kept within each), each partition's rows gathered from the
// canonical columns into Arrow columns of the offline layout
// (src/offline/offline-table.ts: features in the group's order, then
// write_time, api_invocation_time, is_deleted, write_sequence,
// available_time) and written as ZSTD Parquet. Row n of an input (its row
// number) gets the write sequence bulkSequence(write time, n), and the
// knowledge time its availability gives (src/records/order.ts).
// The buffers are the ones offline-table.ts builds from row objects, so a
// file is byte for byte the one the queue consumer's writer makes of the
// same rows.
import { createHash } from "node:crypto";
import { Bool, type DataType, type Float64, Int64, makeData, makeVector, Table, TimestampMillisecond, type Utf8, type Vector } from "apache-arrow";
import { columnVector, type Scalar } from "../../../src/offline/arrow-columns";
import { partitionOf } from "../../../src/offline/layout";
import { arrowType } from "../../../src/offline/offline-table";
import { type Availability, availableTimeMs, bulkSequence, eventKeyFromEpochMs, type FeatureDefinition } from "../../../src/records";
import type { Column, Float64Column, Int64Column, Utf8Column } from "./batch";
import { writeOfflineTable } from "./parquet";
import type { ValidBatch } from "./validate-batch";

/** Where and how a chunk's files are written. */
export interface EncodeTarget {
  features: readonly FeatureDefinition[];
  prefix: string;
  identity: string;
  chunk: number;
  writeTimeMs: number;
  availability: Availability;
  /** Keys already in the manifest: not written again. */
  registered: ReadonlySet<string>;
}

/** One offline file of a chunk: its key, registration fields and bytes. */
export interface OfflineFile {
  key: string;
  fileId: string;
  partition: string;
  rows: number;
  bytes: Uint8Array;
  minEventTime: number;
  maxEventTime: number;
}

interface Part {
  partition: string;
  count: number;
  rows: Int32Array;
  minEvent: number;
  maxEvent: number;
}

const sha = (text: string) => createHash("sha256").update(text).digest("hex");

/** Key name and fileId of one (input, chunk, partition). */
export function fileNaming(identity: string, chunk: number, partition: string): { name: string; fileId: string } {
  const compactHour = partition.replace(/\D/g, "");
  return { name: `bf-${sha(`${identity}\n${chunk}\n${partition}`).slice(0, 32)}`, fileId: `bf-${identity.slice(0, 24)}:${chunk}:${compactHour}` };
}

const HOUR_MS = 3_600_000;

/** Rows by hourly partition, partitions in order of first appearance. */
function splitByPartition(eventMs: Float64Array, length: number): Part[] {
  const byHour = new Map<number, number>();
  const partOf = new Int32Array(length);
  const parts: Part[] = [];
  // Rows mostly come in runs of one hour: the last hour is checked before the map.
  let lastHour = NaN;
  let p = -1;
  for (let i = 0; i < length; i++) {
    const ms = eventMs[i]!;
    const hour = Math.floor(ms / HOUR_MS);
    if (hour !== lastHour) {
      lastHour = hour;
      p = byHour.get(hour) ?? -1;
      if (p === -1) {
        p = parts.length;
        byHour.set(hour, p);
        // rows is sized once every row's partition is known (below).
        parts.push({ partition: partitionOf(eventKeyFromEpochMs(ms)), count: 0, rows: new Int32Array(0), minEvent: Infinity, maxEvent: -Infinity });
      }
    }
    partOf[i] = p;
    const part = parts[p]!;
    part.count += 1;
    if (ms < part.minEvent) part.minEvent = ms;
    if (ms > part.maxEvent) part.maxEvent = ms;
  }
  for (const part of parts) {
    part.rows = new Int32Array(part.count);
    part.count = 0;
  }
  for (let i = 0; i < length; i++) {
    const part = parts[partOf[i]!]!;
    part.rows[part.count++] = i;
  }
  return parts;
}

/** Validity bitmap of the gathered rows, as arrow-columns.ts writes it (always present). */
function gatherValidity(column: Utf8Column | Int64Column | Float64Column, rows: Int32Array): { nullBitmap: Uint8Array; nullCount: number } {
  const nullBitmap = new Uint8Array(Math.ceil(rows.length / 8));
  let nullCount = 0;
  const valid = column.valid;
  for (let j = 0; j < rows.length; j++) {
    if (!valid || valid[rows[j]!] === 1) nullBitmap[j >> 3]! |= 1 << (j & 7);
    else nullCount += 1;
  }
  return { nullBitmap, nullCount };
}

/**
 * Copies the UTF-8 bytes of the gathered rows, a run of consecutive present
 * rows at a time (rows often arrive in runs). A missing value is empty, as
 * arrow-columns.ts writes it, whatever bytes the input held for it.
 */
function gatherUtf8(type: Utf8, column: Utf8Column, rows: Int32Array) {
  const { offsets, bytes, valid } = column;
  const present = (r: number) => !valid || valid[r] === 1;
  // Offsets of a row and its successor: both exist for every row of the column.
  const from = (r: number) => offsets[r]!;
  const to = (r: number) => offsets[r + 1]!;
  let size = 0;
  for (let j = 0; j < rows.length; j++) if (present(rows[j]!)) size += to(rows[j]!) - from(rows[j]!);
  const data = new Uint8Array(size);
  const valueOffsets = new Int32Array(rows.length + 1);
  let at = 0;
  for (let j = 0; j < rows.length; ) {
    if (!present(rows[j]!)) {
      valueOffsets[++j] = at;
      continue;
    }
    let k = j + 1;
    while (k < rows.length && rows[k] === rows[k - 1]! + 1 && present(rows[k]!)) k += 1;
    const start = from(rows[j]!);
    const end = to(rows[k - 1]!);
    data.set(bytes.subarray(start, end), at);
    for (let m = j; m < k; m++) valueOffsets[m + 1] = at + to(rows[m]!) - start;
    at += end - start;
    j = k;
  }
  return makeData({ type, length: rows.length, ...gatherValidity(column, rows), valueOffsets, data });
}

function gatherInt64(type: DataType, column: Int64Column, rows: Int32Array) {
  const words = new Uint32Array(2 * rows.length);
  const source = column.words;
  const valid = column.valid;
  for (let j = 0; j < rows.length; j++) {
    const r = rows[j]!;
    if (valid && valid[r] !== 1) continue;
    words[2 * j] = source[2 * r]!;
    words[2 * j + 1] = source[2 * r + 1]!;
  }
  // arrowType gives Integral features Int64: the type makeData needs to take the words as its data.
  return makeData({ type: type as Int64, length: rows.length, ...gatherValidity(column, rows), data: new BigInt64Array(words.buffer) });
}

function gatherFloat64(type: DataType, column: Float64Column, rows: Int32Array) {
  const data = new Float64Array(rows.length);
  for (let j = 0; j < rows.length; j++) data[j] = column.values[rows[j]!]!;
  // arrowType gives Fractional features Float64.
  return makeData({ type: type as Float64, length: rows.length, ...gatherValidity(column, rows), data });
}

/** A validity bitmap of n present values, as arrow-columns.ts writes it (bits past n clear). */
function allValid(n: number): Uint8Array {
  const bitmap = new Uint8Array(Math.ceil(n / 8)).fill(0xff);
  if (n % 8 !== 0) bitmap[bitmap.length - 1] = (1 << (n % 8)) - 1;
  return bitmap;
}

/** write_time / api_invocation_time: one instant in every row. */
function constantTimestamps(n: number, ms: number): Vector {
  const data = new BigInt64Array(n).fill(BigInt(ms));
  return makeVector(makeData({ type: new TimestampMillisecond("UTC"), length: n, nullCount: 0, nullBitmap: allValid(n), data }));
}

/** An int64 (or timestamp) column of safe integers, one per gathered row. */
function int64Values(type: Int64 | TimestampMillisecond, n: number, valueOf: (j: number) => number): Vector {
  const data = new BigInt64Array(n);
  const halves = new Uint32Array(data.buffer);
  for (let j = 0; j < n; j++) {
    const v = valueOf(j);
    const high = Math.floor(v / 2 ** 32);
    halves[2 * j] = v - high * 2 ** 32;
    halves[2 * j + 1] = high | 0;
  }
  const props = { length: n, nullCount: 0, nullBitmap: allValid(n), data };
  // One makeData call per type: its overloads are per data type, and the two take the same int64 words.
  return type instanceof Int64 ? makeVector(makeData({ type, ...props })) : makeVector(makeData({ type, ...props }));
}

function featureVector(def: FeatureDefinition, column: Column | undefined, rows: Int32Array): Vector {
  const type = arrowType(def);
  if (!column) return columnVector(type, new Array<null>(rows.length).fill(null));
  switch (column.kind) {
    case "utf8":
      // arrowType gives String features Utf8.
      return makeVector(gatherUtf8(type as Utf8, column, rows));
    case "int64":
      return makeVector(gatherInt64(type, column, rows));
    case "float64":
      return makeVector(gatherFloat64(type, column, rows));
    default:
      // The column checks left canonical values here: scalars and lists of scalars, or null.
      return columnVector(type, Array.from(rows, (r) => column.values[r] as Scalar | Scalar[] | null));
  }
}

/**
 * The offline files of one chunk, except those whose key is already
 * registered (counted in skipped). rowNumbers: each row's number in its
 * input (its place in the version order).
 */
export function encodeBatch(target: EncodeTarget, valid: Pick<ValidBatch, "columns" | "eventMs">, length: number, rowNumbers: Float64Array): { files: OfflineFile[]; skipped: number } {
  const files: OfflineFile[] = [];
  let skipped = 0;
  for (const part of splitByPartition(valid.eventMs, length)) {
    const { name, fileId } = fileNaming(target.identity, target.chunk, part.partition);
    const key = `${target.prefix}${part.partition}/${name}.parquet`;
    if (target.registered.has(key)) {
      skipped += 1;
      continue;
    }
    const columns: Record<string, Vector> = {};
    for (const def of target.features) columns[def.name] = featureVector(def, valid.columns.get(def.name), part.rows);
    const n = part.rows.length;
    columns.write_time = constantTimestamps(n, target.writeTimeMs);
    columns.api_invocation_time = constantTimestamps(n, target.writeTimeMs);
    columns.is_deleted = makeVector(makeData({ type: new Bool(), length: n, nullCount: 0, nullBitmap: allValid(n), data: new Uint8Array(Math.ceil(n / 8)) }));
    columns.write_sequence = int64Values(new Int64(), n, (j) => bulkSequence(target.writeTimeMs, rowNumbers[part.rows[j]!]!));
    columns.available_time = int64Values(new TimestampMillisecond("UTC"), n, (j) => availableTimeMs(target.availability, valid.eventMs[part.rows[j]!]!, target.writeTimeMs));
    const bytes = writeOfflineTable(new Table(columns));
    files.push({ key, fileId, partition: part.partition, rows: n, bytes, minEventTime: part.minEvent, maxEventTime: part.maxEvent });
  }
  return { files, skipped };
}
