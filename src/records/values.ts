import { invalid, ok, type Result } from "../failure";
import { MAX_STRING_VALUE_CHARS } from "./limits";
import type { FeatureDefinition, FeatureValue, ScalarValue } from "./types";

/**
 * Converts one feature value to its canonical form, checking it against the
 * feature's declared type.
 *
 * `typed` input is the native JSON API: numbers are numbers, and int64 beyond
 * ±(2^53−1) must arrive as a decimal string because JSON.parse has already
 * rounded any such number. `strings` input is SageMaker's wire form, where
 * every scalar is a string.
 *
 * Canonical int64: a JSON number when it is a safe integer, otherwise a
 * decimal string, so values round-trip exactly through any JSON parser.
 */
export type ValueEncoding = "typed" | "strings";

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const DECIMAL_INTEGER = /^[+-]?\d{1,25}$/;
const INTEGRAL_RULE = "must be a signed 64-bit integer (a JSON integer, or a decimal string beyond ±9007199254740991)";

export function parseIntegral(field: string, raw: unknown, encoding: ValueEncoding): Result<ScalarValue> {
  if (typeof raw === "number" && encoding === "typed") {
    if (Number.isSafeInteger(raw)) return ok(raw === 0 ? 0 : raw);
    return Number.isInteger(raw)
      ? invalid(field, `${INTEGRAL_RULE}; numbers beyond ±9007199254740991 lose precision in JSON, send them as strings`)
      : invalid(field, INTEGRAL_RULE);
  }
  if (typeof raw !== "string" || !DECIMAL_INTEGER.test(raw)) return invalid(field, INTEGRAL_RULE);
  // Up to 15 digits (and a sign) is below 2^53: exact as a double, no BigInt needed (CSV sends every Integral this way).
  if (raw.length <= 15) {
    const n = Number(raw);
    return ok(n === 0 ? 0 : n);
  }
  const big = BigInt(raw);
  if (big < INT64_MIN || big > INT64_MAX) return invalid(field, `${INTEGRAL_RULE}; ${raw} is out of range`);
  const asNumber = Number(big);
  return ok(Number.isSafeInteger(asNumber) ? asNumber : big.toString());
}

const FRACTIONAL_RULE = "must be a finite IEEE-754 double";
const DECIMAL_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function parseFractional(field: string, raw: unknown, encoding: ValueEncoding): Result<ScalarValue> {
  let value: number;
  if (typeof raw === "number" && encoding === "typed") value = raw;
  else if (typeof raw === "string" && DECIMAL_NUMBER.test(raw)) value = Number(raw);
  else return invalid(field, FRACTIONAL_RULE);
  return Number.isFinite(value) ? ok(Object.is(value, -0) ? 0 : value) : invalid(field, FRACTIONAL_RULE);
}

export function parseString(field: string, raw: unknown): Result<ScalarValue> {
  if (typeof raw !== "string") return invalid(field, "must be a string");
  if (raw.length > MAX_STRING_VALUE_CHARS) return invalid(field, `must be at most ${MAX_STRING_VALUE_CHARS} characters`);
  if (!raw.isWellFormed()) return invalid(field, "must be valid UTF-8 text (no lone surrogates)");
  return ok(raw);
}

export function parseScalar(def: FeatureDefinition, field: string, raw: unknown, encoding: ValueEncoding): Result<ScalarValue> {
  switch (def.type) {
    case "Integral":
      return parseIntegral(field, raw, encoding);
    case "Fractional":
      return parseFractional(field, raw, encoding);
    case "String":
      return parseString(field, raw);
  }
}

/** Converts a feature value (scalar or collection) to canonical form. */
export function parseFeatureValue(def: FeatureDefinition, field: string, raw: unknown, encoding: ValueEncoding): Result<FeatureValue> {
  const collection = def.collection;
  if (!collection) {
    if (Array.isArray(raw)) return invalid(field, `must be a single ${def.type} value, not a list`);
    return parseScalar(def, field, raw, encoding);
  }
  if (!Array.isArray(raw)) return invalid(field, `must be a ${collection.type} of ${def.type} values (a JSON array)`);
  if (collection.type === "Vector" && raw.length !== collection.dimension) {
    return invalid(field, `must be a Vector of exactly ${collection.dimension} values, got ${raw.length}`);
  }
  const out: ScalarValue[] = new Array(raw.length);
  const seen = collection.type === "Set" ? new Set<ScalarValue>() : undefined;
  for (let i = 0; i < raw.length; i++) {
    const element = parseScalar(def, `${field}[${i}]`, raw[i], encoding);
    if (!element.ok) return element;
    if (seen) {
      if (seen.has(element.value)) return invalid(`${field}[${i}]`, "must not repeat a value in a Set");
      seen.add(element.value);
    }
    out[i] = element.value;
  }
  return ok(out);
}
