import { invalid, ok, type Result } from "../failure";

/**
 * The Queue message that carries one sealed outbox batch from a record shard
 * to the offline writer. Its identity, batchId, is fixed when the batch is
 * sealed, so a batch re-sent after a failure is recognised downstream.
 */
export const OFFLINE_MESSAGE_VERSION = 1;
/** Queues take messages under 128 KB; JSON framing and headroom stay below it. */
export const MAX_MESSAGE_BYTES = 120 * 1024;
/** sendBatch takes at most 100 messages and 256 KB per call. */
export const MAX_SEND_MESSAGES = 100;
export const MAX_SEND_BYTES = 250 * 1024;

export type OfflineRowKind = "put" | "delete" | "expire";

export interface OfflineRow {
  kind: OfflineRowKind;
  recordIdentifier: string;
  eventKey: string;
  /** Record JSON (a delete carries the identifier and event-time features). */
  body: string;
  isDeleted: boolean;
  apiInvocationTimeMs: number;
  catalogVersion: number;
  /**
   * The shard's stamp of the write (records/order.ts) and when the shard
   * accepted it (its knowledge time). Absent only in messages sent before
   * they existed: those rank as apiInvocationTimeMs × 1000 and become known
   * at apiInvocationTimeMs (offline/rows.ts).
   */
  writeSequence?: number;
  availableTimeMs?: number;
}

export interface OfflineMessage {
  v: typeof OFFLINE_MESSAGE_VERSION;
  /** "<generation>:<shard>:<batch>", unique and stable. */
  batchId: string;
  generation: string;
  /** The rows, or the R2 key of a staged JSON array of rows when they exceed one message. */
  rows?: OfflineRow[];
  staged?: string;
}

const KINDS: readonly string[] = ["put", "delete", "expire"];

function isRow(raw: unknown): raw is OfflineRow {
  if (typeof raw !== "object" || raw === null) return false;
  const r = raw as Record<string, unknown>;
  return (
    typeof r.kind === "string" && KINDS.includes(r.kind) &&
    typeof r.recordIdentifier === "string" && typeof r.eventKey === "string" && typeof r.body === "string" &&
    typeof r.isDeleted === "boolean" && typeof r.apiInvocationTimeMs === "number" && typeof r.catalogVersion === "number" &&
    (r.writeSequence === undefined || Number.isSafeInteger(r.writeSequence)) && (r.availableTimeMs === undefined || Number.isSafeInteger(r.availableTimeMs))
  );
}

export function parseOfflineRows(raw: unknown, field: string): Result<OfflineRow[]> {
  if (!Array.isArray(raw)) return invalid(field, "must be a list of offline rows");
  const bad = raw.findIndex((row) => !isRow(row));
  return bad >= 0 ? invalid(`${field}[${bad}]`, "must be an offline row") : ok(raw as OfflineRow[]);
}

/** Parses a message body taken off the queue. */
export function parseOfflineMessage(raw: unknown): Result<OfflineMessage> {
  if (typeof raw !== "object" || raw === null) return invalid("message", "must be an object");
  const m = raw as Record<string, unknown>;
  if (m.v !== OFFLINE_MESSAGE_VERSION) return invalid("message.v", `must be ${OFFLINE_MESSAGE_VERSION}`);
  if (typeof m.batchId !== "string" || typeof m.generation !== "string") return invalid("message.batchId", "and generation are required");
  if (m.staged !== undefined) {
    return typeof m.staged === "string" ? ok({ v: OFFLINE_MESSAGE_VERSION, batchId: m.batchId, generation: m.generation, staged: m.staged }) : invalid("message.staged", "must be an R2 key");
  }
  const rows = parseOfflineRows(m.rows, "message.rows");
  return rows.ok ? ok({ v: OFFLINE_MESSAGE_VERSION, batchId: m.batchId, generation: m.generation, rows: rows.value }) : rows;
}
