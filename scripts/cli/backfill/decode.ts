// Input files as rows of [feature name, raw value] entries, in the encodings
// the bulk API uses and read by the same readers (src/formats): CSV cells
// are strings ("strings" encoding: empty cell = missing, a cell starting
// with "[" is a JSON list), NDJSON and Parquet values are typed; rows are
// numbered by physical line (CSV, NDJSON) or position (Parquet). Parquet int64 arrives as BigInt and is handed over as a
// decimal string when beyond ±(2^53−1) (the typed rule for int64);
// Parquet timestamps become ISO-8601 UTC text.
import { type Data, DataType, Float64, Int32, Int64, makeVector, tableFromIPC, Utf8 } from "apache-arrow";
import { readParquet } from "parquet-wasm";
import { csvRowsOfBytes } from "../../../src/formats/csv";
import { ndjsonRowsOfBytes } from "../../../src/formats/ndjson";
import { UnreadableInput, type ReadOptions, type SourceRow } from "../../../src/formats/rows";
import type { ValueEncoding } from "../../../src/records";

/** A feature name and its raw value, as the row validator takes them. */
export type Entry = [string, unknown];

/**
 * Called once per row with its 1-based number and its entries, or null and
 * why the row is unreadable. The entries array (and its pairs) may be reused
 * from row to row (Parquet's are), so a callback must copy what it keeps.
 */
export type RowCallback = (row: number, entries: Entry[] | null, unreadable?: string) => void;

/** A decoded input: `each` calls back once per row. */
export interface DecodedInput {
  encoding: ValueEncoding;
  each: (callback: RowCallback) => void;
}

export const FORMATS = ["csv", "ndjson", "parquet"] as const;
export type InputFormat = (typeof FORMATS)[number];

/** The format of a file name (.csv, .ndjson/.jsonl/.json, .parquet), or null. */
export function formatOf(name: string): InputFormat | null {
  const lower = name.toLowerCase();
  if (lower.endsWith(".csv")) return "csv";
  if (lower.endsWith(".ndjson") || lower.endsWith(".jsonl") || lower.endsWith(".json")) return "ndjson";
  if (lower.endsWith(".parquet") || lower.endsWith(".pq")) return "parquet";
  return null;
}

/** An input's rows, decoded when `each` is called: CSV and NDJSON by the store's own readers (src/formats). */
export function decodeInput(bytes: Uint8Array, format: InputFormat): DecodedInput {
  if (format === "parquet") return { encoding: "typed", each: parquetRows(bytes) };
  return format === "csv" ? { encoding: "strings", each: csvRows(bytes) } : { encoding: "typed", each: ndjsonRows(bytes) };
}

/** Faults are named "file", as ingest jobs name a landed object's. */
const FILE: ReadOptions = { field: "file" };

function ndjsonRows(bytes: Uint8Array) {
  return (callback: RowCallback) => {
    for (const row of ndjsonRowsOfBytes(bytes, FILE)) callback(row.row, row.entries, row.unreadable);
  };
}

/** The rule that makes the whole input unreadable, or the error itself when it is not one. */
export function unreadableRule(error: unknown): string {
  if (!(error instanceof UnreadableInput)) throw error;
  const failure = error.failure;
  return failure.reason === "invalid_field" ? failure.rule : failure.reason;
}

function csvRows(bytes: Uint8Array) {
  return (callback: RowCallback) => {
    // Read whole first: a file that turns out unreadable (an unterminated quote at its end) is one report entry, and no rows.
    let rows: SourceRow[];
    try {
      rows = [...csvRowsOfBytes(bytes, FILE)];
    } catch (error) {
      callback(1, null, unreadableRule(error));
      return;
    }
    for (const row of rows) callback(row.row, row.entries, row.unreadable);
  };
}

/** A typed value as the bulk API reads it: int64 beyond ±(2^53−1) as a decimal string, a Date as ISO-8601 UTC. */
export function typedScalar(value: unknown): unknown {
  if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Date) return value.toISOString();
  return value;
}

/** An Arrow list value (a Vector) or any other iterable but a Date. */
export const isList = (v: unknown): v is Iterable<unknown> => typeof v === "object" && v !== null && !(v instanceof Date) && Symbol.iterator in v;

const utf8 = new TextDecoder();
const isValid = (data: Data, i: number) => data.nullCount === 0 || (data.nullBitmap[i >> 3]! & (1 << (i & 7))) !== 0;

/**
 * One Arrow chunk into plain values from its buffers for the common scalar
 * types (Arrow's generic iterator visits every value through several calls);
 * lists, timestamps and the rest take the iterator.
 */
function readChunk(data: Data, out: unknown[], start: number): number {
  const { type, length } = data;
  let i = start;
  // Chunks read from a file start at offset 0; anything else takes the generic path.
  const direct = data.offset === 0;
  // The casts follow the type checks: Data's buffers are typed by its type parameter, which a check of data.type does not narrow.
  if (direct && type instanceof Utf8) {
    const { valueOffsets: offsets, values } = data as Data<Utf8>;
    for (let r = 0; r < length; r++) out[i++] = isValid(data, r) ? utf8.decode(values.subarray(offsets[r], offsets[r + 1])) : null;
  } else if (direct && type instanceof Int64) {
    const values = (data as Data<Int64>).values;
    for (let r = 0; r < length; r++) out[i++] = isValid(data, r) ? typedScalar(values[r]) : null;
  } else if (direct && (type instanceof Float64 || type instanceof Int32)) {
    const values = (data as Data<Float64 | Int32>).values;
    for (let r = 0; r < length; r++) out[i++] = isValid(data, r) ? values[r] : null;
  } else {
    const vector = makeVector(data);
    // Timestamps (Arrow hands them over as epoch milliseconds) become ISO-8601 UTC text, the String event-time form.
    const timestamp = DataType.isTimestamp(type);
    for (let r = 0; r < length; r++) {
      const got: unknown = vector.get(r);
      // A timestamp's value is its epoch milliseconds (a number).
      const v = timestamp && got !== null ? new Date(got as number) : got;
      out[i++] = v === null || v === undefined ? null : isList(v) ? Array.from(v, typedScalar) : typedScalar(v);
    }
  }
  return i;
}

/**
 * Column-wise conversion: each column walked once with its own iterator
 * (random access on a chunked Arrow vector searches its chunks every time),
 * then rows assembled from the plain arrays.
 */
function parquetRows(bytes: Uint8Array) {
  const table = tableFromIPC(readParquet(bytes).intoIPCStream());
  const numRows = table.numRows;
  const columns = table.schema.fields.map((field, c) => {
    const values: unknown[] = new Array(numRows);
    let i = 0;
    for (const data of table.getChildAt(c)?.data ?? []) i = readChunk(data, values, i);
    return { name: field.name, values };
  });
  const pairs = columns.map((column): Entry => [column.name, null]);
  const entries: Entry[] = [];
  return (callback: RowCallback) => {
    for (let i = 0; i < numRows; i++) {
      entries.length = 0;
      for (let c = 0; c < columns.length; c++) {
        const v = columns[c]!.values[i];
        if (v === null) continue;
        const pair = pairs[c]!;
        pair[1] = v;
        entries.push(pair);
      }
      callback(i + 1, entries);
    }
  };
}
