import { invalid, ok, type Result } from "../failure";
import type { FeatureType } from "./types";

/**
 * Event times arrive as ISO-8601 UTC strings with 0–9 fraction digits or as
 * epoch seconds. Both become one sortable key, "SSSSSSSSSSSS.NNNNNNNNN": whole
 * seconds since 0000-01-01T00:00:00Z (12 digits) and nanoseconds (9 digits).
 * Fixed width makes byte order equal time order, so SQLite compares keys with
 * plain text comparison. Nanoseconds do not fit int64 for year 9999, hence text.
 */
export interface EventTime {
  key: string;
  epochMs: number;
}

const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/;
/** Seconds from 0000-01-01 to 1970-01-01 (proleptic Gregorian). */
const YEAR_ZERO_TO_EPOCH_SECONDS = 62_167_219_200;
const MIN_EPOCH_SECONDS = -YEAR_ZERO_TO_EPOCH_SECONDS;
const MAX_EPOCH_SECONDS = 253_402_300_799; // 9999-12-31T23:59:59Z

const ISO_RULE = "must be an ISO-8601 UTC time yyyy-MM-ddTHH:mm:ss[.fffffffff]Z (0-9 fraction digits, year 0000-9999)";
const EPOCH_RULE = "must be epoch seconds (a finite number between years 0000 and 9999)";

function keyOf(epochSeconds: number, nanos: number): EventTime {
  const fromYearZero = epochSeconds + YEAR_ZERO_TO_EPOCH_SECONDS;
  return {
    key: `${String(fromYearZero).padStart(12, "0")}.${String(nanos).padStart(9, "0")}`,
    epochMs: epochSeconds * 1000 + Math.floor(nanos / 1_000_000),
  };
}

/** Milliseconds in 400 Gregorian years (146,097 days): the calendar repeats after them exactly. */
const FOUR_HUNDRED_YEARS_MS = 146_097 * 86_400_000;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
}

/**
 * Parses an ISO-8601 UTC event time string. Calendar checks are arithmetic
 * (no Date round trip: bulk ingest and the CLI's backfill parse millions of
 * these); Date.UTC maps years 0-99 to 1900-1999, so those are computed 400
 * years later and shifted back.
 */
export function parseIsoEventTime(field: string, text: string): Result<EventTime> {
  const m = ISO_UTC.exec(text);
  if (!m) return invalid(field, ISO_RULE);
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
    return invalid(field, `${ISO_RULE}; ${text} is not a calendar time`);
  }
  const ms = year < 100 ? Date.UTC(year + 400, month - 1, day, hour, minute, second) - FOUR_HUNDRED_YEARS_MS : Date.UTC(year, month - 1, day, hour, minute, second);
  const nanos = m[7] === undefined ? 0 : Number(m[7].padEnd(9, "0"));
  return ok(keyOf(ms / 1000, nanos));
}

/**
 * Splits epoch seconds into whole seconds and nanoseconds from the shortest
 * decimal that round-trips the double, so 1700000000.123 is exactly
 * …20.123Z (binary arithmetic would give …20.122999907).
 */
function splitEpochSeconds(seconds: number): [number, number] {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(String(seconds));
  if (!m) {
    // Exponent form: only magnitudes below 1e-6 reach here within range.
    const whole = Math.floor(seconds);
    return [whole, Math.min(999_999_999, Math.round((seconds - whole) * 1e9))];
  }
  const [, sign, int, frac = ""] = m;
  let total = BigInt(int!) * 1_000_000_000n + BigInt(frac.slice(0, 9).padEnd(9, "0"));
  if (sign) total = -total;
  let whole = total / 1_000_000_000n;
  let nanos = total % 1_000_000_000n;
  if (nanos < 0n) {
    nanos += 1_000_000_000n;
    whole -= 1n;
  }
  return [Number(whole), Number(nanos)];
}

/** Parses epoch seconds (a Fractional event time). */
export function parseEpochEventTime(field: string, seconds: number): Result<EventTime> {
  if (!Number.isFinite(seconds) || seconds < MIN_EPOCH_SECONDS || seconds >= MAX_EPOCH_SECONDS + 1) {
    return invalid(field, EPOCH_RULE);
  }
  const [whole, nanos] = splitEpochSeconds(seconds);
  return ok(keyOf(whole, nanos));
}

const DECIMAL_SECONDS = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Parses an event time given as a JSON value (native API) or as the string
 * SageMaker sends, according to the event-time feature's declared type.
 */
export function parseEventTime(field: string, type: FeatureType, raw: unknown): Result<EventTime> {
  if (type === "String") {
    return typeof raw === "string" ? parseIsoEventTime(field, raw) : invalid(field, ISO_RULE);
  }
  if (typeof raw === "number") return parseEpochEventTime(field, raw);
  if (typeof raw === "string" && DECIMAL_SECONDS.test(raw)) {
    return parseEpochEventTime(field, Number(raw));
  }
  return invalid(field, EPOCH_RULE);
}

/** Renders epoch milliseconds as ISO-8601 UTC (used for expiresAt). */
export function isoFromEpochMs(ms: number): string {
  return new Date(ms).toISOString();
}

/** Epoch milliseconds of an event key (the inverse of keyOf, to the millisecond). */
export function epochMsOfKey(key: string): number {
  const seconds = Number(key.slice(0, 12)) - YEAR_ZERO_TO_EPOCH_SECONDS;
  return seconds * 1000 + Math.floor(Number(key.slice(13)) / 1_000_000);
}

/** The event key of an instant in epoch milliseconds (a TTL expiry's deletion row). */
export function eventKeyFromEpochMs(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  return keyOf(seconds, (ms - seconds * 1000) * 1_000_000).key;
}
