import { describe, expect, it } from "vitest";
import { MAX_STRING_VALUE_CHARS, parseFeatureValue, type FeatureDefinition } from "../../src/records";
import { parseFractional, parseIntegral, parseString } from "../../src/records/values";
import { invalidOf, valueOf } from "./fixtures";

const INT64_MAX = "9223372036854775807"; // 2^63 - 1
const INT64_MIN = "-9223372036854775808"; // -2^63
const SAFE_MAX = 2 ** 53 - 1; // 9007199254740991

describe("Integral values", () => {
  it("keeps safe integers as JSON numbers", () => {
    expect(valueOf(parseIntegral("f", 42, "typed"))).toBe(42);
    expect(valueOf(parseIntegral("f", -42, "typed"))).toBe(-42);
    expect(valueOf(parseIntegral("f", SAFE_MAX, "typed"))).toBe(SAFE_MAX);
    expect(valueOf(parseIntegral("f", -SAFE_MAX, "typed"))).toBe(-SAFE_MAX);
  });

  it("keeps int64 beyond 2^53 exact as a decimal string", () => {
    // 2^53 + 1 has no double; a decimal string must come back digit for digit.
    expect(valueOf(parseIntegral("f", "9007199254740993", "strings"))).toBe("9007199254740993");
    expect(valueOf(parseIntegral("f", "9007199254740993", "typed"))).toBe("9007199254740993");
    expect(valueOf(parseIntegral("f", "-9007199254740993", "strings"))).toBe("-9007199254740993");
    expect(valueOf(parseIntegral("f", "1234567890123456789", "strings"))).toBe("1234567890123456789");
  });

  it("switches from number to string exactly at ±2^53", () => {
    expect(valueOf(parseIntegral("f", "9007199254740991", "strings"))).toBe(SAFE_MAX);
    expect(valueOf(parseIntegral("f", "9007199254740992", "strings"))).toBe("9007199254740992");
    expect(valueOf(parseIntegral("f", "-9007199254740991", "strings"))).toBe(-SAFE_MAX);
    expect(valueOf(parseIntegral("f", "-9007199254740992", "strings"))).toBe("-9007199254740992");
  });

  it("accepts exactly the int64 bounds 2^63-1 and -2^63", () => {
    expect(valueOf(parseIntegral("f", INT64_MAX, "strings"))).toBe(INT64_MAX);
    expect(valueOf(parseIntegral("f", INT64_MIN, "strings"))).toBe(INT64_MIN);
    expect(valueOf(parseIntegral("f", INT64_MAX, "typed"))).toBe(INT64_MAX);
    expect(valueOf(parseIntegral("f", INT64_MIN, "typed"))).toBe(INT64_MIN);
  });

  it.each(["9223372036854775808", "-9223372036854775809", "18446744073709551615", "99999999999999999999"])(
    "refuses %s as out of the int64 range",
    (text) => {
      const failure = invalidOf(parseIntegral("record.n", text, "strings"));
      expect(failure.field).toBe("record.n");
      expect(failure.rule).toContain(`${text} is out of range`);
    },
  );

  it.each([2 ** 53, -(2 ** 53), 2 ** 63, 1e20])("refuses the JSON number %d and tells the client to send a string", (n) => {
    const failure = invalidOf(parseIntegral("record.n", n, "typed"));
    expect(failure.field).toBe("record.n");
    expect(failure.rule).toMatch(/send them as strings/);
  });

  it.each([
    ["007", 7],
    ["+42", 42],
    ["-007", -7],
    ["+0", 0],
    ["000", 0],
    ["0009007199254740991", SAFE_MAX],
  ])("canonicalises %j to %d", (text, expected) => {
    expect(valueOf(parseIntegral("f", text, "strings"))).toBe(expected);
  });

  it("canonicalises leading zeros and a plus sign on int64 strings beyond 2^53", () => {
    expect(valueOf(parseIntegral("f", `+${INT64_MAX}`, "strings"))).toBe(INT64_MAX);
    expect(valueOf(parseIntegral("f", `000${INT64_MAX}`, "strings"))).toBe(INT64_MAX);
    expect(valueOf(parseIntegral("f", "-0009223372036854775808", "strings"))).toBe(INT64_MIN);
  });

  it("turns -0 into 0, as a number and as a string", () => {
    expect(valueOf(parseIntegral("f", -0, "typed"))).toBe(0);
    expect(valueOf(parseIntegral("f", "-0", "strings"))).toBe(0);
    expect(valueOf(parseIntegral("f", "-000", "typed"))).toBe(0);
  });

  it.each(["", " 1", "1 ", "1.0", "1.5", "1e3", "0x10", "1_000", "--1", "+-1", "NaN", "Infinity", "١٢", "12a", "0".repeat(26)])(
    "refuses the string %j",
    (text) => {
      const failure = invalidOf(parseIntegral("record.n", text, "strings"));
      expect(failure.field).toBe("record.n");
      expect(failure.rule).toMatch(/^must be a signed 64-bit integer/);
    },
  );

  it.each([1.5, -0.1, NaN, Infinity, -Infinity])("refuses the JSON number %d", (n) => {
    expect(invalidOf(parseIntegral("f", n, "typed")).rule).toMatch(/64-bit integer/);
  });

  it("refuses JSON numbers in the strings encoding, where every scalar is a string", () => {
    expect(invalidOf(parseIntegral("f", 7, "strings")).rule).toMatch(/64-bit integer/);
  });

  it.each([null, true, {}, [1], 7n])("refuses the non-number %s", (raw) => {
    expect(parseIntegral("f", raw, "typed").ok).toBe(false);
  });
});

describe("Fractional values", () => {
  it("accepts finite JSON numbers as they are", () => {
    expect(valueOf(parseFractional("f", 0.1, "typed"))).toBe(0.1);
    expect(valueOf(parseFractional("f", -1e-300, "typed"))).toBe(-1e-300);
    expect(valueOf(parseFractional("f", Number.MAX_VALUE, "typed"))).toBe(Number.MAX_VALUE);
    expect(valueOf(parseFractional("f", 42, "typed"))).toBe(42);
  });

  it.each([NaN, Infinity, -Infinity])("refuses the non-finite number %d", (n) => {
    const failure = invalidOf(parseFractional("record.x", n, "typed"));
    expect(failure).toEqual({ field: "record.x", rule: "must be a finite IEEE-754 double", reason: "invalid_field" });
  });

  it.each([
    ["1.5", 1.5],
    ["-2", -2],
    ["+3.25", 3.25],
    [".5", 0.5],
    ["5.", 5],
    ["1e3", 1000],
    ["1E-2", 0.01],
    ["-1.5e+2", -150],
    ["0.1", 0.1],
    ["1.7976931348623157e308", Number.MAX_VALUE],
  ])("accepts the decimal string %j in the strings encoding as %d", (text, expected) => {
    expect(valueOf(parseFractional("f", text, "strings"))).toBe(expected);
  });

  it("also accepts decimal strings in the typed encoding", () => {
    expect(valueOf(parseFractional("f", "2.5", "typed"))).toBe(2.5);
  });

  it.each(["NaN", "Infinity", "-Infinity", "+Infinity", "inf", "1e309", "-1e309", "", " 1", "1 ", "0x10", "1,5", "1.2.3", "e5", ".", "-", "1e", "١"])(
    "refuses the string %j",
    (text) => {
      expect(invalidOf(parseFractional("record.x", text, "strings"))).toEqual({
        reason: "invalid_field",
        field: "record.x",
        rule: "must be a finite IEEE-754 double",
      });
    },
  );

  it("refuses JSON numbers in the strings encoding", () => {
    expect(parseFractional("f", 1.5, "strings").ok).toBe(false);
  });

  it("turns -0 into 0", () => {
    expect(valueOf(parseFractional("f", -0, "typed"))).toBe(0);
    expect(valueOf(parseFractional("f", "-0", "strings"))).toBe(0);
    expect(valueOf(parseFractional("f", "-0.0e5", "strings"))).toBe(0);
  });

  it.each([null, true, {}, [1.5]])("refuses the non-number %j", (raw) => {
    expect(parseFractional("f", raw, "typed").ok).toBe(false);
  });
});

describe("String values", () => {
  it("accepts any well-formed text, including the empty string and astral characters", () => {
    for (const text of ["", "hello", "naïve", "日本語", "😀", "a\u0000b", "\uD83D\uDE00"]) {
      expect(valueOf(parseString("f", text))).toBe(text);
    }
  });

  it.each([
    ["a lone high surrogate", "\uD800"],
    ["a lone low surrogate", "\uDC00"],
    ["a high surrogate at the end", "abc\uD83D"],
    ["a reversed surrogate pair", "\uDE00\uD83D"],
  ])("refuses %s", (_label, text) => {
    const failure = invalidOf(parseString("record.s", text));
    expect(failure.field).toBe("record.s");
    expect(failure.rule).toMatch(/lone surrogates/);
  });

  it("accepts a string of exactly the character limit and refuses one character more", () => {
    expect(MAX_STRING_VALUE_CHARS).toBe(358_400);
    expect(parseString("f", "x".repeat(MAX_STRING_VALUE_CHARS)).ok).toBe(true);
    const failure = invalidOf(parseString("record.s", "x".repeat(MAX_STRING_VALUE_CHARS + 1)));
    expect(failure.field).toBe("record.s");
    expect(failure.rule).toBe("must be at most 358400 characters");
  });

  it.each([42, null, true, ["a"], {}])("refuses the non-string %j", (raw) => {
    expect(invalidOf(parseString("f", raw)).rule).toBe("must be a string");
  });
});

describe("feature values with collection types", () => {
  const def = (type: FeatureDefinition["type"], collection?: FeatureDefinition["collection"]): FeatureDefinition =>
    collection ? { name: "f", type, collection } : { name: "f", type };

  it("canonicalises each element of an Integral List", () => {
    expect(valueOf(parseFeatureValue(def("Integral", { type: "List" }), "f", ["007", 2, "+3", INT64_MAX], "typed"))).toEqual([7, 2, 3, INT64_MAX]);
  });

  it("keeps List order and allows repeats in a List", () => {
    expect(valueOf(parseFeatureValue(def("String", { type: "List" }), "f", ["b", "a", "b"], "typed"))).toEqual(["b", "a", "b"]);
  });

  it("accepts an empty List and an empty Set", () => {
    expect(valueOf(parseFeatureValue(def("Fractional", { type: "List" }), "f", [], "typed"))).toEqual([]);
    expect(valueOf(parseFeatureValue(def("String", { type: "Set" }), "f", [], "typed"))).toEqual([]);
  });

  it.each([
    ["Integral", [1, "x", 3], "record.f[1]"],
    ["Integral", [1, 2, 1.5], "record.f[2]"],
    ["Fractional", ["NaN"], "record.f[0]"],
    ["String", ["a", "b", "c", 4], "record.f[3]"],
    ["String", ["ok", "\uD800"], "record.f[1]"],
    ["Integral", [1, null], "record.f[1]"],
  ] as const)("checks each %s List element and names the bad one by index", (type, raw, field) => {
    const failure = invalidOf(parseFeatureValue(def(type, { type: "List" }), "record.f", raw, "typed"));
    expect(failure.field).toBe(field);
  });

  it("refuses a repeated value in a Set and names the repeat", () => {
    const failure = invalidOf(parseFeatureValue(def("String", { type: "Set" }), "record.tags", ["a", "b", "a"], "typed"));
    expect(failure).toEqual({ reason: "invalid_field", field: "record.tags[2]", rule: "must not repeat a value in a Set" });
  });

  it("compares Set elements after canonicalisation (\"7\" and \"007\" repeat)", () => {
    const failure = invalidOf(parseFeatureValue(def("Integral", { type: "Set" }), "s", ["7", "8", "007"], "strings"));
    expect(failure.field).toBe("s[2]");
    expect(invalidOf(parseFeatureValue(def("Integral", { type: "Set" }), "s", [7, "7"], "typed")).field).toBe("s[1]");
    expect(invalidOf(parseFeatureValue(def("Integral", { type: "Set" }), "s", [INT64_MAX, `+${INT64_MAX}`], "typed")).field).toBe("s[1]");
    expect(invalidOf(parseFeatureValue(def("Fractional", { type: "Set" }), "s", [0, -0], "typed")).field).toBe("s[1]");
    expect(invalidOf(parseFeatureValue(def("Fractional", { type: "Set" }), "s", ["1.50", "1.5"], "strings")).field).toBe("s[1]");
  });

  it("treats Set strings as case- and normalisation-sensitive", () => {
    const set = def("String", { type: "Set" });
    expect(valueOf(parseFeatureValue(set, "s", ["a", "A", "é", "e\u0301"], "typed"))).toEqual(["a", "A", "é", "e\u0301"]);
  });

  it("keeps an int64 Set with distinct values beyond 2^53 that share a double", () => {
    // 2^53 and 2^53 + 1 are the same double but different int64 values.
    const set = def("Integral", { type: "Set" });
    expect(valueOf(parseFeatureValue(set, "s", ["9007199254740992", "9007199254740993"], "strings"))).toEqual(["9007199254740992", "9007199254740993"]);
  });

  it("accepts a Vector of exactly its dimension", () => {
    const vector = def("Fractional", { type: "Vector", dimension: 3 });
    expect(valueOf(parseFeatureValue(vector, "v", [0.5, "1", -0], "typed"))).toEqual([0.5, 1, 0]);
  });

  it.each([[[]], [[1, 2]], [[1, 2, 3, 4]]])("refuses a 3-dimension Vector of %j with the expected and actual sizes", (raw) => {
    const vector = def("Fractional", { type: "Vector", dimension: 3 });
    const failure = invalidOf(parseFeatureValue(vector, "record.v", raw, "typed"));
    expect(failure.field).toBe("record.v");
    expect(failure.rule).toBe(`must be a Vector of exactly 3 values, got ${raw.length}`);
  });

  it("checks Vector elements after the dimension, naming the bad element", () => {
    const vector = def("Fractional", { type: "Vector", dimension: 2 });
    expect(invalidOf(parseFeatureValue(vector, "v", [1, Infinity], "typed")).field).toBe("v[1]");
  });

  it("refuses a scalar for a collection feature and an array for a scalar feature", () => {
    expect(invalidOf(parseFeatureValue(def("Integral", { type: "List" }), "f", 1, "typed")).rule).toMatch(/List of Integral values/);
    expect(invalidOf(parseFeatureValue(def("String", { type: "Set" }), "f", "a", "typed")).rule).toMatch(/Set of String values/);
    expect(invalidOf(parseFeatureValue(def("Integral"), "f", [1], "typed")).rule).toMatch(/single Integral value, not a list/);
  });

  it("refuses nested arrays inside a collection", () => {
    expect(invalidOf(parseFeatureValue(def("Integral", { type: "List" }), "f", [[1]], "typed")).field).toBe("f[0]");
  });

  it("dispatches scalars by declared type", () => {
    expect(valueOf(parseFeatureValue(def("Integral"), "f", "007", "strings"))).toBe(7);
    expect(valueOf(parseFeatureValue(def("Fractional"), "f", "007", "strings"))).toBe(7);
    expect(valueOf(parseFeatureValue(def("String"), "f", "007", "strings"))).toBe("007");
  });
});
