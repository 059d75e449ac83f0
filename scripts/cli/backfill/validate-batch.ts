// Validation of a batch column by column: one pass per column with the
// check its (input kind, feature type) pair needs, instead of a value object
// per row. The passes decide exactly which rows the service's rules reject
// (src/records); the report for a rejected row then comes from the row
// validator itself (validate.ts), so rows, fields and rules read exactly as
// the API words them. Valid rows keep their canonical values in columns:
// Parquet's UTF-8, int64 and float64 buffers as they are, anything else as
// canonical JS values.
import {
  encodeRecordBody,
  type FeatureDefinition,
  MAX_RECORD_BYTES,
  MAX_RECORD_IDENTIFIER_BYTES,
  MAX_STRING_VALUE_CHARS,
  parseEventTime,
  parseFeatureValue,
  type RecordSchema,
  type ValueEncoding,
  validateRecordValues,
} from "../../../src/records";
import { type Batch, type Column, rawValue, rowEntries, type ValuesColumn } from "./batch";
import { ruleOf, withinSizeLimit } from "./validate";
import type { Problem } from "./views";

/** A validated batch: report entries of invalid rows (row order); for valid rows, canonical columns by feature name and event times. */
export interface ValidBatch {
  invalid: Problem[];
  columns: Map<string, Column>;
  eventMs: Float64Array;
}

const utf8Decoder = new TextDecoder();
const utf8Encoder = new TextEncoder();
/** JSON text of a number is at most 24 characters ("-2.2250738585072014e-308"; int64 beyond 2^53 as a quoted decimal: 22). */
const NUMBER_JSON_BYTES = 24;

const present = (column: { valid: Uint8Array | null }, i: number) => !column.valid || column.valid[i] === 1;

/** bad[i]: 1 when row i breaks a rule, 2 when only the exact record size can tell. */
const BAD = 1;
const SIZE_UNSURE = 2;

function markUnknown(column: Column, bad: Uint8Array, length: number): void {
  for (let i = 0; i < length; i++) if (column.kind === "values" ? column.values[i] !== null : present(column, i)) bad[i] = BAD;
}

/** A feature's column checked and in canonical form. */
function checkColumn(def: FeatureDefinition, column: Column, encoding: ValueEncoding, bad: Uint8Array, length: number): Column {
  if (!def.collection) {
    if (column.kind === "utf8" && def.type === "String") {
      // Decoded UTF-8 has no lone surrogates, and n bytes are at most n UTF-16 units: only longer values need decoding.
      const { offsets, bytes } = column;
      for (let i = 0; i < length; i++) {
        if (offsets[i + 1]! - offsets[i]! > MAX_STRING_VALUE_CHARS && present(column, i) && utf8Decoder.decode(bytes.subarray(offsets[i], offsets[i + 1])).length > MAX_STRING_VALUE_CHARS) bad[i] = BAD;
      }
      return column;
    }
    // Every int64 is an Integral value; the stored form is the same 64 bits.
    if (column.kind === "int64" && def.type === "Integral") return column;
    if (column.kind === "float64" && def.type === "Fractional") {
      const values = new Float64Array(length);
      const source = column.values;
      for (let i = 0; i < length; i++) {
        if (!present(column, i)) continue;
        const v = source[i]!;
        if (Number.isFinite(v)) values[i] = v === 0 ? 0 : v;
        else bad[i] = BAD;
      }
      return { kind: "float64", name: column.name, valid: column.valid, values };
    }
  }
  const values: unknown[] = new Array(length);
  for (let i = 0; i < length; i++) {
    const raw = rawValue(column, i);
    if (raw === null || raw === undefined) {
      values[i] = null;
      continue;
    }
    const parsed = parseFeatureValue(def, def.name, raw, encoding);
    if (parsed.ok) values[i] = parsed.value;
    else {
      values[i] = null;
      bad[i] = BAD;
    }
  }
  return { kind: "values", name: column.name, values };
}

function checkIdentifier(column: Column | undefined, bad: Uint8Array, length: number): void {
  if (!column) {
    bad.fill(BAD);
    return;
  }
  if (column.kind === "utf8") {
    for (let i = 0; i < length; i++) {
      const size = column.offsets[i + 1]! - column.offsets[i]!;
      if (!present(column, i) || size === 0 || size > MAX_RECORD_IDENTIFIER_BYTES) bad[i] = BAD;
    }
    return;
  }
  if (column.kind !== "values") {
    for (let i = 0; i < length; i++) if (!present(column, i)) bad[i] = BAD;
    return;
  }
  for (let i = 0; i < length; i++) {
    const v = column.values[i];
    if (v === null) {
      bad[i] = BAD;
      continue;
    }
    const id = String(v);
    if (id.length === 0 || (id.length * 3 > MAX_RECORD_IDENTIFIER_BYTES && utf8Encoder.encode(id).byteLength > MAX_RECORD_IDENTIFIER_BYTES)) bad[i] = BAD;
  }
}

const FOUR_HUNDRED_YEARS_MS = 146_097 * 86_400_000;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The decimal digit of a byte, or 10 for anything else (so sums of weighted digits tell a non-digit apart). */
const digitAt = (bytes: Uint8Array, k: number) => {
  const d = bytes[k]! - 48;
  return d >= 0 && d <= 9 ? d : 10;
};

/**
 * Epoch milliseconds of ISO-8601 UTC text in bytes
 * (yyyy-MM-ddTHH:mm:ss[.f{1,9}]Z), or NaN when the text is anything else or
 * not a calendar time: those rows take the service's parser, which decides.
 * The start of each hour is computed once (rows of a chunk share few hours,
 * mostly in runs: the last one is kept at hand).
 */
function isoMs(bytes: Uint8Array, at: number, end: number, hours: { key: number; ms: number; byKey: Map<number, number> }): number {
  const size = end - at;
  if (size !== 20 && (size < 22 || size > 30)) return NaN;
  if (bytes[at + 4] !== 45 || bytes[at + 7] !== 45 || bytes[at + 10] !== 84 || bytes[at + 13] !== 58 || bytes[at + 16] !== 58 || bytes[end - 1] !== 90) return NaN;
  const y0 = digitAt(bytes, at);
  const y1 = digitAt(bytes, at + 1);
  const y2 = digitAt(bytes, at + 2);
  const y3 = digitAt(bytes, at + 3);
  const mo0 = digitAt(bytes, at + 5);
  const mo1 = digitAt(bytes, at + 6);
  const d0 = digitAt(bytes, at + 8);
  const d1 = digitAt(bytes, at + 9);
  const h0 = digitAt(bytes, at + 11);
  const h1 = digitAt(bytes, at + 12);
  const mi0 = digitAt(bytes, at + 14);
  const mi1 = digitAt(bytes, at + 15);
  const s0 = digitAt(bytes, at + 17);
  const s1 = digitAt(bytes, at + 18);
  if (y0 > 9 || y1 > 9 || y2 > 9 || y3 > 9 || mo0 > 9 || mo1 > 9 || d0 > 9 || d1 > 9 || h0 > 9 || h1 > 9 || mi0 > 9 || mi1 > 9 || s0 > 9 || s1 > 9) return NaN;
  const minute = mi0 * 10 + mi1;
  const second = s0 * 10 + s1;
  if (minute > 59 || second > 59) return NaN;
  let fractionMs = 0;
  if (size > 20) {
    if (bytes[at + 19] !== 46) return NaN;
    for (let k = 20; k < size - 1; k++) {
      const d = digitAt(bytes, at + k);
      if (d > 9) return NaN;
      if (k < 23) fractionMs += d * (k === 20 ? 100 : k === 21 ? 10 : 1);
    }
  }
  const hourKey = ((((y0 * 10 + y1) * 10 + y2) * 10 + y3) * 100 + mo0 * 10 + mo1) * 10_000 + (d0 * 10 + d1) * 100 + h0 * 10 + h1;
  if (hourKey !== hours.key) {
    let ms = hours.byKey.get(hourKey);
    if (ms === undefined) {
      const year = y0 * 1000 + y1 * 100 + y2 * 10 + y3;
      const month = mo0 * 10 + mo1;
      const day = d0 * 10 + d1;
      const hour = h0 * 10 + h1;
      const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
      const days = month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
      if (month < 1 || month > 12 || day < 1 || day > days || hour > 23) ms = NaN;
      // Date.UTC maps years 0-99 to 1900-1999: those are computed 400 years later and shifted back (as src/records does).
      else ms = year < 100 ? Date.UTC(year + 400, month - 1, day, hour) - FOUR_HUNDRED_YEARS_MS : Date.UTC(year, month - 1, day, hour);
      hours.byKey.set(hourKey, ms);
    }
    hours.key = hourKey;
    hours.ms = ms;
  }
  return hours.ms + minute * 60_000 + second * 1000 + fractionMs;
}

function eventTimes(def: FeatureDefinition | undefined, column: Column | undefined, bad: Uint8Array, length: number): Float64Array {
  const eventMs = new Float64Array(length);
  // Without the event time feature in the schema or the input, every row lacks its event time.
  if (!column || !def) {
    bad.fill(BAD);
    return eventMs;
  }
  const fallback = (i: number, value: unknown) => {
    const parsed = parseEventTime(def.name, def.type, value);
    if (parsed.ok) eventMs[i] = parsed.value.epochMs;
    else bad[i] = BAD;
  };
  if (column.kind === "utf8" && def.type === "String") {
    const hours = { key: -1, ms: NaN, byKey: new Map<number, number>() };
    const { offsets, bytes } = column;
    for (let i = 0; i < length; i++) {
      if (!present(column, i)) {
        bad[i] = BAD;
        continue;
      }
      const ms = isoMs(bytes, offsets[i]!, offsets[i + 1]!, hours);
      if (Number.isNaN(ms)) fallback(i, rawValue(column, i));
      else eventMs[i] = ms;
    }
    return eventMs;
  }
  for (let i = 0; i < length; i++) {
    const value = column.kind === "values" ? column.values[i] : rawValue(column, i);
    if (value === null) bad[i] = BAD;
    else fallback(i, value);
  }
  return eventMs;
}

/** JSON bytes a canonical value can take at most (UTF-8 ≤ 3 bytes per UTF-16 unit, escapes ≤ 6). */
function jsonBound(v: unknown): number {
  if (typeof v === "string") return 6 * v.length + 2;
  if (Array.isArray(v)) {
    let n = 2;
    for (const x of v) n += jsonBound(x) + 1;
    return n;
  }
  return NUMBER_JSON_BYTES;
}

/**
 * Rows whose record could exceed the size limit: a bound per row first
 * (names and quotes plus the worst case of every value), the exact JSON
 * encoding only for rows the bound cannot clear.
 */
function boundSizes(columns: Map<string, Column>, bad: Uint8Array, length: number): void {
  let fixed = 2;
  const variable: (ValuesColumn | Extract<Column, { kind: "utf8" }>)[] = [];
  for (const column of columns.values()) {
    fixed += column.name.length + 4;
    if (column.kind === "utf8") variable.push(column);
    else if (column.kind === "values") variable.push(column);
    else fixed += NUMBER_JSON_BYTES;
  }
  if (variable.length === 0) {
    if (fixed >= MAX_RECORD_BYTES) for (let i = 0; i < length; i++) if (!bad[i]) bad[i] = SIZE_UNSURE;
    return;
  }
  for (let i = 0; i < length; i++) {
    if (bad[i]) continue;
    let size = fixed;
    for (const column of variable) {
      if (column.kind === "values") size += column.values[i] === null ? 0 : jsonBound(column.values[i]);
      else if (present(column, i)) size += 6 * (column.offsets[i + 1]! - column.offsets[i]!) + 2;
    }
    if (size >= MAX_RECORD_BYTES) bad[i] = SIZE_UNSURE;
  }
}

/** The row validator's verdict on one row (the exact report), or null when it accepts the row. */
function explain(schema: RecordSchema, batch: Batch, i: number): Omit<Problem, "row"> | null {
  const result = validateRecordValues(schema, rowEntries(batch, i), batch.encoding, (name) => name);
  if (!result.ok) return ruleOf(result.failure);
  if (!withinSizeLimit(result.value.values)) {
    const encoded = encodeRecordBody(result.value.values);
    if (!encoded.ok) return ruleOf(encoded.failure);
  }
  return null;
}

/** Row-wise validation (NDJSON rows name their own fields): the row validator, then its values as columns. */
function validateRows(schema: RecordSchema, batch: Batch): ValidBatch {
  const { length } = batch;
  const invalid: Problem[] = [];
  const eventMs = new Float64Array(length);
  const keep = new Uint8Array(length);
  const byName = new Map<string, ValuesColumn>([...schema.features.keys()].map((name) => [name, { kind: "values", name, values: new Array<unknown>(length).fill(null) }]));
  for (let i = 0; i < length; i++) {
    const row = batch.rowNumbers[i]!;
    const result = validateRecordValues(schema, rowEntries(batch, i), batch.encoding, (name) => name);
    if (!result.ok) {
      invalid.push({ row, ...ruleOf(result.failure) });
      continue;
    }
    if (!withinSizeLimit(result.value.values)) {
      const encoded = encodeRecordBody(result.value.values);
      if (!encoded.ok) {
        invalid.push({ row, ...ruleOf(encoded.failure) });
        continue;
      }
    }
    keep[i] = 1;
    eventMs[i] = result.value.eventTime.epochMs;
    // Every name of a valid record's values is a feature of the schema (validateRecordValues rejects any other).
    for (const name in result.value.values) byName.get(name)!.values[i] = result.value.values[name];
  }
  return { invalid, columns: byName, eventMs };
}

/**
 * Validates a batch. Returns the report entries of invalid rows (row order)
 * and, for valid rows, canonical columns by feature name and event times.
 */
export function validateBatch(schema: RecordSchema, batch: Batch): ValidBatch {
  const unreadable: Problem[] = batch.unreadable.map(({ row, rule }) => ({ row, field: "row", rule }));
  const names = batch.columns?.map((c) => c.name) ?? [];
  // Rows naming their own fields, or a header naming one twice (a row may then give both): the row validator, row by row.
  if (!batch.columns || new Set(names).size !== names.length) {
    const rows = batch.columns ? { ...batch, rows: Array.from({ length: batch.length }, (_, i) => rowEntries(batch, i)) } : batch;
    const result = validateRows(schema, rows);
    return { ...result, invalid: mergeByRow(unreadable, result.invalid) };
  }
  const { length } = batch;
  const bad = new Uint8Array(length);
  const columns = new Map<string, Column>();
  for (const column of batch.columns) {
    const def = schema.features.get(column.name);
    if (def) columns.set(column.name, checkColumn(def, column, batch.encoding, bad, length));
    else markUnknown(column, bad, length);
  }
  checkIdentifier(columns.get(schema.recordIdentifierFeature), bad, length);
  const eventMs = eventTimes(schema.features.get(schema.eventTimeFeature), columns.get(schema.eventTimeFeature), bad, length);
  boundSizes(columns, bad, length);
  const invalid: Problem[] = [];
  for (let i = 0; i < length; i++) {
    if (bad[i] === 0) continue;
    const problem = explain(schema, batch, i);
    if (problem) invalid.push({ row: batch.rowNumbers[i]!, ...problem });
    else if (bad[i] === BAD) throw new Error(`the column checks rejected row ${batch.rowNumbers[i]} but the row validator accepts it`);
  }
  return { invalid: mergeByRow(unreadable, invalid), columns, eventMs };
}

function mergeByRow(a: Problem[], b: Problem[]): Problem[] {
  return a.length === 0 ? b : b.length === 0 ? a : [...a, ...b].sort((x, y) => x.row - y.row);
}
