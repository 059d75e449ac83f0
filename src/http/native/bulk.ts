import { Hono } from "hono";
import { fail, invalid, orThrow, type Result } from "../../failure";
import { IDEMPOTENCY_KEY_HEADER, parseIdempotencyKey } from "../../ingest/idempotency";
import { bulkIngest, type BulkRow, type BulkTimings, type StoreTarget } from "../../service";
import type { AppContext, AppEnv } from "../context";
import { authorize } from "../authorize";
import { groupParam } from "../resources";
import { failureMessage } from "../failures";
import { NATIVE_ERROR_CODES, type NativeErrorCode } from "../error-codes";
import { declaresMoreThan, readBodyBytes } from "../body";
import { ARROW_FILE_TYPE, ARROW_STREAM_TYPE, arrowFileRows, arrowStreamRows, csvRows, ndjsonRows, PARQUET_TYPE, parquetRows, UnreadableInput, type ReadOptions } from "../../formats";
import { MAX_BUFFERED_BODY_BYTES, MAX_BULK_BODY_BYTES, MAX_BULK_ROWS, MAX_NDJSON_LINE_BYTES, parseAvailabilityText, type Availability, type RecordSchema } from "../../records";
import { enumParam, listParam } from "../query";

/**
 * POST /v1/feature-groups/{name}/records/batch: bulk ingest of NDJSON
 * (streamed line by line), CSV (streamed record by record), Arrow IPC
 * (stream: decoded batch by batch as it arrives; file) or Parquet, each read
 * by its reader in src/formats, which also numbers the rows. `targetStores` picks online, offline or both;
 * `onInvalid=reject` (default) writes nothing if any row is invalid,
 * `onInvalid=skip` writes the valid rows.
 * Either way the report names each bad row, its field and the rule.
 */
export const bulkRoutes = new Hono<AppEnv>();

/**
 * Knowledge time of the offline rows: `availableFrom=accepted` (the default:
 * when the store accepted the request) or `availableFrom=eventTime`, with an
 * optional `availableDelay` (2h, 90m, 1d) after the event time.
 */
function availability(c: AppContext): Result<Availability | undefined> {
  const from = c.req.query("availableFrom");
  const delay = c.req.query("availableDelay");
  if (from === undefined) return delay === undefined ? { ok: true, value: undefined } : invalid("availableDelay", "needs availableFrom=eventTime");
  return parseAvailabilityText("availableFrom", from, "availableDelay", delay);
}

function targets(c: AppContext): Result<StoreTarget[] | undefined> {
  const raw = listParam(c, "targetStores");
  if (raw.length === 0) return { ok: true, value: undefined };
  return raw.every((t): t is StoreTarget => t === "online" || t === "offline") ? { ok: true, value: raw } : invalid("targetStores", "must list online and/or offline");
}

const NDJSON_TYPES = ["application/x-ndjson", "application/jsonl", "application/json"];
const CONTENT_TYPE_RULE = `must be application/x-ndjson, text/csv, ${ARROW_STREAM_TYPE}, ${ARROW_FILE_TYPE} or ${PARQUET_TYPE}`;

/** The body's limits: a fault of the whole body is a 400 or 413 naming "body" (or "body line N"). */
const streamedLimits: ReadOptions = { field: "body", maxBytes: MAX_BULK_BODY_BYTES, maxRows: MAX_BULK_ROWS, maxLineBytes: MAX_NDJSON_LINE_BYTES };
const bufferedLimits: ReadOptions = { field: "body", maxBytes: MAX_BUFFERED_BODY_BYTES, maxRows: MAX_BULK_ROWS };

/** Picks the row reader for the body's content type; buffered formats are read (within their limit) before anything else. */
async function bodyRows(c: AppContext, type: string): Promise<(schema: RecordSchema) => AsyncIterable<BulkRow>> {
  if (![...NDJSON_TYPES, "text/csv", ARROW_STREAM_TYPE, ARROW_FILE_TYPE, PARQUET_TYPE].includes(type)) return orThrow(invalid("content-type", CONTENT_TYPE_RULE));
  if (type === ARROW_FILE_TYPE || type === PARQUET_TYPE) {
    const bytes = orThrow(await readBodyBytes(c.req.raw, MAX_BUFFERED_BODY_BYTES));
    if (type === ARROW_FILE_TYPE) return (schema) => arrowFileRows(bytes, schema.features, bufferedLimits);
    // The Blob is the only copy kept: parquet-wasm reads its pages from it.
    const blob = new Blob([bytes]);
    return (schema) => parquetRows(blob, schema.features, bufferedLimits);
  }
  const body = c.req.raw.body;
  if (type === "text/csv") return () => csvRows(body ?? new Uint8Array(0), streamedLimits);
  if (!body) return orThrow(invalid("body", "must hold at least one row"));
  if (type === ARROW_STREAM_TYPE) return (schema) => arrowStreamRows(body, schema.features, streamedLimits);
  return () => ndjsonRows(body, streamedLimits);
}

/** Bulk ingest of the body's rows; a fault of the whole body (found while reading it) is the request's failure. */
async function ingestBody(...args: Parameters<typeof bulkIngest>): ReturnType<typeof bulkIngest> {
  try {
    return await bulkIngest(...args);
  } catch (error) {
    if (error instanceof UnreadableInput) return fail(error.failure);
    throw error;
  }
}

bulkRoutes.post("/feature-groups/:name/records/batch", authorize("featurestore:BulkIngest", groupParam), async (c) => {
  const type = (c.req.header("content-type") ?? "application/x-ndjson").split(";")[0]!.trim().toLowerCase();
  const onInvalid = orThrow(enumParam(c, "onInvalid", ["reject", "skip"] as const, "reject"));
  const targetStores = orThrow(targets(c));
  const available = orThrow(availability(c));
  const limitBytes = type === ARROW_FILE_TYPE || type === PARQUET_TYPE ? MAX_BUFFERED_BODY_BYTES : MAX_BULK_BODY_BYTES;
  // Refused before a byte is read when the client declares the size.
  if (declaresMoreThan(c.req.raw, limitBytes)) orThrow(fail({ reason: "payload_too_large", field: "body", limitBytes }));
  const rows = await bodyRows(c, type);
  const idempotencyKey = orThrow(parseIdempotencyKey(c.req.header(IDEMPOTENCY_KEY_HEADER)));
  const timings: BulkTimings = { readMs: 0, offlineMs: 0, onlineMs: 0 };
  const result = orThrow(
    await ingestBody(
      c.get("store"),
      { db: c.get("store").db, bucket: c.env.OFFLINE_BUCKET, location: c.env },
      {
        featureGroup: c.req.param("name"),
        encoding: type === "text/csv" ? "strings" : "typed",
        onInvalid,
        ...(targetStores ? { targetStores } : {}),
        ...(idempotencyKey ? { idempotencyKey } : {}),
        ...(available ? { availability: available, availabilityField: "availableFrom" } : {}),
      },
      rows,
      timings,
    ),
  );
  c.header("server-timing", `read;dur=${timings.readMs}, offline;dur=${timings.offlineMs}, online;dur=${timings.onlineMs}`);
  const { failure, ...report } = result;
  if (result.invalidRows > 0 && onInvalid === "reject") {
    const message = `${result.invalidRows} of ${result.rows} rows are invalid; nothing was written`;
    return c.json({ error: { code: "invalid_rows" satisfies NativeErrorCode, message, requestId: c.get("requestId") }, report }, NATIVE_ERROR_CODES.invalid_rows.status);
  }
  return c.json({ ...report, ...(failure ? { error: { code: failure.reason, message: failureMessage(failure) } } : {}) }, failure ? 207 : 200);
});
