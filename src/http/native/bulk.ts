import { z } from "zod";
import { fail, invalid, orThrow, type Failure, type Result } from "../../failure";
import { IDEMPOTENCY_KEY_HEADER, parseIdempotencyKey } from "../../ingest/idempotency";
import { bulkIngest, type BulkRow, type BulkTimings } from "../../service";
import type { AppContext } from "../context";
import { RouteGroup } from "../route";
import { enumQuery, errorResponse, groupPath, named, stringQuery } from "./schemas/common";
import { bulkIngestReport } from "./schemas/records";
import { storeTargetList } from "./record-input";
import { groupParam } from "../resources";
import { CsvRecords } from "../../ingest/csv-records";
import { failureMessage } from "../failures";
import { NATIVE_ERROR_CODES, type NativeErrorCode } from "../error-codes";
import { declaresMoreThan, readBodyBytes } from "../body";
import { parseJson } from "../json";
import { ARROW_FILE_TYPE, ARROW_STREAM_TYPE, arrowFileRows, arrowStreamRows, PARQUET_TYPE, parquetRows } from "../../ingest/columnar";
import { MAX_BUFFERED_BODY_BYTES, MAX_BULK_BODY_BYTES, MAX_BULK_ROWS, MAX_NDJSON_LINE_BYTES, parseAvailabilityText, type Availability, type RecordSchema } from "../../records";

/**
 * POST /v1/feature-groups/{name}/records/batch: bulk ingest of NDJSON
 * (streamed line by line), CSV (streamed record by record), Arrow IPC
 * (stream: decoded batch by batch as it arrives; file) or Parquet (see
 * ingest/columnar.ts). `targetStores` picks online, offline or both;
 * `onInvalid=reject` (default) writes nothing if any row is invalid,
 * `onInvalid=skip` writes the valid rows.
 * Either way the report names each bad row, its field and the rule.
 */
export const bulkRoutes = new RouteGroup("/");

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

const BOM = "\ufeff";

/** Refuses the row past MAX_BULK_ROWS. */
function countRow(count: number): void {
  if (count > MAX_BULK_ROWS) orThrow(invalid("body", `must hold at most ${MAX_BULK_ROWS} rows per request`));
}

/**
 * NDJSON rows as they stream in; the body is never held whole. Lines are
 * split on LF (a byte UTF-8 never uses inside a multi-byte character) and
 * counted in bytes as they arrive, before anything is decoded or kept. The
 * complete lines of each network chunk are decoded in one call (a line that
 * is not UTF-8 is then found by decoding the lines one by one) and parsed
 * line by line. Blank lines are skipped.
 */
async function* ndjsonRows(body: ReadableStream<Uint8Array>, tooLarge: (field: string, limitBytes: number) => never): AsyncGenerator<BulkRow> {
  // Each line loses one leading byte order mark (lineRow), wherever it starts in a decoded run of lines.
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  const reader = body.getReader();
  /** The start of a line that continues in the next chunk. */
  let partial: Uint8Array[] = [];
  let partialBytes = 0;
  let bodyBytes = 0;
  let lines = 0;
  let row = 0;
  const rows: BulkRow[] = [];
  /** Parses one line's text into the next row (nothing for a blank line). */
  const lineRow = (text: string): void => {
    if (text.startsWith(BOM)) text = text.slice(1);
    if (text.trim() === "") return;
    row += 1;
    countRow(row);
    const parsed = parseJson(text, `line ${row}`);
    if (!parsed.ok) rows.push({ row, entries: null, unreadable: parsed.failure.reason === "invalid_field" ? parsed.failure.rule : "is unreadable" });
    else if (typeof parsed.value === "object" && parsed.value !== null && !Array.isArray(parsed.value)) rows.push({ row, entries: Object.entries(parsed.value) });
    else rows.push({ row, entries: null, unreadable: "must be a JSON object of feature name to value" });
  };
  /** Decodes and parses whole lines; `ends` are the byte offsets where they end in `bytes` (an LF, or the end of the body). */
  const completeLines = (bytes: Uint8Array, ends: readonly number[]): void => {
    let text: string | null = null;
    try {
      text = decoder.decode(bytes.subarray(0, ends[ends.length - 1]));
    } catch {
      // some line is not UTF-8: find which, one line at a time
    }
    if (text !== null) {
      let start = 0;
      for (let i = 0; i < ends.length; i++) {
        const newline = i === ends.length - 1 ? text.length : text.indexOf("\n", start);
        lineRow(text.slice(start, newline));
        start = newline + 1;
      }
      return;
    }
    let start = 0;
    for (const end of ends) {
      let line: string;
      try {
        line = decoder.decode(bytes.subarray(start, end));
      } catch {
        row += 1;
        countRow(row);
        rows.push({ row, entries: null, unreadable: "must be UTF-8 text" });
        start = end + 1;
        continue;
      }
      lineRow(line);
      start = end + 1;
    }
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bodyBytes += value.byteLength;
      if (bodyBytes > MAX_BULK_BODY_BYTES) tooLarge("body", MAX_BULK_BODY_BYTES);
      // Line ends, in bytes of (the partial line + this chunk); each line's size is checked before it is kept.
      const ends: number[] = [];
      let lineStart = -partialBytes;
      let newline: number;
      let from = 0;
      while ((newline = value.indexOf(NEWLINE, from)) >= 0) {
        if (newline - lineStart > MAX_NDJSON_LINE_BYTES) tooLarge(`body line ${lines + 1}`, MAX_NDJSON_LINE_BYTES);
        ends.push(partialBytes + newline);
        lines += 1;
        lineStart = newline + 1;
        from = newline + 1;
      }
      if (value.byteLength - lineStart > MAX_NDJSON_LINE_BYTES) tooLarge(`body line ${lines + 1}`, MAX_NDJSON_LINE_BYTES);
      if (ends.length === 0) {
        if (value.byteLength > 0) partial.push(value);
        partialBytes += value.byteLength;
        continue;
      }
      const lastEnd = ends[ends.length - 1]! - partialBytes;
      const head = partialBytes > 0 ? joinBytes([...partial, value.subarray(0, lastEnd + 1)], partialBytes + lastEnd + 1) : value;
      completeLines(head, ends);
      const rest = value.subarray(lastEnd + 1);
      partial = rest.byteLength > 0 ? [rest] : [];
      partialBytes = rest.byteLength;
      yield* rows;
      rows.length = 0;
    }
  } finally {
    reader.releaseLock();
  }
  if (partialBytes > 0) {
    lines += 1;
    completeLines(joinBytes(partial, partialBytes), [partialBytes]);
    yield* rows;
  }
}

/**
 * CSV rows as the body streams in (never held whole): the header row names
 * the features, empty cells are missing values and collections arrive as
 * JSON arrays. A body-wide fault is reported as when the body was read
 * whole, the first in this order: too large, not UTF-8, an unterminated
 * quote, no header, the first row of the wrong width, too many rows.
 */
async function* csvRows(body: ReadableStream<Uint8Array> | null, tooLarge: (field: string, limitBytes: number) => never): AsyncGenerator<BulkRow> {
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
  const splitter = new CsvRecords();
  /** Each feature with the column it reads: a repeated name reads its last column, in the order an object of the header's names lists them. */
  let columns: [string, number][] | null = null;
  let width = 0;
  let row = 0;
  /** The first row of the wrong width: rows from it on are not read. */
  let widthFault: Failure | null = null;
  let tooMany = false;
  const rows: BulkRow[] = [];
  const take = (records: string[][]): void => {
    for (const record of records) {
      if (record.length === 1 && record[0] === "") continue;
      if (!columns) {
        columns = Object.entries(Object.fromEntries(record.map((name, i) => [name, i])));
        width = record.length;
        continue;
      }
      row += 1;
      if (widthFault) continue;
      if (record.length !== width) {
        widthFault = { reason: "invalid_field", field: `body line ${row + 1}`, rule: `must have ${width} fields, has ${record.length}` };
        continue;
      }
      // Refused at the end, unless a fault the whole-body reader put first turns up.
      tooMany ||= row > MAX_BULK_ROWS;
      if (tooMany) continue;
      const entries: [string, unknown][] = [];
      for (const [name, i] of columns) {
        const cell = record[i]!;
        if (cell !== "") entries.push([name, cell.startsWith("[") ? listCell(cell) : cell]);
      }
      rows.push({ row, entries });
    }
  };
  let bodyBytes = 0;
  let utf8 = true;
  const reader = body?.getReader();
  try {
    for (;;) {
      if (!reader) break;
      const { done, value } = await reader.read();
      if (done) break;
      bodyBytes += value.byteLength;
      if (bodyBytes > MAX_BULK_BODY_BYTES) tooLarge("body", MAX_BULK_BODY_BYTES);
      if (!utf8) continue; // counted to the end: a body too large is refused as such
      let text: string;
      try {
        text = decoder.decode(value, { stream: true });
      } catch {
        utf8 = false;
        continue;
      }
      take(splitter.push(text));
      yield* rows;
      rows.length = 0;
    }
  } finally {
    reader?.releaseLock();
  }
  if (utf8) {
    try {
      take(splitter.push(decoder.decode()));
    } catch {
      utf8 = false;
    }
  }
  if (!utf8) orThrow(invalid("body", "must be UTF-8 text"));
  take(orThrow(splitter.end("body")));
  if (!columns) orThrow(invalid("body", "must have a header row"));
  if (widthFault) orThrow(fail(widthFault));
  countRow(row);
  yield* rows;
}

function listCell(text: string): unknown {
  const parsed = parseJson(text, "cell");
  if (!parsed.ok || !Array.isArray(parsed.value)) return text;
  return parsed.value.map((v: unknown) => (typeof v === "string" ? v : JSON.stringify(v)));
}

/** The columnar readers' rows, at most MAX_BULK_ROWS (the text readers count their own). */
async function* limited(rows: AsyncIterable<BulkRow>): AsyncGenerator<BulkRow> {
  let count = 0;
  for await (const row of rows) {
    countRow(++count);
    yield row;
  }
}

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

/** Refuses a body (or one NDJSON line) over its limit; the body as a whole by default. */
type TooLarge = (field?: string, limitBytes?: number) => never;

/** Picks the row reader for the body's content type; buffered formats are read (within their limit) before anything else. */
async function bodyRows(c: AppContext, type: string, tooLarge: TooLarge): Promise<(schema: RecordSchema) => AsyncIterable<BulkRow>> {
  if (![...NDJSON_TYPES, "text/csv", ARROW_STREAM_TYPE, ARROW_FILE_TYPE, PARQUET_TYPE].includes(type)) return orThrow(invalid("content-type", CONTENT_TYPE_RULE));
  if (type === "text/csv") return () => csvRows(c.req.raw.body, tooLarge);
  if (type === ARROW_FILE_TYPE || type === PARQUET_TYPE) {
    const bytes = orThrow(await readBodyBytes(c.req.raw, MAX_BUFFERED_BODY_BYTES));
    if (type === ARROW_FILE_TYPE) return (schema) => limited(arrowFileRows(bytes, schema.features, tooLarge));
    // The Blob is the only copy kept: parquet-wasm reads its pages from it.
    const blob = new Blob([bytes]);
    return (schema) => limited(parquetRows(blob, schema.features, tooLarge));
  }
  const body = c.req.raw.body;
  if (!body) return orThrow(invalid("body", "must hold at least one row"));
  if (type === ARROW_STREAM_TYPE) return (schema) => limited(arrowStreamRows(body, schema.features, MAX_BULK_BODY_BYTES, tooLarge));
  return () => ndjsonRows(body, tooLarge);
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
