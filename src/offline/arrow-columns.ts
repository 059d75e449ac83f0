import { Bool, Float64, Int64, List, makeData, makeVector, TimestampMillisecond, Utf8, type Data, type DataType, type Vector } from "apache-arrow";

/**
 * Arrow columns built directly from typed arrays. apache-arrow's own
 * builders generate their null check with `new Function`, which the Workers
 * runtime forbids (no code generation from strings), so the offline writer
 * assembles buffers itself: a validity bitmap plus the values.
 */
function validity(present: readonly boolean[]): { nullBitmap: Uint8Array; nullCount: number } {
  const nullBitmap = new Uint8Array(Math.ceil(present.length / 8));
  let nullCount = 0;
  present.forEach((p, i) => {
    if (p) nullBitmap[i >> 3]! |= 1 << (i & 7);
    else nullCount += 1;
  });
  return { nullBitmap, nullCount };
}

const utf8 = new TextEncoder();

export type Scalar = bigint | number | string | boolean;

/** One column's Data for scalar values of an Arrow type; null marks a missing value. */
function scalarData(type: DataType, values: readonly (Scalar | null)[]): Data {
  const { nullBitmap, nullCount } = validity(values.map((v) => v !== null));
  const length = values.length;
  if (type instanceof Int64) {
    const data = BigInt64Array.from(values, (v) => (v === null ? 0n : BigInt(v as bigint | number | string)));
    return makeData({ type, length, nullCount, nullBitmap, data });
  }
  if (type instanceof Float64) {
    const data = Float64Array.from(values, (v) => (v === null ? 0 : Number(v)));
    return makeData({ type, length, nullCount, nullBitmap, data });
  }
  if (type instanceof TimestampMillisecond) {
    const data = BigInt64Array.from(values, (v) => (v === null ? 0n : BigInt(Math.trunc(Number(v)))));
    return makeData({ type, length, nullCount, nullBitmap, data });
  }
  if (type instanceof Bool) {
    const data = new Uint8Array(Math.ceil(length / 8));
    values.forEach((v, i) => {
      if (v === true) data[i >> 3]! |= 1 << (i & 7);
    });
    return makeData({ type, length, nullCount, nullBitmap, data });
  }
  if (type instanceof Utf8) {
    // One buffer, encoded into in place: UTF-8 takes at most 3 bytes per
    // UTF-16 code unit, so it is sized once and no value allocates its own.
    const texts = values.map((v) => (v === null ? "" : String(v)));
    const buffer = new Uint8Array(texts.reduce((n, t) => n + t.length * 3, 0));
    const valueOffsets = new Int32Array(length + 1);
    let offset = 0;
    texts.forEach((text, i) => {
      offset += utf8.encodeInto(text, buffer.subarray(offset)).written;
      valueOffsets[i + 1] = offset;
    });
    return makeData({ type, length, nullCount, nullBitmap, valueOffsets, data: buffer.subarray(0, offset) });
  }
  throw new Error(`no column writer for Arrow type ${String(type)}`);
}

/** A column of scalars or of lists of scalars (null for a missing value). */
export function columnVector(type: DataType, values: readonly (Scalar | readonly Scalar[] | null)[]): Vector {
  if (!(type instanceof List)) return makeVector(scalarData(type, values as (Scalar | null)[]));
  const { nullBitmap, nullCount } = validity(values.map((v) => v !== null));
  const valueOffsets = new Int32Array(values.length + 1);
  const flat: Scalar[] = [];
  values.forEach((list, i) => {
    if (list !== null) flat.push(...(list as readonly Scalar[]));
    valueOffsets[i + 1] = flat.length;
  });
  const child = scalarData((type as List).valueType, flat);
  return makeVector(makeData({ type: type as List, length: values.length, nullCount, nullBitmap, valueOffsets, child }));
}
