import { invalid, ok, type Result } from "../failure";

/**
 * Five-field cron expressions (minute hour day-of-month month day-of-week),
 * evaluated in UTC as Cloudflare's own cron triggers are. Pure: no clock.
 *
 * Supported: `*`, numbers, ranges `a-b`, steps `*∕n` and `a-b/n`, lists
 * `a,b`, month and weekday names (JAN, MON), 7 as Sunday, and the macros
 * @yearly @annually @monthly @weekly @daily @midnight @hourly. When both
 * day-of-month and day-of-week are restricted a day matching either fires
 * (classic cron semantics). Not supported: seconds, `L`, `W`, `#`, `?`.
 */
export interface CronSchedule {
  minutes: ReadonlySet<number>;
  hours: ReadonlySet<number>;
  daysOfMonth: ReadonlySet<number>;
  months: ReadonlySet<number>;
  daysOfWeek: ReadonlySet<number>;
  dayOfMonthRestricted: boolean;
  dayOfWeekRestricted: boolean;
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const FIELDS: readonly FieldSpec[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day-of-month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"] },
  { name: "day-of-week", min: 0, max: 7, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] },
];

const MACROS: Readonly<Record<string, string>> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

export const MAX_CRON_LENGTH = 200;
const SHAPE_RULE = "must be a cron expression of five fields (minute hour day-of-month month day-of-week, UTC), e.g. \"*/15 * * * *\"";

function valueOf(text: string, spec: FieldSpec): number | null {
  if (/^\d{1,2}$/.test(text)) return Number(text);
  const named = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  if (named < 0) return null;
  return spec.name === "month" ? named + 1 : named;
}

function parseField(text: string, spec: FieldSpec, field: string): Result<Set<number>> {
  const values = new Set<number>();
  const where = `${spec.name} field "${text}"`;
  for (const part of text.split(",")) {
    const [range, stepText, extra] = part.split("/");
    if (range === undefined || extra !== undefined) return invalid(field, `${where} is malformed`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d{1,2}$/.test(stepText) || Number(stepText) === 0) return invalid(field, `${where}: a step must be a whole number from 1 to 99`);
      step = Number(stepText);
    }
    let from: number;
    let to: number;
    if (range === "*") [from, to] = [spec.min, spec.max];
    else {
      const [a, b, more] = range.split("-");
      if (a === undefined || more !== undefined) return invalid(field, `${where} is malformed`);
      const start = valueOf(a, spec);
      const end = b === undefined ? (stepText !== undefined ? spec.max : start) : valueOf(b, spec);
      if (start === null || end === null) return invalid(field, `${where}: values must be numbers${spec.names ? " or names like " + spec.names[0] : ""}`);
      if (start < spec.min || end > spec.max) return invalid(field, `${where}: values must be from ${spec.min} to ${spec.max}`);
      if (start > end) return invalid(field, `${where}: a range must not run backwards`);
      [from, to] = [start, end];
    }
    for (let v = from; v <= to; v += step) values.add(spec.name === "day-of-week" && v === 7 ? 0 : v);
  }
  return ok(values);
}

/** Parses a cron expression; failures name `field` and what is wrong. */
export function parseCron(raw: unknown, field: string): Result<CronSchedule> {
  if (typeof raw !== "string" || raw.trim() === "" || raw.length > MAX_CRON_LENGTH) return invalid(field, SHAPE_RULE);
  const text = MACROS[raw.trim().toLowerCase()] ?? raw.trim();
  const parts = text.split(/\s+/);
  if (parts.length !== 5) return invalid(field, `${SHAPE_RULE}; got ${parts.length} field${parts.length === 1 ? "" : "s"}`);
  const sets: Set<number>[] = [];
  for (const [i, spec] of FIELDS.entries()) {
    const parsed = parseField(parts[i]!, spec, field);
    if (!parsed.ok) return parsed;
    sets.push(parsed.value);
  }
  const schedule: CronSchedule = {
    minutes: sets[0]!,
    hours: sets[1]!,
    daysOfMonth: sets[2]!,
    months: sets[3]!,
    daysOfWeek: sets[4]!,
    dayOfMonthRestricted: parts[2] !== "*",
    dayOfWeekRestricted: parts[4] !== "*",
  };
  // "0 0 30 2 *" parses but never fires: refuse it rather than store a job that never runs.
  if (nextFireAfter(schedule, Date.UTC(2000, 0, 1)) === null) return invalid(field, `${raw} never fires`);
  return ok(schedule);
}

function dayMatches(s: CronSchedule, date: Date): boolean {
  const dom = s.daysOfMonth.has(date.getUTCDate());
  const dow = s.daysOfWeek.has(date.getUTCDay());
  if (s.dayOfMonthRestricted && s.dayOfWeekRestricted) return dom || dow;
  if (s.dayOfMonthRestricted) return dom;
  if (s.dayOfWeekRestricted) return dow;
  return true;
}

/** Leap days make "29 2" fire once in four years; look a little further than that. */
const HORIZON_MS = 5 * 366 * 86_400_000;

/** The first minute strictly after `afterMs` that the schedule fires at, or null within five years. */
export function nextFireAfter(s: CronSchedule, afterMs: number): number | null {
  const t = new Date(Math.floor(afterMs / 60_000) * 60_000 + 60_000);
  const horizon = afterMs + HORIZON_MS;
  while (t.getTime() <= horizon) {
    if (!s.months.has(t.getUTCMonth() + 1)) {
      t.setUTCMonth(t.getUTCMonth() + 1, 1);
      t.setUTCHours(0, 0, 0, 0);
    } else if (!dayMatches(s, t)) {
      t.setUTCDate(t.getUTCDate() + 1);
      t.setUTCHours(0, 0, 0, 0);
    } else if (!s.hours.has(t.getUTCHours())) {
      t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
    } else if (!s.minutes.has(t.getUTCMinutes())) {
      t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
    } else return t.getTime();
  }
  return null;
}
