import { Hono } from "hono";
import { fail, invalid, orThrow, type Result } from "../../failure";
import { bulkIngest, type BulkRow, type StoreTarget } from "../../service";
import type { AppContext, AppEnv } from "../context";
import { authorize } from "../authorize";
import { groupParam } from "../resources";
import { parseCsv } from "../csv";
import { failureMessage } from "../failures";
import { readTextBody } from "../body";
import { enumParam, listParam } from "../query";

/**
 * POST /v1/feature-groups/{name}/records/batch: bulk ingest of NDJSON
 * (streamed line by line) or CSV. `targetStores` picks online, offline or
 * both; `onInvalid=reject` (default) writes nothing if any row is invalid,
 * `onInvalid=skip` writes the valid rows. Either way the report names each
 * bad row, its field and the rule.
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

bulkRoutes.post("/feature-groups/:name/records/batch", authorize("featurestore:BulkIngest", groupParam), async (c) => {
  const type = (c.req.header("content-type") ?? "application/x-ndjson").split(";")[0]!.trim().toLowerCase();
  const onInvalid = orThrow(enumParam(c, "onInvalid", ["reject", "skip"] as const, "reject"));
  const targetStores = orThrow(targets(c));
  const tooLarge = (): never => orThrow(fail({ reason: "payload_too_large", field: "body", limitBytes: MAX_BULK_BODY_BYTES }));
  let rows: AsyncIterable<BulkRow>;
  if (type === "text/csv") rows = csvRows(orThrow(await readTextBody(c.req.raw, MAX_BULK_BODY_BYTES)));
  else if (type === "application/x-ndjson" || type === "application/jsonl" || type === "application/json") {
    if (!c.req.raw.body) orThrow(invalid("body", "must hold at least one row"));
    rows = ndjsonRows(c.req.raw.body!, tooLarge);
  } else orThrow(fail({ reason: "invalid_field", field: "content-type", rule: "must be application/x-ndjson or text/csv" }));
  const result = orThrow(
    await bulkIngest(c.get("store"), { featureGroup: c.req.param("name"), encoding: type === "text/csv" ? "strings" : "typed", onInvalid, ...(targetStores ? { targetStores } : {}) }, limited(rows!)),
  );
  const { failure, ...report } = result;
  if (result.invalidRows > 0 && onInvalid === "reject") {
    const message = `${result.invalidRows} of ${result.rows} rows are invalid; nothing was written`;
    return c.json({ error: { code: "invalid_rows", message, requestId: c.get("requestId") }, report }, 400);
  }
  return c.json({ ...report, ...(failure ? { error: { code: failure.reason, message: failureMessage(failure) } } : {}) }, failure ? 207 : 200);
});
