import { csvRows, ndjsonRows, parquetRows, type ReadOptions } from "../formats";
import { MAX_NDJSON_LINE_BYTES, type RecordSchema, type ValueEncoding } from "../records";
import type { BulkRow } from "../service";
import type { SourceFormat } from "./model";

/**
 * Reads a landed object into bulk-ingest rows with the readers the bulk
 * route uses (src/formats), so a file reads exactly as the same body posted
 * would: the same row numbers, byte order mark handling and JSON shape
 * limits. The object's bytes are held (MAX_OBJECT_BYTES), but its rows are
 * produced lazily, as bulk ingest takes them: 100,000 decoded rows of a wide
 * group held at once are several times the isolate's 128 MB
 * (docs/limits.md). Values keep the types the format carries: NDJSON and
 * Parquet are typed, CSV cells are strings (converted by the feature's type).
 *
 * A fault of the whole file found while its rows are read (too many rows, an
 * unterminated quote, not UTF-8, not Parquet) is thrown as UnreadableInput;
 * bulk ingest then writes nothing of the file.
 */
export const MAX_OBJECT_BYTES = 16 * 1024 * 1024;
export const MAX_ROWS_PER_OBJECT = 100_000;

export interface ReadObject {
  rows: (schema: RecordSchema) => AsyncIterable<BulkRow>;
  encoding: ValueEncoding;
}

const OBJECT_LIMITS: ReadOptions = { field: "file", maxBytes: MAX_OBJECT_BYTES, maxRows: MAX_ROWS_PER_OBJECT, maxLineBytes: MAX_NDJSON_LINE_BYTES };

/** One object's rows in its format, read when bulk ingest asks for them. */
export function readObject(format: SourceFormat, bytes: Uint8Array): ReadObject {
  if (format === "parquet") {
    const blob = new Blob([bytes]);
    return { rows: (schema) => parquetRows(blob, schema.features, OBJECT_LIMITS), encoding: "typed" };
  }
  if (format === "csv") return { rows: () => csvRows(bytes, OBJECT_LIMITS), encoding: "strings" };
  return { rows: () => ndjsonRows(bytes, OBJECT_LIMITS), encoding: "typed" };
}
