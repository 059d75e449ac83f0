import { invalid, ok, type Result } from "../failure";
import { parseTtl, ttlMs } from "./ttl";
import type { TtlDuration } from "./types";

/**
 * The version order and knowledge time, defined once. Pure: no I/O, no clock.
 *
 * Versions of one record are ordered by event time, then by their **write
 * sequence**: the order in which the store accepted the writes. A sequence
 * is an integer on a hybrid clock, SEQUENCE_PER_MS values per millisecond
 * of the accepting component's clock:
 *
 * - a record shard (the single writer of its records) stamps every put,
 *   delete, update and TTL expiry it applies with max(now × 1000, last + 1),
 *   so its own writes are strictly increasing and close to wall time;
 * - a bulk write (native bulk ingest, ingest jobs), whose offline rows are
 *   written before the shards see them, stamps row n of the request
 *   (0-based, body order) with accepted × 1000 + n, where `accepted` is the
 *   instant its offline files were registered; the shards then compare
 *   these stamps instead of stamping again, so online and offline agree;
 * - the CLI backfill stamps row n of an input with its checkpoint's write
 *   time × 1000 + n.
 *
 * Rows written before sequences existed carry none; they rank as
 * legacySequence(write_time), which keeps their old order (write_time, then
 * api_invocation_time). Knowledge time ("available time") is when a row
 * became available to a model: see Availability.
 */
export const SEQUENCE_PER_MS = 1000;

/** The next stamp of a hybrid clock: never behind the clock, always past the last stamp and `floor`. */
export function nextSequence(last: number, nowMs: number, floor = 0): number {
  return Math.max(nowMs * SEQUENCE_PER_MS, last + 1, floor + 1);
}

/** The stamp of row `position` (0-based, body order) of a bulk write accepted at `acceptedMs`. */
export function bulkSequence(acceptedMs: number, position: number): number {
  return acceptedMs * SEQUENCE_PER_MS + position;
}

/** The sequence a row without one ranks as: its write_time (epoch ms) × 1000. */
export function legacySequence(writeTimeMs: number): number {
  return writeTimeMs * SEQUENCE_PER_MS;
}

/**
 * How a write path declares each row's knowledge time:
 * - `accepted`: when the store accepted the row (live writes, the default
 *   of bulk ingest and ingest jobs);
 * - `eventTime`: the row's event time plus `delayMs` (history that was
 *   known when it happened, or a stated delay later; the default of the
 *   CLI backfill, with no delay).
 */
export type Availability = { from: "accepted" } | { from: "eventTime"; delayMs: number };

export const ACCEPTED: Availability = { from: "accepted" };

/** A row's knowledge time, epoch ms. */
export function availableTimeMs(availability: Availability, eventMs: number, acceptedMs: number): number {
  return availability.from === "accepted" ? acceptedMs : Math.trunc(eventMs) + availability.delayMs;
}

const AVAILABILITY_FROM = ["accepted", "eventTime"] as const;
/** Longest stated delay: a year covers any reporting lag. */
export const MAX_AVAILABILITY_DELAY_MS = 366 * 86_400_000;

/**
 * Parses `{"from": "accepted"}` or `{"from": "eventTime", "delay"?: {"unit", "value"}}`
 * (the delay in TTL units, at most a year).
 */
export function parseAvailability(field: string, raw: unknown): Result<Availability> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return invalid(field, `must be an object {"from": "accepted" | "eventTime", "delay"?: {"unit", "value"}}`);
  const { from, delay, ...rest } = raw as Record<string, unknown>;
  const extra = Object.keys(rest)[0];
  if (extra !== undefined) return invalid(`${field}.${extra}`, "is not a field of an availability (from, delay)");
  if (typeof from !== "string" || !(AVAILABILITY_FROM as readonly string[]).includes(from)) return invalid(`${field}.from`, `must be one of ${AVAILABILITY_FROM.join(", ")}`);
  if (from === "accepted") return delay === undefined ? ok(ACCEPTED) : invalid(`${field}.delay`, `applies only to "from": "eventTime"`);
  if (delay === undefined) return ok({ from: "eventTime", delayMs: 0 });
  const ttl = parseTtl(`${field}.delay`, delay);
  if (!ttl.ok) return ttl;
  return checkedDelay(`${field}.delay`, ttlMs(ttl.value));
}

function checkedDelay(field: string, delayMs: number): Result<Availability> {
  return delayMs > MAX_AVAILABILITY_DELAY_MS ? invalid(field, "must be at most 366 days") : ok({ from: "eventTime", delayMs });
}

const DELAY_TEXT = /^(\d{1,9})(s|m|h|d)$/;
const DELAY_UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
export const DELAY_TEXT_RULE = "must be a duration such as 0s, 90m, 2h or 1d (at most 366 days)";

/**
 * The text form, for query parameters and the CLI: `from` is `accepted` or
 * `eventTime`; `delay` (only with `eventTime`) a duration like `2h`.
 */
export function parseAvailabilityText(fromField: string, from: string, delayField: string, delay: string | undefined): Result<Availability> {
  if (!(AVAILABILITY_FROM as readonly string[]).includes(from)) return invalid(fromField, `must be one of ${AVAILABILITY_FROM.join(", ")}`);
  if (from === "accepted") return delay === undefined ? ok(ACCEPTED) : invalid(delayField, `applies only to ${fromField}=eventTime`);
  if (delay === undefined) return ok({ from: "eventTime", delayMs: 0 });
  const match = DELAY_TEXT.exec(delay);
  if (!match) return invalid(delayField, DELAY_TEXT_RULE);
  return checkedDelay(delayField, Number(match[1]) * DELAY_UNIT_MS[match[2]!]!);
}

/** The JSON form of an availability, as parseAvailability reads it back (every parser yields whole seconds). */
export function availabilityJson(availability: Availability): { from: "accepted" } | { from: "eventTime"; delay?: TtlDuration } {
  if (availability.from === "accepted") return { from: "accepted" };
  if (availability.delayMs === 0) return { from: "eventTime" };
  return { from: "eventTime", delay: { unit: "Seconds", value: Math.ceil(availability.delayMs / 1000) } };
}
