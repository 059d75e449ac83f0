import { z } from "zod";
import type { Result } from "../failure";
import { fromZod } from "../validation";
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

const TTL_SHAPE_RULE = `must be an object {"unit": one of ${TTL_UNITS.join("|")}, "value": a positive integer}`;

/** A TTL as {unit, value} (SageMaker's TtlDuration shape); other keys are ignored. */
export const ttlDurationSchema = z
  .object(
    {
      unit: z.enum(TTL_UNITS, { error: `must be one of ${TTL_UNITS.join(", ")}` }),
      value: z.number({ error: "must be a positive integer" }).int("must be a positive integer").min(1, "must be a positive integer"),
    },
    { error: TTL_SHAPE_RULE },
  )
  .refine((ttl) => ttlMs(ttl) <= MAX_TTL_MS, "must be at most 100 years")
  .describe("A time to live: the record expires this long after its event time.");

/** Parses a TTL given as {unit, value} (SageMaker's TtlDuration shape). */
export function parseTtl(field: string, raw: unknown): Result<TtlDuration> {
  return fromZod(ttlDurationSchema.safeParse(raw), field);
}

/**
 * expiresAt = event time + TTL. A record's own TTL overrides its group's;
 * without either the record never expires.
 */
export function expiresAtMs(eventTimeMs: number, recordTtl: TtlDuration | undefined, groupTtl: TtlDuration | undefined): number | null {
  const ttl = recordTtl ?? groupTtl;
  return ttl ? eventTimeMs + ttlMs(ttl) : null;
}
