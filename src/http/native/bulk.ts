import { Hono } from "hono";
import { fail, invalid, orThrow, type Result } from "../../failure";
import { IDEMPOTENCY_KEY_HEADER, parseIdempotencyKey } from "../../ingest/idempotency";
import { bulkIngest, type BulkRow, type BulkTimings, type StoreTarget } from "../../service";
import type { AppContext, AppEnv } from "../context";
import { authorize } from "../authorize";
import { groupParam } from "../resources";
import { parseCsv } from "../csv";
import { failureMessage } from "../failures";
import { declaresMoreThan, readBodyBytes, readTextBody } from "../body";
import { parseJson } from "../json";
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

/** One NDJSON line holds one record (at most 350 KB canonical); room for whitespace and escapes. */
export const MAX_NDJSON_LINE_BYTES = 2 * 1024 * 1024;
const NEWLINE = 0x0a;

function joinBytes(parts: readonly Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

/**
 * The body's lines as bytes, split on LF (a byte UTF-8 never uses inside a
 * multi-byte character). Each chunk is scanned once, so a long line costs
 * linear time, and the body and each line are counted in bytes as they
 * arrive, before anything is decoded or kept.
 */
async function* ndjsonLines(body: ReadableStream<Uint8Array>, tooLarge: (field: string, limitBytes: number) => never): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  let parts: Uint8Array[] = [];
  let lineBytes = 0;
  let bodyBytes = 0;
  let lines = 0;
  const take = (piece: Uint8Array): void => {
    lineBytes += piece.byteLength;
    if (lineBytes > MAX_NDJSON_LINE_BYTES) tooLarge(`body line ${lines + 1}`, MAX_NDJSON_LINE_BYTES);
    if (piece.byteLength > 0) parts.push(piece);
  };
  const finish = (): Uint8Array => {
    const line = joinBytes(parts, lineBytes);
    parts = [];
    lineBytes = 0;
    lines += 1;
    return line;
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bodyBytes += value.byteLength;
      if (bodyBytes > MAX_BULK_BODY_BYTES) tooLarge("body", MAX_BULK_BODY_BYTES);
      let start = 0;
      let newline: number;
      while ((newline = value.indexOf(NEWLINE, start)) >= 0) {
        take(value.subarray(start, newline));
        yield finish();
        start = newline + 1;
      }
      take(value.subarray(start));
    }
  } finally {
    reader.releaseLock();
  }
  if (lineBytes > 0) yield finish();
}

/** NDJSON rows as they stream in; the body is never held whole. Blank lines are skipped. */
async function* ndjsonRows(body: ReadableStream<Uint8Array>, tooLarge: (field: string, limitBytes: number) => never): AsyncGenerator<BulkRow> {
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
  let row = 0;
  for await (const bytes of ndjsonLines(body, tooLarge)) {
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      row += 1;
      yield { row, entries: null, unreadable: "must be UTF-8 text" };
      continue;
    }
    if (text.trim() === "") continue;
    row += 1;
    const parsed = parseJson(text, `line ${row}`);
    if (!parsed.ok) yield { row, entries: null, unreadable: parsed.failure.reason === "invalid_field" ? parsed.failure.rule : "is unreadable" };
    else if (typeof parsed.value === "object" && parsed.value !== null && !Array.isArray(parsed.value)) yield { row, entries: Object.entries(parsed.value) };
    else yield { row, entries: null, unreadable: "must be a JSON object of feature name to value" };
  }
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
  const parsed = parseJson(text, "cell");
  if (!parsed.ok || !Array.isArray(parsed.value)) return text;
  return parsed.value.map((v: unknown) => (typeof v === "string" ? v : JSON.stringify(v)));
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
/** Refuses a body (or one NDJSON line) over its limit; the body as a whole by default. */
type TooLarge = (field?: string, limitBytes?: number) => never;

async function bodyRows(c: AppContext, type: string, tooLarge: TooLarge): Promise<(schema: RecordSchema) => AsyncIterable<BulkRow>> {
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
  const tooLarge: TooLarge = (field = "body", limit = limitBytes) => orThrow(fail({ reason: "payload_too_large", field, limitBytes: limit }));
  // Refused before a byte is read when the client declares the size.
  if (declaresMoreThan(c.req.raw, limitBytes)) tooLarge();
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
