import type { Table } from "apache-arrow";
import { invalid, ok, type Result } from "../failure";
import { csvObjects, ndjsonRowsOfBytes, UnreadableInput, type ReadOptions } from "../formats";
import { bucketSource, ObjectGone, ParquetFooterError, readFooter, readRowGroup, type ByteSource, type FooterLayout } from "../parquet";
import { columnOfTable, requestRow, rowsOfTable, type RowName } from "./entities";

/**
 * The entity list of a dataset job, read chunk by chunk from R2 so no
 * invocation holds more than one chunk: a Parquet object chunks by row
 * group; CSV and NDJSON chunk by byte range (CHUNK_BYTES), each chunk
 * taking the lines that start in its range. CSV entity objects for jobs
 * therefore may not have line breaks inside quoted fields.
 */
export type EntitySource = { format: "parquet" | "csv" | "ndjson"; key: string };

export const CHUNK_BYTES = 4 * 1024 * 1024;
/** Entity rows one chunk may hold: bounds a job invocation's memory (see docs/time-travel.md). */
export const MAX_CHUNK_ROWS = 150_000;
const READ_AHEAD = 64 * 1024;

export interface SourceLayout {
  size: number;
  chunks: number;
  /** Known up front for Parquet only. */
  rows?: number;
  /** Parquet: the footer sizing read, so reading a chunk does not fetch it again. */
  footer?: FooterLayout;
  /** CSV: where the first data line starts, and the header. */
  dataStart?: number;
  header?: string;
}

/** Bytes up to and including the next LF at or after `from`, reading ahead as needed; the end offset. */
async function lineEnd(source: ByteSource, from: number): Promise<number> {
  const size = source.size;
  let offset = from;
  while (offset < size) {
    const bytes = await source.read(offset, Math.min(READ_AHEAD, size - offset));
    const lf = bytes.indexOf(10);
    if (lf !== -1) return offset + lf + 1;
    offset += bytes.length;
  }
  return size;
}

export async function sourceLayout(bucket: R2Bucket, source: EntitySource): Promise<Result<SourceLayout>> {
  const head = await bucket.head(source.key);
  if (!head) throw new ObjectGone(source.key);
  const size = head.size;
  const bytes = bucketSource(bucket, source.key, size);
  if (source.format === "parquet") {
    let layout: FooterLayout;
    try {
      ({ layout } = await readFooter(bytes));
    } catch (error) {
      if (!(error instanceof ParquetFooterError)) throw error;
      return invalid("entities.object", `must be a Parquet file (${error.message})`);
    }
    const big = layout.rowGroups.find((g) => g.numRows > MAX_CHUNK_ROWS);
    if (big) return invalid("entities.object", `has a row group of ${big.numRows} rows; entity Parquet for jobs must be written in row groups of at most ${MAX_CHUNK_ROWS} rows`);
    return ok({ size, chunks: layout.rowGroups.length, rows: layout.numRows, footer: layout });
  }
  if (source.format === "csv") {
    const dataStart = await lineEnd(bytes, 0);
    const header = new TextDecoder().decode(await bytes.read(0, dataStart)).replace(/\r?\n$/, "");
    if (header.length === 0) return invalid("entities.object", "must have a header row");
    return ok({ size, dataStart, header, chunks: Math.max(1, Math.ceil((size - dataStart) / CHUNK_BYTES)) });
  }
  return ok({ size, dataStart: 0, chunks: Math.max(1, Math.ceil(size / CHUNK_BYTES)) });
}

/** The bytes of the lines whose first byte lies in [start, end). */
async function linesIn(source: ByteSource, start: number, end: number): Promise<Uint8Array> {
  if (start >= source.size || start >= end) return new Uint8Array(0);
  // A line starts at `start` only if the byte before it ends a line.
  const first = start === 0 ? 0 : await lineEnd(source, start - 1);
  if (first >= end) return new Uint8Array(0);
  const last = await lineEnd(source, end - 1);
  return source.read(first, last - first);
}

/**
 * How a chunk's faults are named: the first chunk by physical line (the
 * convention of every reader), a later one by its line within the chunk,
 * since its line number in the file is not known without reading the bytes
 * before it.
 */
function chunkOptions(n: number, start: number): ReadOptions {
  return n === 0 ? { field: "entities.object" } : { field: `entities.object (the lines from byte ${start})`, firstLine: 1 };
}

/** Entity rows of NDJSON lines: each a JSON object, read under the JSON shape limits. */
function ndjsonObjects(bytes: Uint8Array, options: ReadOptions): Result<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  try {
    for (const row of ndjsonRowsOfBytes(bytes, options)) {
      if (!row.entries) return invalid(`${options.field} line ${row.row}`, row.unreadable === "must be a JSON object of feature name to value" ? "must be a JSON object" : row.unreadable ?? "must be a JSON object");
      rows.push(Object.fromEntries(row.entries));
    }
  } catch (error) {
    if (error instanceof UnreadableInput) return { ok: false, failure: error.failure };
    throw error;
  }
  return ok(rows);
}

/**
 * One chunk of entity rows, handed out a range at a time: a job step joins
 * only part of a wide chunk, and rows it does not join yet cost no objects
 * when they come from Parquet.
 */
export interface EntityChunk {
  count: number;
  /** Column names in the first row's order (none for an empty chunk). */
  columns: string[];
  /** Rows [from, to) as JSON-like objects. */
  rows(from: number, to: number): Record<string, unknown>[];
  /** Every row's value of one column. */
  column(name: string): unknown[];
  /** From Parquet: the decoded columns, which a typed result can take as they are. */
  table?: Table;
  /** How messages name the chunk's row i: chunks run in parallel, so a later CSV or NDJSON chunk does not know its rows' numbers in the file. */
  rowName: RowName;
}

function parsedChunk(rows: Record<string, unknown>[], rowName: RowName): EntityChunk {
  return {
    rowName,
    count: rows.length,
    columns: Object.keys(rows[0] ?? {}),
    rows: (from, to) => rows.slice(from, to),
    column: (name) => rows.map((r) => r[name]),
  };
}

function tableChunk(table: Table, firstRow: number): EntityChunk {
  return {
    rowName: (i) => requestRow(firstRow + i),
    count: table.numRows,
    columns: table.numRows > 0 ? table.schema.fields.map((f) => f.name) : [],
    rows: (from, to) => rowsOfTable(table, from, to),
    column: (name) => columnOfTable(table, name),
    table,
  };
}

/** Entity rows of chunk n. */
export async function readChunk(bucket: R2Bucket, source: EntitySource, layout: SourceLayout, n: number): Promise<Result<EntityChunk>> {
  const object = bucketSource(bucket, source.key, layout.size);
  if (source.format === "parquet") {
    // sourceLayout keeps a Parquet object's footer.
    const footer = layout.footer!;
    const firstRow = footer.rowGroups.slice(0, n).reduce((rows, g) => rows + g.numRows, 0);
    return ok(tableChunk(await readRowGroup(object, footer, footer.rowGroups[n]!), firstRow));
  }
  const start = (layout.dataStart ?? 0) + n * CHUNK_BYTES;
  const bytes = await linesIn(object, start, Math.min(layout.size, start + CHUNK_BYTES));
  const options = chunkOptions(n, start);
  const rowName: RowName = n === 0 ? requestRow : (i) => `${options.field} row ${i + 1}`;
  if (source.format === "csv") {
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
    } catch {
      return invalid(options.field, "must be UTF-8 text");
    }
    // The header (line 1) goes first: the first chunk's data starts on line 2, a later chunk's on its line 1.
    const parsed = csvObjects(`${layout.header}\n${text}`, { ...options, firstLine: n === 0 ? 1 : 0 });
    if (!parsed.ok) return parsed;
    return ok(parsedChunk(parsed.value, rowName));
  }
  const rows = ndjsonObjects(bytes, options);
  return rows.ok ? ok(parsedChunk(rows.value, rowName)) : rows;
}
