import { describe, expect, it } from "vitest";
import { isoFromEpochMs, parseEventTime } from "../../src/records";
import { parseEpochEventTime, parseIsoEventTime } from "../../src/records/event-time";
import { invalidOf, seededRandom, valueOf } from "./fixtures";

/** Seconds from 0000-01-01T00:00:00Z to 1970-01-01T00:00:00Z: 719,528 days of 86,400 s. */
const YEAR_ZERO_TO_EPOCH = 719_528 * 86_400;
/** 10,000 proleptic Gregorian years are 25 cycles of 146,097 days. */
const YEAR_ZERO_TO_YEAR_10000 = 25 * 146_097 * 86_400;
/** 2023-11-14T22:13:20Z is epoch second 1,700,000,000. */
const T1_7E9 = 1_700_000_000;

const iso = (text: string) => valueOf(parseIsoEventTime("eventTime", text));
const epoch = (seconds: number) => valueOf(parseEpochEventTime("eventTime", seconds));
/** The documented key layout: 12 digits of seconds since year 0, a dot, 9 digits of nanoseconds. */
const expectedKey = (secondsSinceYearZero: number, nanos: number) =>
  `${String(secondsSinceYearZero).padStart(12, "0")}.${String(nanos).padStart(9, "0")}`;
/** Plain code-unit comparison, the way SQLite compares TEXT with the BINARY collation. */
const byteOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

describe("ISO-8601 event times", () => {
  it("turns the Unix epoch into the key 062167219200.000000000 and epoch milliseconds 0", () => {
    expect(iso("1970-01-01T00:00:00Z")).toEqual({ key: "062167219200.000000000", epochMs: 0 });
  });

  it("matches the event_key example in docs/storage-layout.md", () => {
    // 2026-01-01T00:00:00Z is epoch second 1,767,225,600.
    expect(iso("2026-01-01T00:00:00Z")).toEqual({ key: "063934444800.000000000", epochMs: 1_767_225_600_000 });
  });

  it.each([
    ["", 0, 0],
    [".1", 100_000_000, 100],
    [".12", 120_000_000, 120],
    [".123", 123_000_000, 123],
    [".1234", 123_400_000, 123],
    [".12345", 123_450_000, 123],
    [".123456", 123_456_000, 123],
    [".1234567", 123_456_700, 123],
    [".12345678", 123_456_780, 123],
    [".123456789", 123_456_789, 123],
  ])("accepts the fraction %j (0-9 digits) as %i nanoseconds", (fraction, nanos, millis) => {
    const time = iso(`2023-11-14T22:13:20${fraction}Z`);
    expect(time.key).toBe(expectedKey(T1_7E9 + YEAR_ZERO_TO_EPOCH, nanos));
    expect(time.epochMs).toBe(T1_7E9 * 1000 + millis);
  });

  it("reads fraction digits as a decimal fraction, so .5, .50 and .500000000 are the same instant", () => {
    const keys = ["2024-06-01T08:00:00.5Z", "2024-06-01T08:00:00.50Z", "2024-06-01T08:00:00.500000000Z"].map((t) => iso(t).key);
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toMatch(/\.500000000$/);
  });

  it("keeps one nanosecond after a whole second distinct from the whole second", () => {
    const whole = iso("2024-06-01T08:00:00Z").key;
    const plusOne = iso("2024-06-01T08:00:00.000000001Z").key;
    expect(plusOne).not.toBe(whole);
    expect(plusOne.endsWith(".000000001")).toBe(true);
  });

  it("refuses a tenth fraction digit", () => {
    const failure = invalidOf(parseIsoEventTime("record.t", "2024-06-01T08:00:00.1234567890Z"));
    expect(failure.field).toBe("record.t");
    expect(failure.rule).toMatch(/0-9 fraction digits/);
  });

  it("accepts the first instant of year 0000 as key zero", () => {
    expect(iso("0000-01-01T00:00:00Z")).toEqual({
      key: "000000000000.000000000",
      epochMs: -YEAR_ZERO_TO_EPOCH * 1000,
    });
  });

  it("accepts the last nanosecond of year 9999 and still fits 12 second digits", () => {
    const time = iso("9999-12-31T23:59:59.999999999Z");
    expect(time.key).toBe(expectedKey(YEAR_ZERO_TO_YEAR_10000 - 1, 999_999_999));
    expect(time.key).toBe("315569519999.999999999");
    expect(time.epochMs).toBe((YEAR_ZERO_TO_YEAR_10000 - YEAR_ZERO_TO_EPOCH) * 1000 - 1);
  });

  it("does not treat two-digit years as 19xx (year 0050 is year 50)", () => {
    // Date.UTC maps 0-99 to 1900-1999; the parser must not.
    const time = iso("0050-01-01T00:00:00Z");
    expect(isoFromEpochMs(time.epochMs)).toBe("0050-01-01T00:00:00.000Z");
    expect(time.key < iso("1950-01-01T00:00:00Z").key).toBe(true);
  });

  it.each(["2000-02-29T00:00:00Z", "2024-02-29T23:59:59Z", "0000-02-29T12:00:00Z", "1600-02-29T00:00:00Z"])(
    "accepts the leap day %s",
    (text) => {
      expect(parseIsoEventTime("t", text).ok).toBe(true);
    },
  );

  it.each([
    ["Feb 30", "2024-02-30T00:00:00Z"],
    ["Feb 29 in a non-leap year", "2023-02-29T00:00:00Z"],
    ["Feb 29 in a century that is not a leap year", "1900-02-29T00:00:00Z"],
    ["April 31", "2024-04-31T00:00:00Z"],
    ["month 13", "2024-13-01T00:00:00Z"],
    ["month 00", "2024-00-10T00:00:00Z"],
    ["day 00", "2024-01-00T00:00:00Z"],
    ["day 32", "2024-01-32T00:00:00Z"],
    ["hour 24", "2024-01-01T24:00:00Z"],
    ["minute 60", "2024-01-01T23:60:00Z"],
    ["a leap second 23:59:60", "2016-12-31T23:59:60Z"],
    ["month 00 of year 0000", "0000-00-01T00:00:00Z"],
  ])("refuses %s as not a calendar time", (_label, text) => {
    const failure = invalidOf(parseIsoEventTime("record.t", text));
    expect(failure.field).toBe("record.t");
    expect(failure.rule).toContain(`${text} is not a calendar time`);
  });

  it.each([
    "",
    "2024-01-01",
    "2024-01-01T00:00Z",
    "2024-01-01T00:00:00",
    "2024-01-01T00:00:00+00:00",
    "2024-01-01T00:00:00.000+01:00",
    "2024-01-01 00:00:00Z",
    "2024-01-01t00:00:00z",
    "2024-01-01T00:00:00.Z",
    "2024-1-01T00:00:00Z",
    "24-01-01T00:00:00Z",
    "10000-01-01T00:00:00Z",
    "-0001-01-01T00:00:00Z",
    "+002024-01-01T00:00:00Z",
    " 2024-01-01T00:00:00Z",
    "2024-01-01T00:00:00Z ",
    "２０２４-01-01T00:00:00Z",
    "1700000000",
  ])("refuses the malformed time %j with the ISO rule", (text) => {
    const failure = invalidOf(parseIsoEventTime("record.t", text));
    expect(failure.field).toBe("record.t");
    expect(failure.rule).toMatch(/^must be an ISO-8601 UTC time/);
  });
});

describe("epoch-second event times", () => {
  it("gives epoch 1700000000.123 the same key and millisecond as 2023-11-14T22:13:20.123Z", () => {
    expect(epoch(T1_7E9 + 0.123)).toEqual(iso("2023-11-14T22:13:20.123Z"));
    expect(valueOf(parseEventTime("eventTime", "Fractional", "1700000000.123"))).toEqual(iso("2023-11-14T22:13:20.123Z"));
  });

  it("splits a negative fraction into the second before and its remainder", () => {
    expect(epoch(-1.25).key).toBe(expectedKey(YEAR_ZERO_TO_EPOCH - 2, 750_000_000));
  });

  it("refuses epoch seconds of 10000-01-01T00:00:00Z, one second after year 9999", () => {
    invalidOf(parseEpochEventTime("eventTime", YEAR_ZERO_TO_YEAR_10000 - YEAR_ZERO_TO_EPOCH));
    expect(epoch(YEAR_ZERO_TO_YEAR_10000 - YEAR_ZERO_TO_EPOCH - 1).key).toBe(expectedKey(YEAR_ZERO_TO_YEAR_10000 - 1, 0));
  });

  it.each(["0x10", "0b1", " 12 ", "1e", ""])("refuses the non-decimal epoch string %j", (text) => {
    invalidOf(parseEventTime("eventTime", "Fractional", text));
  });
  it("gives epoch 1,700,000,000 the same key as 2023-11-14T22:13:20Z", () => {
    expect(epoch(T1_7E9)).toEqual(iso("2023-11-14T22:13:20Z"));
  });

  it("keeps a binary-exact fraction: 1700000000.25 is 250 ms", () => {
    const time = epoch(T1_7E9 + 0.25);
    expect(time.key).toBe(expectedKey(T1_7E9 + YEAR_ZERO_TO_EPOCH, 250_000_000));
    expect(time.epochMs).toBe(T1_7E9 * 1000 + 250);
  });

  it("keeps nanoseconds of small epoch values (1.000000001 s)", () => {
    expect(epoch(1.000000001).key).toBe(expectedKey(YEAR_ZERO_TO_EPOCH + 1, 1));
  });

  it("places negative fractional seconds before the epoch: -1.25 s is 1969-12-31T23:59:58.75Z", () => {
    const time = epoch(-1.25);
    expect(time).toEqual(iso("1969-12-31T23:59:58.75Z"));
    expect(time.key).toBe(expectedKey(YEAR_ZERO_TO_EPOCH - 2, 750_000_000));
    expect(time.epochMs).toBe(-1250);
    expect(isoFromEpochMs(time.epochMs)).toBe("1969-12-31T23:59:58.750Z");
  });

  it("treats -0 like 0", () => {
    expect(epoch(-0)).toEqual(epoch(0));
  });

  it("accepts the first second of year 0000 and refuses anything earlier", () => {
    expect(epoch(-YEAR_ZERO_TO_EPOCH).key).toBe("000000000000.000000000");
    expect(epoch(-YEAR_ZERO_TO_EPOCH + 0.5).key).toBe("000000000000.500000000");
    for (const seconds of [-YEAR_ZERO_TO_EPOCH - 0.5, -YEAR_ZERO_TO_EPOCH - 1, -1e15]) {
      expect(invalidOf(parseEpochEventTime("record.t", seconds)).rule).toMatch(/epoch seconds/);
    }
  });

  it("accepts the last second of year 9999 and refuses times a second or more into year 10000", () => {
    const last = YEAR_ZERO_TO_YEAR_10000 - YEAR_ZERO_TO_EPOCH - 1;
    expect(epoch(last)).toEqual(iso("9999-12-31T23:59:59Z"));
    expect(epoch(last + 0.5)).toEqual(iso("9999-12-31T23:59:59.5Z"));
    for (const seconds of [last + 2, last + 1000, 1e15, Number.MAX_VALUE]) {
      expect(invalidOf(parseEpochEventTime("record.t", seconds)).field).toBe("record.t");
    }
  });

  it.each([NaN, Infinity, -Infinity])("refuses %s", (seconds) => {
    const failure = invalidOf(parseEpochEventTime("record.t", seconds));
    expect(failure.rule).toMatch(/finite number/);
  });
});

describe("parseEventTime by declared type", () => {
  it("reads a String event-time feature as ISO-8601 only", () => {
    expect(valueOf(parseEventTime("t", "String", "1970-01-01T00:00:01Z")).epochMs).toBe(1000);
    expect(invalidOf(parseEventTime("t", "String", 1)).rule).toMatch(/ISO-8601/);
    expect(invalidOf(parseEventTime("t", "String", "1")).rule).toMatch(/ISO-8601/);
  });

  it("reads a Fractional event-time feature as epoch seconds, given as a number or a decimal string", () => {
    expect(valueOf(parseEventTime("t", "Fractional", 1.5)).epochMs).toBe(1500);
    expect(valueOf(parseEventTime("t", "Fractional", "1.5")).epochMs).toBe(1500);
    expect(valueOf(parseEventTime("t", "Fractional", "-2")).epochMs).toBe(-2000);
  });

  it.each(["NaN", "Infinity", "-Infinity", "1e400", "", "   ", "2024-01-01T00:00:00Z", "abc"])(
    "refuses the Fractional event-time string %j",
    (text) => {
      const failure = invalidOf(parseEventTime("record.t", "Fractional", text));
      expect(failure.field).toBe("record.t");
      expect(failure.rule).toMatch(/epoch seconds/);
    },
  );

  it.each([null, undefined, true, {}, [1]])("refuses the non-number %j as a Fractional event time", (raw) => {
    expect(invalidOf(parseEventTime("t", "Fractional", raw)).rule).toMatch(/epoch seconds/);
  });
});

describe("event-time key order", () => {
  it("sorts ISO times with different fraction-digit counts in time order", () => {
    const ascending = [
      "0000-01-01T00:00:00Z",
      "0000-01-01T00:00:00.000000001Z",
      "0999-12-31T23:59:59.9Z",
      "1000-01-01T00:00:00Z",
      "1969-12-31T23:59:59.999Z",
      "1970-01-01T00:00:00Z",
      "2024-02-29T12:00:00Z",
      "2024-02-29T12:00:00.000000001Z",
      "2024-02-29T12:00:00.1Z",
      "2024-02-29T12:00:00.123456789Z",
      "2024-02-29T12:00:00.49Z",
      "2024-02-29T12:00:00.5Z",
      "2024-02-29T12:00:00.999999999Z",
      "2024-02-29T12:00:01Z",
      "2024-02-29T12:00:10.01Z",
      "9999-12-31T23:59:59.999999999Z",
    ];
    const keys = ascending.map((t) => iso(t).key);
    const shuffled = [...keys].reverse();
    shuffled.push(shuffled.splice(3, 1)[0]!);
    expect(shuffled.sort(byteOrder)).toEqual(keys);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("sorts epoch seconds numerically, not as text (9.5 before 10, -1 before 0)", () => {
    const ascending = [-YEAR_ZERO_TO_EPOCH, -100, -1.5, -1, -0.25, 0, 0.5, 1, 9.5, 10, 99.75, 100, T1_7E9, T1_7E9 + 0.5];
    const keys = ascending.map((s) => epoch(s).key);
    expect([...keys].reverse().sort(byteOrder)).toEqual(keys);
  });

  it.each([
    [0, "1970-01-01T00:00:00Z"],
    [-0.5, "1969-12-31T23:59:59.5Z"],
    [T1_7E9 + 0.25, "2023-11-14T22:13:20.25Z"],
    [T1_7E9 + 0.0625, "2023-11-14T22:13:20.0625Z"],
    [-YEAR_ZERO_TO_EPOCH, "0000-01-01T00:00:00Z"],
    [YEAR_ZERO_TO_YEAR_10000 - YEAR_ZERO_TO_EPOCH - 1, "9999-12-31T23:59:59Z"],
  ])("gives epoch %d and %s the same key", (seconds, text) => {
    expect(epoch(seconds)).toEqual(iso(text));
  });

  it("orders 2,000 random ISO instants across years 0000-9999 and 0-9 fraction digits by key as by time", () => {
    const random = seededRandom(20_240_229);
    const minSeconds = -YEAR_ZERO_TO_EPOCH;
    const span = YEAR_ZERO_TO_YEAR_10000;
    const samples: { key: string; nanosSinceYearZero: bigint; text: string; epochMs: number }[] = [];
    for (let i = 0; i < 2000; i++) {
      const seconds = minSeconds + Math.floor(random() * span);
      const digits = Math.floor(random() * 10);
      const fraction = Math.floor(random() * 10 ** digits);
      const fractionText = digits === 0 ? "" : `.${String(fraction).padStart(digits, "0")}`;
      const nanos = fraction * 10 ** (9 - digits);
      // Date renders years 0000-9999 with four digits; drop its milliseconds.
      const text = `${new Date(seconds * 1000).toISOString().slice(0, 19)}${fractionText}Z`;
      const time = iso(text);
      expect(time.key, text).toBe(expectedKey(seconds + YEAR_ZERO_TO_EPOCH, nanos));
      expect(time.epochMs, text).toBe(seconds * 1000 + Math.floor(nanos / 1e6));
      samples.push({ key: time.key, nanosSinceYearZero: BigInt(seconds + YEAR_ZERO_TO_EPOCH) * 1_000_000_000n + BigInt(nanos), text, epochMs: time.epochMs });
    }
    const byKey = [...samples].sort((a, b) => byteOrder(a.key, b.key)).map((s) => s.text);
    const byTime = [...samples].sort((a, b) => (a.nanosSinceYearZero < b.nanosSinceYearZero ? -1 : a.nanosSinceYearZero > b.nanosSinceYearZero ? 1 : 0)).map((s) => s.text);
    expect(byKey).toEqual(byTime);
  });

  it("orders random epoch seconds with quarter-second fractions the same as their ISO forms", () => {
    const random = seededRandom(7);
    for (let i = 0; i < 500; i++) {
      const seconds = -YEAR_ZERO_TO_EPOCH + Math.floor(random() * YEAR_ZERO_TO_YEAR_10000);
      const quarter = Math.floor(random() * 4);
      const text = `${new Date(seconds * 1000).toISOString().slice(0, 19)}${["", ".25", ".5", ".75"][quarter]}Z`;
      expect(epoch(seconds + quarter / 4), text).toEqual(iso(text));
    }
  });
});

describe("isoFromEpochMs", () => {
  it("renders epoch milliseconds as ISO-8601 UTC with milliseconds", () => {
    expect(isoFromEpochMs(0)).toBe("1970-01-01T00:00:00.000Z");
    expect(isoFromEpochMs(T1_7E9 * 1000 + 7)).toBe("2023-11-14T22:13:20.007Z");
  });

  it("round-trips the millisecond part of a parsed ISO event time", () => {
    expect(isoFromEpochMs(iso("2024-02-29T12:34:56.789123Z").epochMs)).toBe("2024-02-29T12:34:56.789Z");
  });
});
