import { describe, expect, it } from "vitest";
import { expiresAtMs, isoFromEpochMs, parseTtl, ttlMs, type TtlDuration } from "../../src/records";
import { invalidOf, valueOf } from "./fixtures";

const SECOND = 1000;
const DAY = 86_400 * SECOND;
const HUNDRED_YEARS = 100 * 365 * DAY;

describe("TTL durations", () => {
  it.each([
    ["Seconds", 1_000],
    ["Minutes", 60_000],
    ["Hours", 3_600_000],
    ["Days", 86_400_000],
    ["Weeks", 604_800_000],
  ] as const)("makes one %s last %i ms", (unit, ms) => {
    expect(ttlMs({ unit, value: 1 })).toBe(ms);
    expect(ttlMs({ unit, value: 3 })).toBe(3 * ms);
  });

  it("parses {unit, value} into the same duration", () => {
    expect(valueOf(parseTtl("ttl", { unit: "Hours", value: 12 }))).toEqual({ unit: "Hours", value: 12 });
  });

  it("ignores extra keys and returns only unit and value", () => {
    expect(valueOf(parseTtl("ttl", { unit: "Days", value: 2, comment: "x" }))).toEqual({ unit: "Days", value: 2 });
  });

  it.each([null, undefined, "1 day", 86_400, [], [{ unit: "Days", value: 1 }], true])("refuses %j as not a TTL object", (raw) => {
    const failure = invalidOf(parseTtl("record.ttl", raw));
    expect(failure.field).toBe("record.ttl");
    expect(failure.rule).toMatch(/must be an object/);
  });

  it.each([undefined, "days", "DAYS", "Day", "Months", "Years", "Milliseconds", 1])("refuses the unit %j and names the unit field", (unit) => {
    const failure = invalidOf(parseTtl("ttl", { unit, value: 1 }));
    expect(failure).toEqual({ reason: "invalid_field", field: "ttl.unit", rule: "must be one of Seconds, Minutes, Hours, Days, Weeks" });
  });

  it.each([0, -1, 1.5, NaN, Infinity, "3", null, undefined, 2 ** 53])("refuses the value %j and names the value field", (value) => {
    expect(invalidOf(parseTtl("ttl", { unit: "Seconds", value }))).toEqual({ reason: "invalid_field", field: "ttl.value", rule: "must be a positive integer" });
  });

  it.each([
    ["Seconds", 3_153_600_000],
    ["Minutes", 52_560_000],
    ["Hours", 876_000],
    ["Days", 36_500],
    ["Weeks", 5_214],
  ] as const)("accepts exactly 100 years (or just under) in %s and refuses one unit more", (unit, value) => {
    expect(ttlMs({ unit, value })).toBeLessThanOrEqual(HUNDRED_YEARS);
    expect(parseTtl("ttl", { unit, value }).ok).toBe(true);
    expect(invalidOf(parseTtl("ttl", { unit, value: value + 1 }))).toEqual({ reason: "invalid_field", field: "ttl", rule: "must be at most 100 years" });
  });
});

describe("expiresAt", () => {
  const event = Date.UTC(2024, 0, 31, 12, 0, 0);
  const recordTtl: TtlDuration = { unit: "Minutes", value: 30 };
  const groupTtl: TtlDuration = { unit: "Days", value: 1 };

  it("is the event time plus the record's own TTL, which overrides the group's", () => {
    expect(expiresAtMs(event, recordTtl, groupTtl)).toBe(event + 30 * 60 * SECOND);
    expect(isoFromEpochMs(expiresAtMs(event, recordTtl, groupTtl)!)).toBe("2024-01-31T12:30:00.000Z");
  });

  it("uses the group's TTL when the record has none", () => {
    expect(isoFromEpochMs(expiresAtMs(event, undefined, groupTtl)!)).toBe("2024-02-01T12:00:00.000Z");
  });

  it("lets a record TTL longer than the group's extend the record's life", () => {
    expect(isoFromEpochMs(expiresAtMs(event, { unit: "Weeks", value: 2 }, groupTtl)!)).toBe("2024-02-14T12:00:00.000Z");
  });

  it("never expires a record without a record or group TTL", () => {
    expect(expiresAtMs(event, undefined, undefined)).toBeNull();
  });

  it("counts from the event time, not from now, so an old event can already be expired", () => {
    expect(expiresAtMs(0, { unit: "Seconds", value: 1 }, undefined)).toBe(1000);
  });

  it("keeps the event's milliseconds", () => {
    expect(expiresAtMs(1_700_000_000_123, { unit: "Seconds", value: 2 }, undefined)).toBe(1_700_000_002_123);
  });
});
