// One chunk of input rows as columns (a "batch"), built inside a chunk
// worker from what the main thread sends (chunk-source.ts): Arrow IPC
// record batches of a Parquet input, the text of whole CSV records or the
// bytes of whole NDJSON lines. Parquet's common scalar types keep their Arrow buffers
// (UTF-8 bytes, int64, float64) so that validation and the output columns
// never make a JS value per cell; every other cell is the raw value the
// row-wise decoder (decode.ts) gives, so the row validator's rules apply
// unchanged.
import { type Data, DataType, type Float, type Int, makeVector, Precision, tableFromIPC, type Table, type Utf8 } from "apache-arrow";
import { csvRowsOfText } from "../../../src/formats/csv";
import { ndjsonRowsOfBytes } from "../../../src/formats/ndjson";
import type { ValueEncoding } from "../../../src/records";
import { type Entry, isList, typedScalar } from "./decode";

/** valid: 1 per present row (null when every row is present); a missing row has zero bytes. */
export interface Utf8Column {
  kind: "utf8";
  name: string;
  valid: Uint8Array | null;
  offsets: Int32Array;
  bytes: Uint8Array;
}

/** words: two little-endian 32-bit halves per row (copied as words: reading a BigInt64Array allocates a BigInt per value). */
export interface Int64Column {
  kind: "int64";
  name: string;
  valid: Uint8Array | null;
  words: Uint32Array;
}

export interface Float64Column {
  kind: "float64";
  name: string;
  valid: Uint8Array | null;
  values: Float64Array;
}

/** Any other cell as a JS value; null marks a missing cell. */
export interface ValuesColumn {
  kind: "values";
  name: string;
  values: unknown[];
}

export type Column = Utf8Column | Int64Column | Float64Column | ValuesColumn;

/** A row the decoder could not read, and why. */
export interface Unreadable {
  row: number;
  rule: string;
}

/** columns for CSV and Parquet; rows (entries per row) for NDJSON, whose rows each name their own fields. */
export interface Batch {
  length: number;
  rowNumbers: Float64Array;
  encoding: ValueEncoding;
  columns: Column[] | null;
  rows: Entry[][] | null;
  unreadable: Unreadable[];
}

/** The rows start..end of one Arrow Data piece that belong to a batch column. */
interface Piece {
  data: Data;
  start: number;
  end: number;
}

/** One record batch of a Parquet chunk (an Arrow IPC stream) and its rows that belong to the chunk. */
export interface ParquetPart {
  ipc: Uint8Array;
  start: number;
  end: number;
}

const utf8 = new TextDecoder();

const isPresent = (data: Data, i: number) => data.nullCount === 0 || (data.nullBitmap[(data.offset + i) >> 3]! & (1 << ((data.offset + i) & 7))) !== 0;

/** The row-wise decoder's value of one cell (null when missing). */
export function rawValue(column: Column, i: number): unknown {
  switch (column.kind) {
    case "utf8":
      return column.valid && !column.valid[i] ? null : utf8.decode(column.bytes.subarray(column.offsets[i], column.offsets[i + 1]));
    case "int64": {
      if (column.valid && !column.valid[i]) return null;
      const low = column.words[2 * i]!;
      const high = column.words[2 * i + 1]! | 0;
      const n = high * 2 ** 32 + low;
      return Number.isSafeInteger(n) ? n : ((BigInt(high) << 32n) | BigInt(low)).toString();
    }
    case "float64":
      return column.valid && !column.valid[i] ? null : column.values[i];
    default:
      return column.values[i];
  }
}

/** A row's [name, value] entries as the row-wise decoder gives them (missing cells left out). */
export function rowEntries(batch: Batch, i: number): Entry[] {
  if (batch.rows) return batch.rows[i]!;
  const entries: Entry[] = [];
  for (const column of batch.columns ?? []) {
    const v = rawValue(column, i);
    if (v !== null) entries.push([column.name, v]);
  }
  return entries;
}

function validityOf(pieces: Piece[], length: number): Uint8Array | null {
  if (pieces.every(({ data }) => data.nullCount === 0)) return null;
  const valid = new Uint8Array(length);
  let at = 0;
  for (const { data, start, end } of pieces) for (let r = start; r < end; r++) valid[at++] = isPresent(data, r) ? 1 : 0;
  return valid;
}

// The casts below follow parquetBatch's checks of each column's type: Data's buffers are typed by its type parameter, which a check of data.type does not narrow.
function utf8Column(name: string, pieces: Piece[], length: number): Utf8Column {
  const offsets = new Int32Array(length + 1);
  let size = 0;
  for (const { data, start, end } of pieces) size += (data as Data<Utf8>).valueOffsets[end]! - (data as Data<Utf8>).valueOffsets[start]!;
  const bytes = pieces.length === 1 ? null : new Uint8Array(size);
  let at = 0;
  let row = 0;
  for (const { data, start, end } of pieces) {
    const { valueOffsets: source, values } = data as Data<Utf8>;
    const base = source[start]!;
    for (let r = start; r < end; r++) offsets[++row] = at + source[r + 1]! - base;
    if (bytes) bytes.set(values.subarray(base, source[end]), at);
    at += source[end]! - base;
  }
  const only = pieces[0]!;
  const onlyData = only.data as Data<Utf8>;
  return { kind: "utf8", name, valid: validityOf(pieces, length), offsets, bytes: bytes ?? onlyData.values.subarray(onlyData.valueOffsets[only.start], onlyData.valueOffsets[only.end]) };
}

function wordsColumn(name: string, pieces: Piece[], length: number): Int64Column {
  const words = new Uint32Array(2 * length);
  let at = 0;
  for (const { data, start, end } of pieces) {
    const values = (data as Data<Int>).values;
    const source = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
    words.set(source.subarray(2 * start, 2 * end), at);
    at += 2 * (end - start);
  }
  return { kind: "int64", name, valid: validityOf(pieces, length), words };
}

function float64Column(name: string, pieces: Piece[], length: number): Float64Column {
  const values = new Float64Array(length);
  let at = 0;
  for (const { data, start, end } of pieces) {
    values.set((data as Data<Float>).values.subarray(start, end), at);
    at += end - start;
  }
  return { kind: "float64", name, valid: validityOf(pieces, length), values };
}

/** Any other Arrow type, value by value through Arrow's accessors, as decode.ts reads it. */
function valuesColumn(name: string, pieces: Piece[], length: number): ValuesColumn {
  const values: unknown[] = new Array(length);
  let at = 0;
  for (const { data, start, end } of pieces) {
    const vector = makeVector(data);
    // Timestamps (Arrow hands them over as epoch milliseconds) become ISO-8601 UTC text, the String event-time form.
    const timestamp = DataType.isTimestamp(data.type);
    for (let r = start; r < end; r++) {
      const got: unknown = vector.get(r);
      // A timestamp's value is its epoch milliseconds (a number).
      const v = timestamp && got !== null ? new Date(got as number) : got;
      values[at++] = v === null || v === undefined ? null : isList(v) ? Array.from(v, typedScalar) : typedScalar(v);
    }
  }
  return { kind: "values", name, values };
}

/**
 * A Parquet chunk: record batches (Arrow IPC streams) and the row range of
 * each that belongs to the chunk. Batches read from a file have offset 0.
 */
export function parquetBatch(parts: ParquetPart[], firstRow: number): Batch {
  const tables: { table: Table; start: number; end: number }[] = parts.map((p) => ({ table: tableFromIPC(p.ipc), start: p.start, end: p.end }));
  const length = parts.reduce((n, p) => n + p.end - p.start, 0);
  const fields = tables[0]?.table.schema.fields ?? [];
  const columns = fields.map((field, c): Column => {
    const pieces: Piece[] = [];
    for (const { table, start, end } of tables) {
      // A table's column may itself hold several Data pieces: map the table's row range onto them.
      let base = 0;
      for (const data of table.getChildAt(c)?.data ?? []) {
        const from = Math.max(start, base);
        const to = Math.min(end, base + data.length);
        if (from < to) pieces.push({ data, start: from - base, end: to - base });
        base += data.length;
      }
    }
    // Types read from IPC are the generic classes (Int_, Float): told apart by their parameters.
    const type: DataType = field.type;
    const plain = pieces.every(({ data }) => data.offset === 0);
    if (plain && DataType.isUtf8(type)) return utf8Column(field.name, pieces, length);
    if (plain && DataType.isInt(type) && type.bitWidth === 64 && type.isSigned) return wordsColumn(field.name, pieces, length);
    if (plain && DataType.isFloat(type) && type.precision === Precision.DOUBLE) return float64Column(field.name, pieces, length);
    return valuesColumn(field.name, pieces, length);
  });
  // Row numbers of a file can pass 2^31: doubles count exactly to 2^53.
  const rowNumbers = new Float64Array(length);
  for (let i = 0; i < length; i++) rowNumbers[i] = firstRow + i;
  return { length, rowNumbers, encoding: "typed", columns, rows: null, unreadable: [] };
}

/**
 * CSV records (whole ones; the first starts on line firstLine) under the
 * file's header, read by the store's CSV reader: a row of the wrong width
 * is unreadable, empty cells are missing, list cells are parsed.
 */
export function csvBatch(text: string, header: string[], firstLine: number): Batch {
  // A repeated name is one column (the reader reads its last cell).
  const names = [...new Set(header)];
  const position = new Map(names.map((name, c) => [name, c]));
  const values: unknown[][] = names.map(() => []);
  const numbers: number[] = [];
  const unreadable: Unreadable[] = [];
  for (const row of csvRowsOfText(text, { field: "file", header, firstLine })) {
    if (!row.entries) {
      unreadable.push({ row: row.row, rule: row.unreadable ?? "is unreadable" });
      continue;
    }
    const at = numbers.length;
    numbers.push(row.row);
    for (const column of values) column.push(null);
    for (const [name, value] of row.entries) values[position.get(name)!]![at] = value;
  }
  const columns = names.map((name, c): ValuesColumn => ({ kind: "values", name, values: values[c]! }));
  return { length: numbers.length, rowNumbers: Float64Array.from(numbers), encoding: "strings", columns, rows: null, unreadable };
}

/** NDJSON lines (the first is line firstLine; blank lines are no rows), read by the store's NDJSON reader. */
export function ndjsonBatch(bytes: Uint8Array, firstLine: number): Batch {
  const rows: Entry[][] = [];
  const numbers: number[] = [];
  const unreadable: Unreadable[] = [];
  for (const row of ndjsonRowsOfBytes(bytes, { field: "file", firstLine })) {
    if (row.entries) {
      rows.push(row.entries);
      numbers.push(row.row);
    } else unreadable.push({ row: row.row, rule: row.unreadable ?? "is unreadable" });
  }
  return { length: rows.length, rowNumbers: Float64Array.from(numbers), encoding: "typed", columns: null, rows, unreadable };
}
