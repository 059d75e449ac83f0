import { z } from "zod";
import { fail, invalid, orThrow, type Result } from "../../failure";
import { IDEMPOTENCY_KEY_HEADER, parseIdempotencyKey } from "../../ingest";
import { bulkIngest, type BulkRow, type BulkTimings } from "../../service";
import type { AppContext } from "../context";
import { RouteGroup } from "../route";
import { enumQuery, errorResponse, groupPath, named, stringQuery } from "./schemas/common";
import { bulkIngestReport } from "./schemas/records";
import { storeTargetList } from "./record-input";
import { groupParam } from "../resources";
import { failureMessage } from "../failures";
import { NATIVE_ERROR_CODES, type NativeErrorCode } from "../error-codes";
import { declaresMoreThan, readBodyBytes } from "../body";
import { ARROW_FILE_TYPE, ARROW_STREAM_TYPE, arrowFileRows, arrowStreamRows, csvRows, ndjsonRows, PARQUET_TYPE, parquetRows, UnreadableInput, type ReadOptions } from "../../formats";
import { MAX_BUFFERED_BODY_BYTES, MAX_BULK_BODY_BYTES, MAX_BULK_ROWS, MAX_NDJSON_LINE_BYTES, parseAvailabilityText, type Availability, type RecordSchema } from "../../records";

/**
 * POST /v1/feature-groups/{name}/records/batch: bulk ingest of NDJSON
 * (streamed line by line), CSV (streamed record by record), Arrow IPC
 * (stream: decoded batch by batch as it arrives; file) or Parquet, each read
 * by its reader in src/formats, which also numbers the rows. `targetStores` picks online, offline or both;
 * `onInvalid=reject` (default) writes nothing if any row is invalid,
 * `onInvalid=skip` writes the valid rows.
 * Either way the report names each bad row, its field and the rule.
 */
export const bulkRoutes = new RouteGroup("/");

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

const TARGETS_RULE = "must list online and/or offline";

bulkRoutes.add(
  {
    method: "post",
    path: "/feature-groups/:name/records/batch",
    operationId: "bulkIngest",
    summary: "Write many records from NDJSON, CSV, Arrow or Parquet",
    tag: "Records",
    action: "featurestore:BulkIngest",
    groups: groupParam,
    params: groupPath,
    query: z.object({
      onInvalid: enumQuery(["reject", "skip"], "reject", "reject writes nothing when a row is invalid; skip writes the valid rows."),
      targetStores: storeTargetList(TARGETS_RULE).optional().describe("The stores to write (default: every store the group has). Repeat the parameter or separate items with commas."),
      availableFrom: stringQuery("Knowledge time of offline rows: accepted (the default) or eventTime."),
      availableDelay: stringQuery("With availableFrom=eventTime: a delay after the event time (2h, 90m, 1d)."),
    }),
    rawBody: {
      contentTypes: [...NDJSON_TYPES, "text/csv", ARROW_STREAM_TYPE, ARROW_FILE_TYPE, PARQUET_TYPE],
      maxBytes: MAX_BULK_BODY_BYTES,
      description: `Rows, one record each; NDJSON, CSV and Arrow streams are read as they arrive (up to ${MAX_BULK_BODY_BYTES} bytes), Arrow files and Parquet buffered (up to ${MAX_BUFFERED_BODY_BYTES}). An idempotency-key header makes a retry write nothing twice.`,
    },
    responses: [
      { status: 200, description: "Every valid row written; the report names invalid rows.", schema: bulkIngestReport },
      { status: 207, description: "Some valid rows were not written (a shard failed part-way); `error` says why.", schema: bulkIngestReport },
      { status: 400, description: "With onInvalid=reject and invalid rows: nothing written; `report` names each row, field and rule.", schema: named("InvalidRowsError", errorResponse.extend({ report: bulkIngestReport })) },
    ],
    example: { params: { name: "users" }, query: { onInvalid: "skip", targetStores: ["online", "offline"] } },
  },
  async (c, { params, query }) => {
  const type = (c.req.header("content-type") ?? "application/x-ndjson").split(";")[0]!.trim().toLowerCase();
  const onInvalid = query.onInvalid;
  const targetStores = query.targetStores;
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
        featureGroup: params.name,
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
},
);
