import { Bool, Float64, Int64, List, makeData, makeVector, TimestampMillisecond, Utf8, type Data, type DataType, type Vector } from "apache-arrow";

/**
 * Arrow columns built directly from typed arrays. apache-arrow's own
 * builders generate their null check with `new Function`, which the Workers
 * runtime forbids (no code generation from strings), so the offline writer
 * assembles buffers itself: a validity bitmap plus the values.
 */
function validity(values: readonly unknown[]): { nullBitmap: Uint8Array; nullCount: number } {
  const nullBitmap = new Uint8Array(Math.ceil(values.length / 8));
  let nullCount = 0;
  for (let i = 0; i < values.length; i++) {
    if (values[i] !== null) nullBitmap[i >> 3]! |= 1 << (i & 7);
    else nullCount += 1;
  }
  return { nullBitmap, nullCount };
}

const TWO_32 = 2 ** 32;

/**
 * int64 column storage. Safe integers (nearly all values) are split into
 * two 32-bit halves arithmetically: BigInt(n) per value allocates and costs
 * more than the rest of the column (measured in the bulk ingest profile).
 */
function int64Values(values: readonly (Scalar | null)[]): BigInt64Array {
  const data = new BigInt64Array(values.length);
  const halves = new Uint32Array(data.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null) continue;
    if (typeof v === "number" && Number.isSafeInteger(v)) {
      const high = Math.floor(v / TWO_32);
      halves[2 * i] = v - high * TWO_32; // little-endian: low half first
      halves[2 * i + 1] = high | 0;
    } else data[i] = BigInt(v as bigint | number | string);
  }
  return data;
}

/**
 * UTF-8 of every value into one buffer. A column of ASCII text (most
 * identifiers, codes and times) is encoded in one call, its offsets being
 * the values' lengths; otherwise one encodeInto per value, still without a
 * per-value allocation.
 */
function utf8Column(values: readonly (Scalar | null)[]): { valueOffsets: Int32Array; data: Uint8Array } {
  const texts = values.map((v) => (v === null ? "" : String(v)));
  const joined = texts.join("");
  const ascii = new Uint8Array(joined.length);
  // Every non-ASCII unit takes more than one byte, so the text fits its length in bytes only if it is all ASCII.
  if (utf8.encodeInto(joined, ascii).read === joined.length) {
    const valueOffsets = new Int32Array(values.length + 1);
    let at = 0;
    for (let i = 0; i < texts.length; i++) {
      at += texts[i]!.length;
      valueOffsets[i + 1] = at;
    }
    return { valueOffsets, data: ascii };
  }
  let capacity = 0;
  for (const text of texts) capacity += text.length * 3; // a UTF-16 unit is at most 3 UTF-8 bytes
  const buffer = new Uint8Array(capacity);
  const valueOffsets = new Int32Array(values.length + 1);
  let at = 0;
  for (let i = 0; i < texts.length; i++) {
    at += utf8.encodeInto(texts[i]!, buffer.subarray(at)).written;
    valueOffsets[i + 1] = at;
  }
  return { valueOffsets, data: buffer.subarray(0, at) };
}

const utf8 = new TextEncoder();

export type Scalar = bigint | number | string | boolean;

/** One column's Data for scalar values of an Arrow type; null marks a missing value. */
function scalarData(type: DataType, values: readonly (Scalar | null)[]): Data {
  const { nullBitmap, nullCount } = validity(values);
  const length = values.length;
  if (type instanceof Int64) return makeData({ type, length, nullCount, nullBitmap, data: int64Values(values) });
  if (type instanceof Float64) {
    const data = new Float64Array(length);
    for (let i = 0; i < length; i++) {
      const v = values[i];
      if (v !== null) data[i] = Number(v);
    }
    return makeData({ type, length, nullCount, nullBitmap, data });
  }
  if (type instanceof TimestampMillisecond) return makeData({ type, length, nullCount, nullBitmap, data: int64Values(values.map((v) => (v === null ? null : Math.trunc(Number(v))))) });
  if (type instanceof Bool) {
    const data = new Uint8Array(Math.ceil(length / 8));
    values.forEach((v, i) => {
      if (v === true) data[i >> 3]! |= 1 << (i & 7);
    });
    return makeData({ type, length, nullCount, nullBitmap, data });
  }
  if (type instanceof Utf8) return makeData({ type, length, nullCount, nullBitmap, ...utf8Column(values) });
  throw new Error(`no column writer for Arrow type ${String(type)}`);
}

/** A column of scalars or of lists of scalars (null for a missing value). */
export function columnVector(type: DataType, values: readonly (Scalar | readonly Scalar[] | null)[]): Vector {
  if (!(type instanceof List)) return makeVector(scalarData(type, values as (Scalar | null)[]));
  const { nullBitmap, nullCount } = validity(values);
  const valueOffsets = new Int32Array(values.length + 1);
  const flat: Scalar[] = [];
  for (let i = 0; i < values.length; i++) {
    const list = values[i] as readonly Scalar[] | null;
    if (list !== null) for (const element of list) flat.push(element);
    valueOffsets[i + 1] = flat.length;
  }
  const child = scalarData((type as List).valueType, flat);
  return makeVector(makeData({ type: type as List, length: values.length, nullCount, nullBitmap, valueOffsets, child }));
}
