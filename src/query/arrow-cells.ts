import { makeVector, Type, type Data, type Vector } from "apache-arrow";
import { canonicalFeatureValue } from "../offline/table-rows";
import type { FeatureValue } from "../records";

/**
 * Cell reads straight from one Arrow `Data` chunk (one record batch's
 * column). `Vector.get` searches the vector's chunks on every call and
 * allocates for int64 and timestamps; the point-in-time join reads tens of
 * millions of cells, so it reads the buffers instead. Indices are relative
 * to the chunk. Bit-packed buffers (validity, booleans) keep the chunk's
 * bit offset; the others are sliced to it (apache-arrow's slicing rules).
 */
export class ColumnCells {
  readonly typeId: Type;
  private readonly bitOffset: number;
  private readonly nulls: Uint8Array | null;
  /** Utf8 columns: offsets into `bytes` (hot loops read these fields, not Data's getters). */
  private readonly offsets: Int32Array;
  private readonly bytes: Uint8Array;
  /** The same bytes, read four at a time by the hash and the comparison. */
  private readonly words: DataView;
  /** For types without a direct path: a Vector over this one chunk. */
  private fallback: Vector | undefined;
  /** int64 cells as 32-bit halves: reading a BigInt64Array allocates a BigInt per cell. */
  private halves: Int32Array | undefined;

  constructor(private readonly data: Data) {
    this.typeId = data.typeId;
    const utf8 = this.typeId === Type.Utf8;
    this.offsets = utf8 ? (data.valueOffsets as Int32Array) : new Int32Array(0);
    this.bytes = utf8 ? (data.values as Uint8Array) : new Uint8Array(0);
    this.words = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    this.bitOffset = data.offset;
    this.nulls = data.nullCount > 0 && data.nullBitmap && data.nullBitmap.length > 0 ? data.nullBitmap : null;
  }

  isNull(i: number): boolean {
    if (this.nulls === null) return false;
    const bit = this.bitOffset + i;
    return ((this.nulls[bit >> 3]! >> (bit & 7)) & 1) === 0;
  }

  /** Whether rows i and j hold the same UTF-8 bytes (both non-null); only for Utf8 columns. */
  sameText(i: number, j: number): boolean {
    const { offsets, bytes, words } = this;
    const a = offsets[i]!;
    const b = offsets[j]!;
    const length = offsets[i + 1]! - a;
    if (length !== offsets[j + 1]! - b) return false;
    let k = 0;
    for (; k + 4 <= length; k += 4) if (words.getUint32(a + k, true) !== words.getUint32(b + k, true)) return false;
    for (; k < length; k++) if (bytes[a + k] !== bytes[b + k]) return false;
    return true;
  }

  /** Row i's UTF-8 bytes (a view, not a copy); only for Utf8 columns. */
  textBytes(i: number): Uint8Array {
    return this.bytes.subarray(this.offsets[i]!, this.offsets[i + 1]!);
  }

  /** An int64 or timestamp cell as a JS number (exact up to 2^53, as epoch milliseconds are). */
  int64AsNumber(i: number): number {
    if (this.halves === undefined) {
      const values = this.data.values as BigInt64Array | Int32Array;
      this.halves = values instanceof Int32Array ? values : new Int32Array(values.buffer, values.byteOffset, values.length * 2);
    }
    // Little-endian, as Arrow buffers are on every platform Workers run on.
    return this.halves[2 * i + 1]! * 4294967296 + (this.halves[2 * i]! >>> 0);
  }

  /** An FNV-1a-style hash of row i's UTF-8 bytes, four at a time; only for Utf8 columns. */
  textHash(i: number): number {
    const { offsets, bytes, words } = this;
    let hash = 0x811c9dc5;
    let k = offsets[i]!;
    const end = offsets[i + 1]!;
    for (; k + 4 <= end; k += 4) hash = Math.imul(hash ^ words.getUint32(k, true), 0x01000193);
    for (; k < end; k++) hash = Math.imul(hash ^ bytes[k]!, 0x01000193);
    return hash ^ (hash >>> 15);
  }

  /**
   * The cell as a canonical feature value (undefined for null): int64 as a
   * number when safe, else decimal text, read without allocating a BigInt
   * when it fits.
   */
  featureValue(i: number): FeatureValue | undefined {
    if (this.typeId === Type.Int && this.data.values instanceof BigInt64Array && !this.isNull(i)) {
      const n = this.int64AsNumber(i);
      if (Number.isSafeInteger(n)) return n;
    }
    return canonicalFeatureValue(this.get(i));
  }

  /** Whether row i holds exactly the bytes of `text` (non-null); only for Utf8 columns. */
  textEquals(i: number, text: StoredText): boolean {
    const { offsets, bytes, words } = this;
    const start = offsets[i]!;
    const length = text.bytes.length;
    if (offsets[i + 1]! - start !== length) return false;
    let k = 0;
    for (; k + 4 <= length; k += 4) if (words.getUint32(start + k, true) !== text.words.getUint32(k, true)) return false;
    for (; k < length; k++) if (bytes[start + k] !== text.bytes[k]) return false;
    return true;
  }

  /** Row i's boolean; only for Bool columns. */
  bool(i: number): boolean {
    const bit = this.bitOffset + i;
    return (((this.data.values as Uint8Array)[bit >> 3]! >> (bit & 7)) & 1) === 1;
  }

  /** The cell as Vector.get returns it (null for null). */
  get(i: number): unknown {
    if (this.isNull(i)) return null;
    switch (this.typeId) {
      case Type.Utf8:
        return textDecoder.decode(this.textBytes(i));
      case Type.Float:
      case Type.Int:
        if (this.data.values instanceof Float64Array || this.data.values instanceof BigInt64Array) return this.data.values[i];
        break;
      case Type.Bool:
        return this.bool(i);
    }
    this.fallback ??= makeVector(this.data);
    return this.fallback.get(i);
  }
}

const textDecoder = new TextDecoder();

/** A record batch's column as ColumnCells; undefined when the batch lacks it. */
export function cellsOf(batch: { getChild(name: string): Vector | null }, name: string): ColumnCells | undefined {
  const vector = batch.getChild(name);
  return vector ? new ColumnCells(vector.data[0]!) : undefined;
}

/**
 * Distinct texts of a column and what they parsed to, found by a hash of
 * their bytes: event times repeat across a row group (one per write batch),
 * so most rows are looked up without being decoded or parsed. Bounded: it starts over when full. When most lookups miss
 * (a column of distinct texts) it stops looking and only decodes.
 */
/** A copy of a text's UTF-8 bytes, kept to compare rows with. */
export interface StoredText {
  bytes: Uint8Array;
  words: DataView;
}

function storedText(bytes: Uint8Array): StoredText {
  const copy = bytes.slice();
  return { bytes: copy, words: new DataView(copy.buffer) };
}

export class TextMemo<T> {
  private readonly entries = new Map<number, { text: StoredText; value: T }[]>();
  private size = 0;
  private misses = 0;
  private hits = 0;
  private bypass = false;

  constructor(private readonly capacity = 4096) {}

  /** The value for row i's text, computed from the decoded text the first time. */
  valueOf(cells: ColumnCells, i: number, compute: (text: string) => T): T {
    if (this.bypass) return compute(textDecoder.decode(cells.textBytes(i)));
    const hash = cells.textHash(i);
    const bucket = this.entries.get(hash);
    if (bucket) {
      for (const entry of bucket) {
        if (cells.textEquals(i, entry.text)) {
          this.hits += 1;
          return entry.value;
        }
      }
    }
    this.misses += 1;
    if (this.misses === MEMO_TRIAL_MISSES && this.hits < MEMO_TRIAL_MISSES) this.bypass = true;
    const bytes = cells.textBytes(i);
    const value = compute(textDecoder.decode(bytes));
    if (this.size === this.capacity) {
      this.entries.clear();
      this.size = 0;
    }
    const entry = { text: storedText(bytes), value };
    if (bucket) bucket.push(entry);
    else this.entries.set(hash, [entry]);
    this.size += 1;
    return value;
  }
}

/** Misses after which a memo that hit less often than it missed gives up. */
const MEMO_TRIAL_MISSES = 1024;
