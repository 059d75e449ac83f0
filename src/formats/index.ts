/**
 * One reader per input format (NDJSON, CSV, Arrow IPC, Parquet): bytes plus
 * limits in, rows out, for every path that reads rows (the bulk route,
 * ingest jobs, dataset entity objects, the CLI). The row-number convention
 * and the faults they share are in rows.ts.
 */
export { ndjsonRows, ndjsonRowsOfBytes } from "./ndjson";
export { csvHeader, csvObjects, csvRows, csvRowsOfBytes, csvRowsOfText, listCell, toCsv } from "./csv";
export { ARROW_FILE_TYPE, ARROW_STREAM_TYPE, arrowFileRows, arrowStreamRows, PARQUET_TYPE, parquetRows } from "./columnar";
export { DEFAULT_JSON_LIMITS, MAX_JSON_DEPTH, MAX_JSON_ITEMS, MAX_JSON_STRING_CHARS, parseJson, type JsonLimits } from "./json";
export { UnreadableInput, type ByteSource, type ReadLimits, type ReadOptions, type SourceRow } from "./rows";
