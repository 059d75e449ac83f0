import { DataType, tableFromIPC, type RecordBatch } from "apache-arrow";
import { ParquetFile, type RecordBatch as WasmRecordBatch } from "parquet-wasm/esm";
import { invalid, ok, type Failure, type Result } from "../failure";
import { CsvRecords } from "../ingest/csv-records";
import { ensureParquetWasm } from "../offline/parquet";
import { isoFromEpochMs, RESERVED_FEATURE_NAMES, type ValueEncoding } from "../records";
import type { BulkRow } from "../service";
import type { SourceFormat } from "./model";

/**
 * Reads a landed object into bulk-ingest rows. The object's bytes are held
 * (MAX_OBJECT_BYTES), but its rows are produced lazily, as bulk ingest
 * takes them: 100,000 decoded rows of a wide group held at once are several
 * times the isolate's 128 MB (docs/limits.md). Values keep the types the
 * format carries: NDJSON and Parquet are typed, CSV cells are strings
 * (converted by the feature's type).
 *
 * A fault of the whole file found while its rows are read (too many rows, a
 * CSV row of the wrong width, an unterminated quote) is thrown as
 * UnreadableObject; bulk ingest then writes nothing of the file.
 */
export const MAX_OBJECT_BYTES = 16 * 1024 * 1024;
export const MAX_ROWS_PER_OBJECT = 100_000;

export interface ReadObject {
  rows: () => AsyncIterable<BulkRow>;
  encoding: ValueEncoding;
}

/** The whole file is unreadable; found while its rows were being read. */
export class UnreadableObject extends Error {
  readonly failure: Failure;
  constructor(failure: Failure) {
    super(failure.reason);
    this.failure = failure;
  }
}

const tooManyRows = (): never => {
  throw new UnreadableObject({ reason: "invalid_field", field: "file", rule: `must hold at most ${MAX_ROWS_PER_OBJECT} rows; split it` });
};

async function* ndjsonRows(text: string): AsyncGenerator<BulkRow> {
  let count = 0;
  let line = 0;
  for (let start = 0; start < text.length; line += 1) {
    const newline = text.indexOf("\n", start);
    const end = newline < 0 ? text.length : newline;
    const trimmed = text.slice(start, end).trim();
    start = end + 1;
    if (!trimmed) continue;
    if (++count > MAX_ROWS_PER_OBJECT) tooManyRows();
    const row = line + 1;
    try {
      const value: unknown = JSON.parse(trimmed);
      if (typeof value === "object" && value !== null && !Array.isArray(value)) yield { row, entries: Object.entries(value) };
      else yield { row, entries: null, unreadable: "must be a JSON object of feature name to value" };
    } catch (error) {
      yield { row, entries: null, unreadable: `must be valid JSON (${error instanceof SyntaxError ? error.message : "unparseable"})` };
    }
  }
}

/** Text fed to the CSV splitter at a time. */
const CSV_SLICE_CHARS = 1 << 20;

function listCell(text: string): unknown {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.map((v) => (typeof v === "string" ? v : JSON.stringify(v))) : text;
  } catch {
    return text;
  }
}

/** CSV as the bulk route reads it: empty cells are missing values, collections are JSON arrays. Rows count from the first data line. */
async function* csvRows(text: string): AsyncGenerator<BulkRow> {
  const splitter = new CsvRecords();
  let header: string[] | null = null;
  let row = 0;
  const take = function* (records: string[][]): Generator<BulkRow> {
    for (const record of records) {
      if (record.length === 1 && record[0] === "") continue;
      if (!header) {
        header = record;
        continue;
      }
      row += 1;
      if (record.length !== header.length) throw new UnreadableObject({ reason: "invalid_field", field: `file line ${row + 1}`, rule: `must have ${header.length} fields, has ${record.length}` });
      if (row > MAX_ROWS_PER_OBJECT) tooManyRows();
      const cells = new Map(header.map((name, i) => [name, record[i]!]));
      yield { row, entries: [...cells].filter(([, v]) => v !== "").map(([k, v]): [string, unknown] => [k, v.startsWith("[") ? listCell(v) : v]) };
    }
  };
  for (let at = 0; at < text.length; at += CSV_SLICE_CHARS) yield* take(splitter.push(text.slice(at, at + CSV_SLICE_CHARS)));
  const rest = splitter.end("file");
  if (!rest.ok) throw new UnreadableObject(rest.failure);
  yield* take(rest.value);
  if (!header) throw new UnreadableObject({ reason: "invalid_field", field: "file", rule: "must have a header row" });
}

function scalarOf(value: unknown, timestamp: boolean): unknown {
  if (timestamp && value !== null && value !== undefined) {
    const ms = value instanceof Date ? value.getTime() : Number(value);
    return isoFromEpochMs(ms);
  }
  if (typeof value === "bigint") {
    const asNumber = Number(value);
    return Number.isSafeInteger(asNumber) ? asNumber : value.toString();
  }
  return value;
}

const RESERVED: readonly string[] = RESERVED_FEATURE_NAMES;

/**
 * Parquet columns by name; int64 becomes a number or, beyond ±(2^53−1), a
 * decimal string; timestamps become ISO-8601 UTC strings; lists become
 * arrays. The offline store's own columns (write_time, api_invocation_time,
 * is_deleted) are skipped, so exported offline files load back as they are.
 */
function* batchRows(batch: RecordBatch, firstRow: number): Generator<BulkRow> {
  const columns = batch.schema.fields
    .filter((f) => !RESERVED.includes(f.name))
    .map((f) => {
      const list = DataType.isList(f.type);
      const timestamp = DataType.isTimestamp(list ? f.type.children[0]!.type : f.type) || DataType.isDate(f.type);
      return { name: f.name, vector: batch.getChild(f.name)!, list, timestamp };
    });
  for (let i = 0; i < batch.numRows; i++) {
    const entries: [string, unknown][] = [];
    for (const { name, vector, list, timestamp } of columns) {
      const value: unknown = vector.get(i);
      if (value === null || value === undefined) continue;
      entries.push([name, list ? Array.from(value as Iterable<unknown>, (v) => scalarOf(v, timestamp)) : scalarOf(value, timestamp)]);
    }
    yield { row: firstRow + i, entries };
  }
}

/** Rows decoded at a time: a whole decoded row group can be larger than the isolate. */
const PARQUET_BATCH_ROWS = 2_048;

async function* parquetRows(file: ParquetFile): AsyncGenerator<BulkRow> {
  const reader = (await file.stream({ batchSize: PARQUET_BATCH_ROWS, concurrency: 1 })).getReader() as ReadableStreamDefaultReader<WasmRecordBatch>;
  let next = 1;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      for (const batch of tableFromIPC(value.intoIPCStream()).batches) {
        yield* batchRows(batch, next);
        next += batch.numRows;
      }
    }
  } finally {
    reader.releaseLock();
    file.free();
  }
}

function decodeText(bytes: Uint8Array): Result<string> {
  try {
    return ok(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes));
  } catch {
    return invalid("file", "must be UTF-8 text");
  }
}

/** Reads one object's bytes in a format; a failure says why the whole file is unreadable. */
export async function readObject(format: SourceFormat, bytes: Uint8Array): Promise<Result<ReadObject>> {
  if (format === "parquet") {
    ensureParquetWasm();
    let file: ParquetFile;
    try {
      file = await ParquetFile.fromFile(new Blob([bytes]));
    } catch (error) {
      return invalid("file", `must be a Parquet file (${error instanceof Error ? error.message : String(error)})`);
    }
    if (file.metadata().fileMetadata().numRows() > MAX_ROWS_PER_OBJECT) {
      file.free();
      return invalid("file", `must hold at most ${MAX_ROWS_PER_OBJECT} rows; split it`);
    }
    return ok({ rows: () => parquetRows(file), encoding: "typed" });
  }
  const text = decodeText(bytes);
  if (!text.ok) return text;
  return ok({ rows: () => (format === "csv" ? csvRows(text.value) : ndjsonRows(text.value)), encoding: format === "csv" ? "strings" : "typed" });
}
