import { describe, expect, it } from "vitest";
import {
  MAX_RECORD_BYTES,
  MAX_RECORD_IDENTIFIER_BYTES,
  parseFeatureSubset,
  parseRecordIdentifier,
  validateRecord,
  type ValueEncoding,
} from "../../src/records";
import { failureOf, invalidOf, schemaOf, valueOf } from "./fixtures";

/** String identifier, ISO event time, and one feature of each shape. */
const customers = schemaOf("customer_id", "event_time", [
  ["customer_id", "String"],
  ["event_time", "String"],
  ["age", "Integral"],
  ["score", "Fractional"],
  ["name", "String"],
  ["notes", "String"],
  ["tags", "String", { type: "Set" }],
  ["counts", "Integral", { type: "List" }],
  ["embedding", "Fractional", { type: "Vector", dimension: 3 }],
]);

/** Integral identifier and epoch-second event time. */
const orders = schemaOf(
  "order_id",
  "ts",
  [
    ["order_id", "Integral"],
    ["ts", "Fractional"],
    ["amount", "Fractional"],
  ],
  "orders",
);

const fieldOf = (feature: string) => `record.${feature}`;
const validate = (schema: typeof customers, record: Record<string, unknown>, encoding: ValueEncoding = "typed") =>
  validateRecord(schema, Object.entries(record), encoding, fieldOf);
const T = "2024-02-29T12:00:00Z";
const utf8Length = (text: string) => new TextEncoder().encode(text).byteLength;

describe("validateRecord", () => {
  it("returns the canonical identifier, event key, event time and JSON body of a valid record", () => {
    const record = valueOf(
      validate(customers, {
        customer_id: "c-1",
        event_time: "2024-02-29T12:00:00.5Z",
        age: "042",
        score: -0,
        tags: ["vip", "new"],
        counts: [1, "2"],
        embedding: [0.5, 1, "2"],
      }),
    );
    expect(record.recordIdentifier).toBe("c-1");
    // 2024-02-29T12:00:00Z is epoch second 1,709,208,000.
    expect(record.eventTimeMs).toBe(1_709_208_000_500);
    expect(record.eventKey).toBe(`0${1_709_208_000 + 62_167_219_200}.500000000`);
    expect(record.body).toBe(
      '{"customer_id":"c-1","event_time":"2024-02-29T12:00:00.5Z","age":42,"score":0,"tags":["vip","new"],"counts":[1,2],"embedding":[0.5,1,2]}',
    );
    expect(record.sizeBytes).toBe(record.body.length);
  });

  it("counts sizeBytes in UTF-8 bytes, not characters", () => {
    const record = valueOf(validate(customers, { customer_id: "c", event_time: T, name: "日本😀" }));
    // 日 and 本 take 3 bytes each and 😀 takes 4, but they are 4 UTF-16 code units.
    expect(record.sizeBytes).toBe(record.body.length - 4 + 10);
    expect(record.sizeBytes).toBe(utf8Length(record.body));
  });

  it("keeps int64 values beyond 2^53 exact in the body", () => {
    const record = valueOf(validate(customers, { customer_id: "c", event_time: T, age: "9223372036854775807" }));
    expect(JSON.parse(record.body).age).toBe("9223372036854775807");
  });

  it("requires the record identifier", () => {
    expect(invalidOf(validate(customers, { event_time: T, age: 1 }))).toEqual({
      reason: "invalid_field",
      field: "record.customer_id",
      rule: "is required (the record identifier feature)",
    });
  });

  it("requires the event time", () => {
    expect(invalidOf(validate(customers, { customer_id: "c", age: 1 }))).toEqual({
      reason: "invalid_field",
      field: "record.event_time",
      rule: "is required (the event time feature)",
    });
  });

  it("treats null as absent: a null feature is left out of the body", () => {
    const record = valueOf(validate(customers, { customer_id: "c", event_time: T, age: null, name: "n" }));
    expect(JSON.parse(record.body)).toEqual({ customer_id: "c", event_time: T, name: "n" });
    expect(record.body).not.toContain("null");
  });

  it("treats a null identifier or event time as missing", () => {
    expect(invalidOf(validate(customers, { customer_id: null, event_time: T })).rule).toMatch(/is required/);
    expect(invalidOf(validate(customers, { customer_id: "c", event_time: null })).rule).toMatch(/is required/);
  });

  it("reports an unknown feature with its name, its group and its field", () => {
    expect(failureOf(validate(customers, { customer_id: "c", event_time: T, favourite_colour: "blue" }))).toEqual({
      reason: "unknown_feature",
      featureGroup: "customers",
      feature: "favourite_colour",
      field: "record.favourite_colour",
    });
  });

  it("reports an unknown feature even when its value is null", () => {
    const failure = failureOf(validate(customers, { customer_id: "c", event_time: T, mystery: null }));
    expect(failure).toMatchObject({ reason: "unknown_feature", feature: "mystery" });
  });

  it("matches feature names exactly, so a different case is unknown", () => {
    expect(failureOf(validate(customers, { customer_id: "c", event_time: T, Age: 1 }))).toMatchObject({ reason: "unknown_feature", feature: "Age" });
  });

  it("refuses a feature given twice", () => {
    const entries: [string, unknown][] = [
      ["customer_id", "c"],
      ["event_time", T],
      ["age", 1],
      ["age", 2],
    ];
    expect(invalidOf(validateRecord(customers, entries, "typed", fieldOf))).toEqual({
      reason: "invalid_field",
      field: "record.age",
      rule: "must appear only once in a record",
    });
  });

  it("reports a feature value error in that feature's field", () => {
    expect(invalidOf(validate(customers, { customer_id: "c", event_time: T, score: "NaN" })).field).toBe("record.score");
    expect(invalidOf(validate(customers, { customer_id: "c", event_time: T, counts: [1, 2, "x"] })).field).toBe("record.counts[2]");
    expect(invalidOf(validate(customers, { customer_id: "c", event_time: T, tags: ["a", "a"] })).field).toBe("record.tags[1]");
    expect(invalidOf(validate(customers, { customer_id: "c", event_time: T, embedding: [1, 2] })).field).toBe("record.embedding");
  });

  it("reports an invalid event time in the event time's field", () => {
    const failure = invalidOf(validate(customers, { customer_id: "c", event_time: "2024-02-30T00:00:00Z" }));
    expect(failure.field).toBe("record.event_time");
    expect(failure.rule).toMatch(/not a calendar time/);
  });

  it("uses the caller's field naming in messages", () => {
    const failure = invalidOf(validateRecord(customers, [["customer_id", "c"]], "strings", (f) => `Record[${f}]`));
    expect(failure.field).toBe("Record[event_time]");
  });

  it("canonicalises an Integral identifier: \"007\" becomes \"7\"", () => {
    const record = valueOf(validate(orders, { order_id: "007", ts: "1700000000" }, "strings"));
    expect(record.recordIdentifier).toBe("7");
    expect(record.body).toBe('{"order_id":7,"ts":1700000000}');
  });

  it("canonicalises an Integral identifier beyond 2^53 to its exact decimal", () => {
    const record = valueOf(validate(orders, { order_id: "+09223372036854775807", ts: "0" }, "strings"));
    expect(record.recordIdentifier).toBe("9223372036854775807");
  });

  it("gives the Integral identifiers 7, \"7\" and \"+7\" the same canonical identifier", () => {
    const ids = [
      valueOf(validate(orders, { order_id: 7, ts: 1 }, "typed")).recordIdentifier,
      valueOf(validate(orders, { order_id: "7", ts: "1" }, "strings")).recordIdentifier,
      valueOf(validate(orders, { order_id: "+7", ts: "1" }, "strings")).recordIdentifier,
    ];
    expect(ids).toEqual(["7", "7", "7"]);
  });

  it("reads a Fractional event time given as a string in the strings encoding", () => {
    const record = valueOf(validate(orders, { order_id: "1", ts: "1700000000.5" }, "strings"));
    expect(record.eventTimeMs).toBe(1_700_000_000_500);
    expect(record.eventKey).toBe(`0${1_700_000_000 + 62_167_219_200}.500000000`);
  });

  it("refuses NaN and Infinity strings as a Fractional event time", () => {
    for (const ts of ["NaN", "Infinity", "-Infinity"]) {
      expect(invalidOf(validate(orders, { order_id: "1", ts }, "strings")).field).toBe("record.ts");
    }
  });

  it("refuses an empty String identifier", () => {
    expect(invalidOf(validate(customers, { customer_id: "", event_time: T }))).toEqual({
      reason: "invalid_field",
      field: "record.customer_id",
      rule: "must not be empty",
    });
  });

  it("accepts an identifier of exactly 2 KB of UTF-8 and refuses one byte more", () => {
    expect(MAX_RECORD_IDENTIFIER_BYTES).toBe(2048);
    expect(valueOf(validate(customers, { customer_id: "x".repeat(2048), event_time: T })).recordIdentifier).toHaveLength(2048);
    const failure = invalidOf(validate(customers, { customer_id: "x".repeat(2049), event_time: T }));
    expect(failure.field).toBe("record.customer_id");
    expect(failure.rule).toBe("must be at most 2048 bytes of UTF-8");
  });

  it("measures the identifier limit in UTF-8 bytes: 683 three-byte characters are too many", () => {
    // 682 × 3 = 2046 bytes fits; 683 × 3 = 2049 bytes does not, though it is only 683 characters.
    expect(validate(customers, { customer_id: "€".repeat(682), event_time: T }).ok).toBe(true);
    expect(invalidOf(validate(customers, { customer_id: "€".repeat(683), event_time: T })).rule).toMatch(/2048 bytes/);
  });

  describe("the 350 KB record limit", () => {
    const padded = schemaOf("id", "t", [
      ["id", "String"],
      ["t", "String"],
      ["a", "String"],
      ["b", "String"],
    ]);
    /** Bytes of the body with every padding string empty. */
    const overhead = JSON.stringify({ id: "r", t: T, a: "" }).length;

    it("is 350 × 1024 bytes", () => {
      expect(MAX_RECORD_BYTES).toBe(358_400);
    });

    it("accepts a record whose serialized body is exactly 350 KB", () => {
      const a = "x".repeat(MAX_RECORD_BYTES - overhead);
      const record = valueOf(validate(padded, { id: "r", t: T, a }));
      expect(record.sizeBytes).toBe(MAX_RECORD_BYTES);
      expect(record.body).toBe(`{"id":"r","t":"${T}","a":"${a}"}`);
    });

    it("refuses a record one byte over 350 KB as too large", () => {
      const a = "x".repeat(MAX_RECORD_BYTES - overhead + 1);
      expect(failureOf(validate(padded, { id: "r", t: T, a }))).toEqual({ reason: "payload_too_large", field: "record", limitBytes: MAX_RECORD_BYTES });
    });

    it("adds up every feature: two 200,000-character strings are too large together", () => {
      const half = "x".repeat(200_000);
      expect(validate(padded, { id: "r", t: T, a: half }).ok).toBe(true);
      expect(failureOf(validate(padded, { id: "r", t: T, a: half, b: half })).reason).toBe("payload_too_large");
    });

    it("counts multi-byte characters by their UTF-8 size", () => {
      // 120,000 characters of 3 bytes each are 360,000 bytes.
      expect(failureOf(validate(padded, { id: "r", t: T, a: "€".repeat(120_000) })).reason).toBe("payload_too_large");
      expect(validate(padded, { id: "r", t: T, a: "€".repeat(119_000) }).ok).toBe(true);
    });

    it("counts JSON escaping: 200,000 quote characters serialize to 400,000 bytes", () => {
      expect(failureOf(validate(padded, { id: "r", t: T, a: '"'.repeat(200_000) })).reason).toBe("payload_too_large");
      expect(validate(padded, { id: "r", t: T, a: "x".repeat(200_000) }).ok).toBe(true);
    });

    it("does not count null features", () => {
      const a = "x".repeat(MAX_RECORD_BYTES - overhead);
      expect(validate(padded, { id: "r", t: T, a, b: null }).ok).toBe(true);
    });
  });
});

describe("parseRecordIdentifier", () => {
  it("canonicalises an Integral identifier from a URL: \"007\" finds record 7", () => {
    expect(valueOf(parseRecordIdentifier(orders, "id", "007"))).toBe("7");
    expect(valueOf(parseRecordIdentifier(orders, "id", "+7"))).toBe("7");
    expect(valueOf(parseRecordIdentifier(orders, "id", "-0"))).toBe("0");
    expect(valueOf(parseRecordIdentifier(orders, "id", 7))).toBe("7");
  });

  it("canonicalises Integral identifiers beyond 2^53 exactly", () => {
    expect(valueOf(parseRecordIdentifier(orders, "id", "0009223372036854775807"))).toBe("9223372036854775807");
    expect(valueOf(parseRecordIdentifier(orders, "id", "-9223372036854775808"))).toBe("-9223372036854775808");
  });

  it("agrees with validateRecord on the canonical identifier", () => {
    const put = valueOf(validate(orders, { order_id: "000123", ts: "5" }, "strings"));
    expect(valueOf(parseRecordIdentifier(orders, "id", "123"))).toBe(put.recordIdentifier);
  });

  it.each(["", "abc", "1.5", " 7", "9223372036854775808"])("refuses %j as an Integral identifier in the caller's field", (raw) => {
    const failure = invalidOf(parseRecordIdentifier(orders, "recordIdentifiers[3]", raw));
    expect(failure.field).toBe("recordIdentifiers[3]");
    expect(failure.rule).toMatch(/64-bit integer/);
  });

  it("refuses a JSON number beyond 2^53 as an Integral identifier", () => {
    expect(invalidOf(parseRecordIdentifier(orders, "id", 2 ** 53)).rule).toMatch(/send them as strings/);
  });

  it("keeps String identifiers verbatim", () => {
    for (const id of ["007", " padded ", "Ünïcödé", "a/b?c"]) expect(valueOf(parseRecordIdentifier(customers, "id", id))).toBe(id);
  });

  it("refuses an empty String identifier", () => {
    expect(invalidOf(parseRecordIdentifier(customers, "id", ""))).toEqual({ reason: "invalid_field", field: "id", rule: "must not be empty" });
  });

  it("refuses a String identifier over 2 KB of UTF-8", () => {
    expect(parseRecordIdentifier(customers, "id", "é".repeat(1024)).ok).toBe(true);
    expect(invalidOf(parseRecordIdentifier(customers, "id", `${"é".repeat(1024)}x`)).rule).toMatch(/2048 bytes/);
  });

  it("refuses a number for a String identifier and a lone surrogate", () => {
    expect(invalidOf(parseRecordIdentifier(customers, "id", 7)).rule).toBe("must be a string");
    expect(invalidOf(parseRecordIdentifier(customers, "id", "a\uD800")).rule).toMatch(/lone surrogates/);
  });

  it("canonicalises a Fractional identifier to JavaScript's shortest decimal", () => {
    const schema = schemaOf("k", "t", [
      ["k", "Fractional"],
      ["t", "Fractional"],
    ]);
    expect(valueOf(parseRecordIdentifier(schema, "id", "1.50"))).toBe("1.5");
    expect(valueOf(parseRecordIdentifier(schema, "id", "1e2"))).toBe("100");
  });

  it("refuses identifiers when the catalog lacks the identifier feature", () => {
    const broken = schemaOf("missing", "t", [["t", "String"]]);
    expect(invalidOf(parseRecordIdentifier(broken, "id", "1")).rule).toMatch(/no identifier feature/);
  });
});

describe("parseFeatureSubset", () => {
  it("means every feature when no names are given", () => {
    expect(valueOf(parseFeatureSubset(customers, "features", []))).toBeUndefined();
  });

  it("returns the requested names in request order", () => {
    expect(valueOf(parseFeatureSubset(customers, "features", ["score", "age", "customer_id"]))).toEqual(["score", "age", "customer_id"]);
  });

  it("drops repeated names, keeping the first occurrence", () => {
    expect(valueOf(parseFeatureSubset(customers, "features", ["age", "score", "age", "score"]))).toEqual(["age", "score"]);
  });

  it("reports the first unknown name with the caller's field", () => {
    expect(failureOf(parseFeatureSubset(customers, "FeatureNames", ["age", "height", "weight"]))).toEqual({
      reason: "unknown_feature",
      featureGroup: "customers",
      feature: "height",
      field: "FeatureNames",
    });
  });

  it("matches names case-sensitively", () => {
    expect(failureOf(parseFeatureSubset(customers, "f", ["AGE"]))).toMatchObject({ reason: "unknown_feature", feature: "AGE" });
  });
});
