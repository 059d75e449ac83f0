import { describe, expect, it } from "vitest";
import { nextFireAfter, parseCron } from "../../src/jobs";

const next = (expr: string, after: string) => {
  const parsed = parseCron(expr, "schedule");
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.failure));
  const at = nextFireAfter(parsed.value, Date.parse(after));
  return at === null ? null : new Date(at).toISOString();
};

describe("cron expressions", () => {
  it("fires on the next matching minute, strictly after the given time", () => {
    expect(next("* * * * *", "2026-11-25T08:00:00Z")).toBe("2026-11-25T08:01:00.000Z");
    expect(next("* * * * *", "2026-11-25T08:00:30Z")).toBe("2026-11-25T08:01:00.000Z");
    expect(next("*/15 * * * *", "2026-11-25T08:14:59Z")).toBe("2026-11-25T08:15:00.000Z");
    expect(next("0 2 * * *", "2026-11-25T02:00:00Z")).toBe("2026-11-26T02:00:00.000Z");
  });

  it("understands ranges, lists, steps over ranges, names and macros", () => {
    expect(next("0 9-17/4 * * MON-FRI", "2026-11-27T17:30:00Z")).toBe("2026-11-30T09:00:00.000Z"); // Friday evening → Monday 09:00
    expect(next("30 6,18 * * *", "2026-11-25T07:00:00Z")).toBe("2026-11-25T18:30:00.000Z");
    expect(next("0 0 1 jan *", "2026-11-25T00:00:00Z")).toBe("2027-01-01T00:00:00.000Z");
    expect(next("@hourly", "2026-11-25T08:00:00Z")).toBe("2026-11-25T09:00:00.000Z");
    expect(next("0 0 * * 7", "2026-11-25T00:00:00Z")).toBe("2026-11-29T00:00:00.000Z"); // 7 is Sunday
  });

  it("fires on either restricted day field, as classic cron does", () => {
    // The 1st of the month or any Monday.
    expect(next("0 0 1 * 1", "2026-11-25T00:00:00Z")).toBe("2026-11-30T00:00:00.000Z");
    expect(next("0 0 1 * 1", "2026-11-30T00:00:00Z")).toBe("2026-12-01T00:00:00.000Z");
  });

  it("finds leap days", () => {
    expect(next("0 0 29 2 *", "2026-03-01T00:00:00Z")).toBe("2028-02-29T00:00:00.000Z");
  });

  it("refuses malformed expressions, naming the field and what is wrong", () => {
    const rule = (expr: unknown) => {
      const parsed = parseCron(expr, "schedule");
      return parsed.ok ? "ok" : parsed.failure.reason === "invalid_field" ? `${parsed.failure.field}: ${parsed.failure.rule}` : parsed.failure.reason;
    };
    expect(rule("* * * *")).toMatch(/^schedule: must be a cron expression of five fields.*got 4 fields/);
    expect(rule("61 * * * *")).toMatch(/^schedule: minute field "61": values must be from 0 to 59/);
    expect(rule("* 24 * * *")).toMatch(/hour field "24"/);
    expect(rule("*/0 * * * *")).toMatch(/a step must be/);
    expect(rule("5-1 * * * *")).toMatch(/must not run backwards/);
    expect(rule("* * * FOO *")).toMatch(/month field "FOO": values must be numbers or names like JAN/);
    expect(rule("0 0 30 2 *")).toMatch(/never fires/);
    expect(rule(15)).toMatch(/five fields/);
    expect(rule("")).toMatch(/five fields/);
  });
});
