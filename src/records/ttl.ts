import { invalid, ok, type Result } from "../failure";
import { TTL_UNITS, type TtlDuration, type TtlUnit } from "./types";

const UNIT_MS: Record<TtlUnit, number> = {
  Seconds: 1_000,
  Minutes: 60_000,
  Hours: 3_600_000,
  Days: 86_400_000,
  Weeks: 604_800_000,
};

/** Longest TTL accepted: 100 years, far beyond any feature's useful life. */
export const MAX_TTL_MS = 100 * 365 * 86_400_000;

export function ttlMs(ttl: TtlDuration): number {
  return ttl.value * UNIT_MS[ttl.unit];
}

/** Parses a TTL given as {unit, value} (SageMaker's TtlDuration shape). */
export function parseTtl(field: string, raw: unknown): Result<TtlDuration> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return invalid(field, `must be an object {"unit": one of ${TTL_UNITS.join("|")}, "value": a positive integer}`);
  }
  const { unit, value } = raw as Record<string, unknown>;
  if (typeof unit !== "string" || !(TTL_UNITS as readonly string[]).includes(unit)) {
    return invalid(`${field}.unit`, `must be one of ${TTL_UNITS.join(", ")}`);
  }
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    return invalid(`${field}.value`, "must be a positive integer");
  }
  const ttl = { unit: unit as TtlUnit, value };
  if (ttlMs(ttl) > MAX_TTL_MS) return invalid(field, "must be at most 100 years");
  return ok(ttl);
}

/**
 * expiresAt = event time + TTL. A record's own TTL overrides its group's;
 * without either the record never expires.
 */
export function expiresAtMs(eventTimeMs: number, recordTtl: TtlDuration | undefined, groupTtl: TtlDuration | undefined): number | null {
  const ttl = recordTtl ?? groupTtl;
  return ttl ? eventTimeMs + ttlMs(ttl) : null;
}
