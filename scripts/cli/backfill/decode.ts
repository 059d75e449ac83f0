// Input files as rows of [feature name, raw value] entries, in the encodings
// the bulk API uses: CSV cells are strings ("strings" encoding: empty cell =
// missing, a cell starting with "[" is a JSON list), NDJSON and Parquet
// values are typed. Parquet int64 arrives as BigInt and is handed over as a
// decimal string when beyond ±(2^53−1) (the typed rule for int64);
// Parquet timestamps become ISO-8601 UTC text.
import { type Data, DataType, Float64, Int32, Int64, makeVector, tableFromIPC, Utf8 } from "apache-arrow";
import { readParquet } from "parquet-wasm";
import type { ValueEncoding } from "../../../src/records";
import { messageOf } from "../errors";

/** A feature name and its raw value, as the row validator takes them. */
export type Entry = [string, unknown];

/**
 * Called once per row with its 1-based number and its entries, or null and
 * why the row is unreadable. The entries array (and its pairs) are reused
 * from row to row, so a callback must copy what it keeps; at a million rows
 * this saves millions of short-lived arrays.
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

/** An input's rows, decoded when `each` is called. */
export function decodeInput(bytes: Uint8Array, format: InputFormat): DecodedInput {
  if (format === "parquet") return { encoding: "typed", each: parquetRows(bytes) };
  const text = new TextDecoder().decode(bytes);
  return format === "csv" ? { encoding: "strings", each: csvRows(text) } : { encoding: "typed", each: ndjsonRows(text) };
}

function ndjsonRows(text: string) {
  return (callback: RowCallback) => eachNdjsonLine(text, 1, callback);
}

/**
 * NDJSON lines numbered from firstLine (blank lines are no rows): calls back
 * with each object's entries, or null and why the line is unreadable.
 */
export function eachNdjsonLine(text: string, firstLine: number, callback: RowCallback): void {
  let line = firstLine - 1;
  for (const raw of text.split("\n")) {
    line += 1;
    const trimmed = raw.trim();
    if (!trimmed) continue;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (error) {
      callback(line, null, `must be valid JSON (${messageOf(error)})`);
      continue;
    }
    if (typeof value === "object" && value !== null && !Array.isArray(value)) callback(line, Object.entries(value));
    else callback(line, null, "must be a JSON object of feature name to value");
  }
}

/** RFC 4180 records; lines without quotes take a split fast path. */
export function csvRecords(text: string): string[][] {
  const records: string[][] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    let end = text.indexOf("\n", i);
    if (end < 0) end = n;
    const lineEnd = end > i && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    const line = text.slice(i, lineEnd);
    if (!line.includes('"')) {
      records.push(line.split(","));
      i = end + 1;
      continue;
    }
    // Quoted fields may hold commas and line breaks: character by character.
    const record: string[] = [];
    let cell = "";
    let quoted = false;
    let j = i;
    for (; j < n; j++) {
      const ch = text[j];
      if (quoted) {
        if (ch === '"' && text[j + 1] === '"') {
          cell += '"';
          j += 1;
        } else if (ch === '"') quoted = false;
        else cell += ch;
      } else if (ch === '"' && cell === "") quoted = true;
      else if (ch === ",") {
        record.push(cell);
        cell = "";
      } else if (ch === "\n" || ch === "\r") {
        if (ch === "\r" && text[j + 1] === "\n") j += 1;
        break;
      } else cell += ch;
    }
    if (quoted) throw new Error("has an unterminated quoted field");
    record.push(cell);
    records.push(record);
    i = j + 1;
  }
  return records;
}

/**
 * Where the CSV record starting at i ends (the index after its line break)
 * and whether it is blank, by exactly csvRecords' rules, without building
 * its cells: the main thread cuts CSV text into chunks of whole records
 * with it. Throws on an unterminated quoted field.
 */
export function csvRecordEnd(text: string, i: number): { next: number; blank: boolean } {
  const n = text.length;
  let end = text.indexOf("\n", i);
  if (end < 0) end = n;
  const lineEnd = end > i && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
  const quote = text.indexOf('"', i);
  if (quote < 0 || quote >= lineEnd) return { next: end + 1, blank: lineEnd === i };
  let cellLength = 0;
  let cells = 1;
  let quoted = false;
  let j = i;
  for (; j < n; j++) {
    const ch = text.charCodeAt(j);
    if (quoted) {
      if (ch === 34 && text.charCodeAt(j + 1) === 34) {
        cellLength += 1;
        j += 1;
      } else if (ch === 34) quoted = false;
      else cellLength += 1;
    } else if (ch === 34 && cellLength === 0) quoted = true;
    else if (ch === 44) {
      cells += 1;
      cellLength = 0;
    } else if (ch === 10 || ch === 13) {
      if (ch === 13 && text.charCodeAt(j + 1) === 10) j += 1;
      break;
    } else cellLength += 1;
  }
  if (quoted) throw new Error("has an unterminated quoted field");
  return { next: j + 1, blank: cells === 1 && cellLength === 0 };
}

/** A CSV cell starting with "[": its JSON list (items as strings, as the bulk API reads them), or the text itself. */
export function listCell(text: string): string | string[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.map((v: unknown) => (typeof v === "string" ? v : JSON.stringify(v))) : text;
  } catch {
    return text;
  }
}

function csvRows(text: string) {
  return (callback: RowCallback) => {
    let records: string[][];
    try {
      records = csvRecords(text);
    } catch (error) {
      callback(1, null, messageOf(error));
      return;
    }
    const header = records[0];
    if (!header || (header.length === 1 && header[0] === "")) {
      callback(1, null, "must have a header row");
      return;
    }
    const pairs = header.map((name): Entry => [name, null]);
    const entries: Entry[] = [];
    for (let r = 1; r < records.length; r++) {
      const record = records[r]!;
      if (record.length === 1 && record[0] === "") continue;
      if (record.length !== header.length) {
        callback(r, null, `must have ${header.length} fields, has ${record.length}`);
        continue;
      }
      entries.length = 0;
      for (let c = 0; c < header.length; c++) {
        const v = record[c]!;
        if (v === "") continue;
        const pair = pairs[c]!;
        pair[1] = v.startsWith("[") ? listCell(v) : v;
        entries.push(pair);
      }
      callback(r, entries);
    }
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
