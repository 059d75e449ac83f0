import { Hono } from "hono";
import { fail, invalid, orThrow, type Result } from "../../failure";
import { IDEMPOTENCY_KEY_HEADER, parseIdempotencyKey } from "../../ingest/idempotency";
import { bulkIngest, type BulkRow, type BulkTimings, type StoreTarget } from "../../service";
import type { AppContext, AppEnv } from "../context";
import { authorize } from "../authorize";
import { groupParam } from "../resources";
import { parseCsv } from "../csv";
import { failureMessage } from "../failures";
import { readBodyBytes, readTextBody } from "../body";
import { ARROW_FILE_TYPE, ARROW_STREAM_TYPE, arrowFileRows, arrowStreamRows, MAX_BUFFERED_BODY_BYTES, PARQUET_TYPE, parquetRows } from "../../ingest/columnar";
import type { RecordSchema } from "../../records";
import { enumParam, listParam } from "../query";

/**
 * POST /v1/feature-groups/{name}/records/batch: bulk ingest of NDJSON
 * (streamed line by line), CSV, Arrow IPC (stream: decoded batch by batch
 * as it arrives; file) or Parquet (see ingest/columnar.ts). `targetStores`
 * picks online, offline or both; `onInvalid=reject` (default) writes
 * nothing if any row is invalid, `onInvalid=skip` writes the valid rows.
 * Either way the report names each bad row, its field and the rule.
 */
export const bulkRoutes = new Hono<AppEnv>();

const MAX_BULK_BODY_BYTES = 64 * 1024 * 1024;
export const MAX_BULK_ROWS = 100_000;

/** NDJSON rows as they stream in; the body is never held whole. */
async function* ndjsonRows(body: ReadableStream<Uint8Array>, tooLarge: () => never): AsyncGenerator<BulkRow> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let pending = "";
  let line = 0;
  let bytes = 0;
  const parse = (text: string): BulkRow => {
    line += 1;
    try {
      const value: unknown = JSON.parse(text);
      if (typeof value === "object" && value !== null && !Array.isArray(value)) return { row: line, entries: Object.entries(value) };
      return { row: line, entries: null, unreadable: "must be a JSON object of feature name to value" };
    } catch (error) {
      return { row: line, entries: null, unreadable: `must be valid JSON (${error instanceof SyntaxError ? error.message : "unparseable"})` };
    }
  };
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.length;
    if (bytes > MAX_BULK_BODY_BYTES) tooLarge();
    pending += value;
    let newline: number;
    while ((newline = pending.indexOf("\n")) >= 0) {
      const text = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (text) yield parse(text);
    }
  }
  if (pending.trim()) yield parse(pending.trim());
}

async function* csvRows(text: string): AsyncGenerator<BulkRow> {
  const rows = orThrow(parseCsv(text, "body"));
  for (const [i, row] of rows.entries()) {
    // Empty cells are missing values; collections arrive as JSON arrays of values.
    const entries = Object.entries(row)
      .filter(([, v]) => v !== "")
      .map(([k, v]): [string, unknown] => [k, v.startsWith("[") ? listCell(v) : v]);
    yield { row: i + 1, entries };
  }
}

function listCell(text: string): unknown {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.map((v) => (typeof v === "string" ? v : JSON.stringify(v))) : text;
  } catch {
    return text;
  }
}

async function* limited(rows: AsyncIterable<BulkRow>): AsyncGenerator<BulkRow> {
  let count = 0;
  for await (const row of rows) {
    count += 1;
    if (count > MAX_BULK_ROWS) orThrow(invalid("body", `must hold at most ${MAX_BULK_ROWS} rows per request`));
    yield row;
  }
}

function targets(c: AppContext): Result<StoreTarget[] | undefined> {
  const raw = listParam(c, "targetStores");
  if (raw.length === 0) return { ok: true, value: undefined };
  return raw.every((t): t is StoreTarget => t === "online" || t === "offline") ? { ok: true, value: raw } : invalid("targetStores", "must list online and/or offline");
}

const NDJSON_TYPES = ["application/x-ndjson", "application/jsonl", "application/json"];
const CONTENT_TYPE_RULE = `must be application/x-ndjson, text/csv, ${ARROW_STREAM_TYPE}, ${ARROW_FILE_TYPE} or ${PARQUET_TYPE}`;

/** Picks the row reader for the body's content type; buffered formats are read (within their limit) before anything else. */
async function bodyRows(c: AppContext, type: string, tooLarge: () => never): Promise<(schema: RecordSchema) => AsyncIterable<BulkRow>> {
  if (![...NDJSON_TYPES, "text/csv", ARROW_STREAM_TYPE, ARROW_FILE_TYPE, PARQUET_TYPE].includes(type)) return orThrow(invalid("content-type", CONTENT_TYPE_RULE));
  if (type === "text/csv") {
    const text = orThrow(await readTextBody(c.req.raw, MAX_BULK_BODY_BYTES));
    return () => csvRows(text);
  }
  if (type === ARROW_FILE_TYPE || type === PARQUET_TYPE) {
    const bytes = orThrow(await readBodyBytes(c.req.raw, MAX_BUFFERED_BODY_BYTES));
    return (schema) => (type === PARQUET_TYPE ? parquetRows(bytes, schema.features, tooLarge) : arrowFileRows(bytes, schema.features, tooLarge));
  }
  const body = c.req.raw.body;
  if (!body) return orThrow(invalid("body", "must hold at least one row"));
  if (type === ARROW_STREAM_TYPE) return (schema) => arrowStreamRows(body, schema.features, MAX_BULK_BODY_BYTES, tooLarge);
  return () => ndjsonRows(body, tooLarge);
}

bulkRoutes.post("/feature-groups/:name/records/batch", authorize("featurestore:BulkIngest", groupParam), async (c) => {
  const type = (c.req.header("content-type") ?? "application/x-ndjson").split(";")[0]!.trim().toLowerCase();
  const onInvalid = orThrow(enumParam(c, "onInvalid", ["reject", "skip"] as const, "reject"));
  const targetStores = orThrow(targets(c));
  const limitBytes = type === ARROW_FILE_TYPE || type === PARQUET_TYPE ? MAX_BUFFERED_BODY_BYTES : MAX_BULK_BODY_BYTES;
  const tooLarge = (): never => orThrow(fail({ reason: "payload_too_large", field: "body", limitBytes }));
  // Refused before a byte is read when the client declares the size.
  if (Number(c.req.header("content-length") ?? "0") > limitBytes) tooLarge();
  const rows = await bodyRows(c, type, tooLarge);
  const idempotencyKey = orThrow(parseIdempotencyKey(c.req.header(IDEMPOTENCY_KEY_HEADER)));
  const timings: BulkTimings = { readMs: 0, offlineMs: 0, onlineMs: 0 };
  const result = orThrow(
    await bulkIngest(
      c.get("store"),
      { db: c.get("store").db, bucket: c.env.OFFLINE_BUCKET, location: c.env },
      { featureGroup: c.req.param("name"), encoding: type === "text/csv" ? "strings" : "typed", onInvalid, ...(targetStores ? { targetStores } : {}), ...(idempotencyKey ? { idempotencyKey } : {}) },
      (schema) => limited(rows(schema)),
      timings,
    ),
  );
  c.header("server-timing", `read;dur=${timings.readMs}, offline;dur=${timings.offlineMs}, online;dur=${timings.onlineMs}`);
  const { failure, ...report } = result;
  if (result.invalidRows > 0 && onInvalid === "reject") {
    const message = `${result.invalidRows} of ${result.rows} rows are invalid; nothing was written`;
    return c.json({ error: { code: "invalid_rows", message, requestId: c.get("requestId") }, report }, 400);
  }
  return c.json({ ...report, ...(failure ? { error: { code: failure.reason, message: failureMessage(failure) } } : {}) }, failure ? 207 : 200);
});
