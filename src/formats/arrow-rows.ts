import { DataType, Type, type Data, type Field, type RecordBatch, type Vector } from "apache-arrow";
import { RESERVED_FEATURE_NAMES, type FeatureDefinition } from "../records";
import type { SourceRow } from "./rows";

/**
 * Turns Arrow record batches into rows of raw values that the record
 * validator checks exactly as it checks NDJSON rows. The mapping only
 * changes representation, never meaning:
 *
 * - integers of any width → JSON numbers; int64/uint64 beyond ±(2^53−1)
 *   → decimal strings, the JSON path's spelling of exact int64;
 * - floats → numbers; Utf8/LargeUtf8 (dictionary-encoded or not) → strings;
 * - Timestamp (any unit, any zone: Arrow stores UTC) and Date32/Date64 →
 *   an ISO-8601 UTC string with all the unit's digits, or epoch seconds
 *   when the target feature is Fractional;
 * - List/FixedSizeList of those → arrays;
 * - booleans pass through as booleans, so the validator names the rule
 *   they break; other types (struct, map, binary, decimal…) make the row
 *   unreadable with the column named.
 */
type Convert = (i: number) => unknown;

const NANOS_PER_UNIT = [1_000_000_000n, 1_000_000n, 1_000n, 1n] as const; // TimeUnit SECOND, MILLISECOND, MICROSECOND, NANOSECOND
const NANOS_PER_DAY = 86_400_000_000_000n;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function exactInteger(value: bigint): number | string {
  return value >= -MAX_SAFE && value <= MAX_SAFE ? Number(value) : value.toString();
}

function isoFromEpochNanos(nanos: bigint): string {
  const seconds = nanos / 1_000_000_000n - (nanos % 1_000_000_000n < 0n ? 1n : 0n);
  const fraction = nanos - seconds * 1_000_000_000n;
  const date = new Date(Number(seconds) * 1000);
  if (Number.isNaN(date.getTime())) return `${nanos}ns since the epoch`;
  const whole = date.toISOString().slice(0, 19);
  return fraction === 0n ? `${whole}Z` : `${whole}.${fraction.toString().padStart(9, "0").replace(/0+$/, "")}Z`;
}

/** A time as the target feature spells it: ISO string, or epoch seconds for Fractional. */
function timeValue(nanos: bigint, target: FeatureDefinition | undefined): string | number {
  if (target?.type !== "Fractional") return isoFromEpochNanos(nanos);
  const abs = nanos < 0n ? -nanos : nanos;
  // Via the decimal text, so 1700000000.123 s stays the double nearest to it.
  return Number(`${nanos < 0n ? "-" : ""}${abs / 1_000_000_000n}.${(abs % 1_000_000_000n).toString().padStart(9, "0")}`);
}

/** Raw int64 storage of a column at a row (timestamps, Date64): exact, unlike Vector.get's float milliseconds. */
function int64At(data: Data, i: number): bigint {
  return (data.values as BigInt64Array)[data.offset + i]!;
}

/** Whether values of this type have a mapping. */
function mappable(type: DataType): boolean {
  if (DataType.isDictionary(type)) return DataType.isUtf8(type.dictionary) || DataType.isLargeUtf8(type.dictionary);
  if (DataType.isList(type) || DataType.isFixedSizeList(type)) {
    const child = type.children[0]!.type;
    return !DataType.isList(child) && !DataType.isFixedSizeList(child) && mappable(child);
  }
  return [Type.Int, Type.Float, Type.Utf8, Type.LargeUtf8, Type.Bool, Type.Timestamp, Type.Date].includes(type.typeId);
}

/** Reads row i of a vector whose type is mappable. */
function converter(type: DataType, vector: Vector, target: FeatureDefinition | undefined): Convert {
  if (DataType.isInt(type) && type.bitWidth === 64) return (i) => exactInteger(vector.get(i) as bigint);
  if (DataType.isTimestamp(type)) {
    const perUnit = NANOS_PER_UNIT[type.unit]!;
    const data = vector.data[0]!;
    return (i) => timeValue(int64At(data, i) * perUnit, target);
  }
  if (DataType.isDate(type)) {
    const data = vector.data[0]!;
    if (type.unit === 0) return (i) => timeValue(BigInt((data.values as Int32Array)[data.offset + i]!) * NANOS_PER_DAY, target);
    return (i) => timeValue(int64At(data, i) * 1_000_000n, target);
  }
  if (DataType.isList(type) || DataType.isFixedSizeList(type)) {
    const child = type.children[0]!.type;
    return (i) => {
      const list = vector.get(i) as Vector | null;
      if (list === null) return null;
      const element = converter(child, list, target);
      return Array.from({ length: list.length }, (_, j) => (list.isValid(j) ? element(j) : null));
    };
  }
  return (i) => vector.get(i);
}

const unsupportedRule = (field: Field) =>
  `has Arrow type ${String(field.type)}, which maps to no feature type (use integers, floats, Utf8, Timestamp, Date, or a List of them)`;

const RESERVED: readonly string[] = RESERVED_FEATURE_NAMES;

/**
 * The rows of one record batch, numbered from `firstRow`. Null values are
 * missing features, as null is in NDJSON. The offline store's own columns
 * (write_time, api_invocation_time, is_deleted) are skipped, so exported
 * offline files load back as they are.
 */
export function* rowsOfBatch(batch: RecordBatch, features: ReadonlyMap<string, FeatureDefinition>, firstRow: number): Generator<SourceRow> {
  const columns = batch.schema.fields.flatMap((field, index) => {
    if (RESERVED.includes(field.name)) return [];
    const vector = batch.getChildAt(index)!;
    return [{ name: field.name, vector, convert: mappable(field.type) ? converter(field.type, vector, features.get(field.name)) : null, field }];
  });
  const unsupported = columns.find((c) => c.convert === null);
  for (let i = 0; i < batch.numRows; i++) {
    const row = firstRow + i;
    if (unsupported) {
      yield { row, entries: null, unreadable: unsupportedRule(unsupported.field), unreadableField: unsupported.name };
      continue;
    }
    const entries: [string, unknown][] = [];
    for (const { name, vector, convert } of columns) {
      if (vector.isValid(i)) entries.push([name, convert!(i)]);
    }
    yield { row, entries };
  }
}
