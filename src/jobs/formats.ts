import { DataType, type Table } from "apache-arrow";
import { invalid, ok, type Result } from "../failure";
import { parseCsv } from "../formats/csv";
import { decodeParquet } from "../offline/parquet";
import { isoFromEpochMs, RESERVED_FEATURE_NAMES, type ValueEncoding } from "../records";
import type { BulkRow } from "../service";
import type { SourceFormat } from "./model";

/**
 * Reads a landed object into bulk-ingest rows. The object is held whole, so
 * its size is bounded (MAX_OBJECT_BYTES) well under the 128 MB isolate limit
 * once decoded. Values keep the types the format carries: NDJSON and Parquet
 * are typed, CSV cells are strings (converted by the feature's type).
 *
 * parseCsv lives in http/ but is pure text parsing; it is shared rather than
 * copied so both paths read CSV alike.
 */
export const MAX_OBJECT_BYTES = 16 * 1024 * 1024;
export const MAX_ROWS_PER_OBJECT = 100_000;

export interface ReadObject {
  rows: BulkRow[];
  encoding: ValueEncoding;
}

function ndjsonRows(text: string): BulkRow[] {
  const rows: BulkRow[] = [];
  for (const [i, line] of text.split("\n").entries()) {
    const trimmed = line.trim();
    if (!trimmed) continue;
    const row = i + 1;
    try {
      const value: unknown = JSON.parse(trimmed);
      if (typeof value === "object" && value !== null && !Array.isArray(value)) rows.push({ row, entries: Object.entries(value) });
      else rows.push({ row, entries: null, unreadable: "must be a JSON object of feature name to value" });
    } catch (error) {
      rows.push({ row, entries: null, unreadable: `must be valid JSON (${error instanceof SyntaxError ? error.message : "unparseable"})` });
    }
  }
  return rows;
}

function listCell(text: string): unknown {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.map((v) => (typeof v === "string" ? v : JSON.stringify(v))) : text;
  } catch {
    return text;
  }
}

/** CSV as the bulk route reads it: empty cells are missing values, collections are JSON arrays. Rows count from the first data line. */
function csvRows(text: string): Result<BulkRow[]> {
  const parsed = parseCsv(text, "file");
  if (!parsed.ok) return parsed;
  return ok(
    parsed.value.map((record, i) => ({
      row: i + 1,
      entries: Object.entries(record)
        .filter(([, v]) => v !== "")
        .map(([k, v]): [string, unknown] => [k, v.startsWith("[") ? listCell(v) : v]),
    })),
  );
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
function tableRows(table: Table): BulkRow[] {
  const columns = table.schema.fields
    .filter((f) => !RESERVED.includes(f.name))
    .map((f) => {
      const list = DataType.isList(f.type);
      const timestamp = DataType.isTimestamp(list ? f.type.children[0]!.type : f.type) || DataType.isDate(f.type);
      return { name: f.name, vector: table.getChild(f.name)!, list, timestamp };
    });
  const rows: BulkRow[] = [];
  for (let i = 0; i < table.numRows; i++) {
    const entries: [string, unknown][] = [];
    for (const { name, vector, list, timestamp } of columns) {
      const value: unknown = vector.get(i);
      if (value === null || value === undefined) continue;
      entries.push([name, list ? Array.from(value as Iterable<unknown>, (v) => scalarOf(v, timestamp)) : scalarOf(value, timestamp)]);
    }
    rows.push({ row: i + 1, entries });
  }
  return rows;
}

function decodeText(bytes: Uint8Array): Result<string> {
  try {
    return ok(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes));
  } catch {
    return invalid("file", "must be UTF-8 text");
  }
}

/** Reads one object's bytes in a format; a failure says why the whole file is unreadable. */
export function readObject(format: SourceFormat, bytes: Uint8Array): Result<ReadObject> {
  let rows: BulkRow[];
  if (format === "parquet") {
    let table: Table;
    try {
      table = decodeParquet(bytes);
    } catch (error) {
      return invalid("file", `must be a Parquet file (${error instanceof Error ? error.message : String(error)})`);
    }
    if (table.numRows > MAX_ROWS_PER_OBJECT) return invalid("file", `must hold at most ${MAX_ROWS_PER_OBJECT} rows; split it`);
    rows = tableRows(table);
  } else {
    const text = decodeText(bytes);
    if (!text.ok) return text;
    if (format === "csv") {
      const parsed = csvRows(text.value);
      if (!parsed.ok) return parsed;
      rows = parsed.value;
    } else rows = ndjsonRows(text.value);
  }
  if (rows.length > MAX_ROWS_PER_OBJECT) return invalid("file", `must hold at most ${MAX_ROWS_PER_OBJECT} rows; split it`);
  return ok({ rows, encoding: format === "csv" ? "strings" : "typed" });
}
