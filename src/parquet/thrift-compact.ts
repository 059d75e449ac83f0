/**
 * A generic Thrift compact-protocol codec, enough for Parquet footers.
 * parquet-wasm reads row groups but exposes neither column statistics nor a
 * way to read a row group without the whole file; decoding the footer here
 * gives both (statistics for pruning, byte offsets for ranged R2 reads), and
 * re-encoding it (offsets shifted) turns fetched byte ranges back into
 * small, valid Parquet files. Fields are kept by id, unknown ones included,
 * so a footer round-trips unchanged.
 */
export const TType = {
  Stop: 0,
  True: 1,
  False: 2,
  Byte: 3,
  I16: 4,
  I32: 5,
  I64: 6,
  Double: 7,
  Binary: 8,
  List: 9,
  Set: 10,
  Map: 11,
  Struct: 12,
} as const;
export type TType = (typeof TType)[keyof typeof TType];

export type TValue = boolean | number | bigint | Uint8Array | TList | TStruct | TMap;
export interface TList {
  kind: "list";
  elementType: TType;
  items: TValue[];
}
export interface TMap {
  kind: "map";
  keyType: TType;
  valueType: TType;
  entries: [TValue, TValue][];
}
export interface TField {
  type: TType;
  value: TValue;
}
/** A struct: fields by id. */
export type TStruct = Map<number, TField>;

/** Guards against hostile nesting in footers we did not write (registered files, uploads). */
const MAX_DEPTH = 64;

class Reader {
  pos = 0;
  private depth = 0;
  constructor(private readonly bytes: Uint8Array) {}

  byte(): number {
    if (this.pos >= this.bytes.length) throw new Error("thrift: truncated input");
    return this.bytes[this.pos++]!;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.byte();
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) throw new Error("thrift: varint too long");
    }
  }

  /** Small varints (lengths, sizes, i16/i32) without BigInt. */
  smallVarint(): number {
    let result = 0;
    let multiplier = 1;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * multiplier;
      if ((b & 0x80) === 0) return result;
      multiplier *= 128;
      if (multiplier > 2 ** 35) throw new Error("thrift: varint too long for 32 bits");
    }
  }

  zigzag32(): number {
    const n = this.smallVarint();
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }

  zigzag64(): bigint {
    const n = this.varint();
    return (n >> 1n) ^ -(n & 1n);
  }

  value(type: TType): TValue {
    if (++this.depth > MAX_DEPTH) throw new Error("thrift: nested too deep");
    try {
      return this.plainValue(type);
    } finally {
      this.depth--;
    }
  }

  private plainValue(type: TType): TValue {
    switch (type) {
      case TType.True:
        return true;
      case TType.False:
        return false;
      case TType.Byte: {
        const b = this.byte();
        return b > 127 ? b - 256 : b;
      }
      case TType.I16:
      case TType.I32:
        return this.zigzag32();
      case TType.I64:
        return this.zigzag64();
      case TType.Double: {
        if (this.pos + 8 > this.bytes.length) throw new Error("thrift: truncated double");
        const view = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.pos, 8);
        this.pos += 8;
        return view.getFloat64(0, true);
      }
      case TType.Binary: {
        const length = this.smallVarint();
        if (this.pos + length > this.bytes.length) throw new Error("thrift: truncated binary");
        const out = this.bytes.slice(this.pos, this.pos + length);
        this.pos += length;
        return out;
      }
      case TType.List:
      case TType.Set: {
        const header = this.byte();
        const size = header >> 4 === 15 ? this.smallVarint() : header >> 4;
        const elementType = (header & 0x0f) as TType;
        const items: TValue[] = [];
        for (let i = 0; i < size; i++) items.push(elementType === TType.True || elementType === TType.False ? this.byte() === 1 : this.value(elementType));
        return { kind: "list", elementType, items };
      }
      case TType.Map: {
        const size = this.smallVarint();
        if (size === 0) return { kind: "map", keyType: TType.Stop, valueType: TType.Stop, entries: [] };
        const types = this.byte();
        const keyType = (types >> 4) as TType;
        const valueType = (types & 0x0f) as TType;
        const entries: [TValue, TValue][] = [];
        for (let i = 0; i < size; i++) entries.push([this.value(keyType), this.value(valueType)]);
        return { kind: "map", keyType, valueType, entries };
      }
      case TType.Struct:
        return this.struct();
      default:
        throw new Error(`thrift: unknown type ${type as number}`);
    }
  }

  struct(): TStruct {
    const fields: TStruct = new Map();
    let lastId = 0;
    for (;;) {
      const header = this.byte();
      const type = (header & 0x0f) as TType;
      if (type === TType.Stop) return fields;
      const delta = header >> 4;
      const id = delta === 0 ? this.zigzag32() : lastId + delta;
      lastId = id;
      fields.set(id, { type: type === TType.False ? TType.True : type, value: this.value(type) });
    }
  }
}

/** Decodes one struct; returns it and the bytes it took. */
export function decodeStruct(bytes: Uint8Array): { struct: TStruct; length: number } {
  const reader = new Reader(bytes);
  const struct = reader.struct();
  return { struct, length: reader.pos };
}

class Writer {
  private chunks: number[] = [];

  bytes(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }

  byte(b: number): void {
    this.chunks.push(b & 0xff);
  }

  varint(n: bigint): void {
    let v = n;
    for (;;) {
      if (v < 0x80n) {
        this.byte(Number(v));
        return;
      }
      this.byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
  }

  zigzag(n: bigint): void {
    this.varint(n >= 0n ? n << 1n : ((-n) << 1n) - 1n);
  }

  value(type: TType, value: TValue): void {
    switch (type) {
      case TType.True:
      case TType.False:
        return; // struct booleans live in the field header
      case TType.Byte:
        return this.byte(value as number);
      case TType.I16:
      case TType.I32:
        return this.zigzag(BigInt(value as number));
      case TType.I64:
        return this.zigzag(typeof value === "bigint" ? value : BigInt(value as number));
      case TType.Double: {
        const buffer = new DataView(new ArrayBuffer(8));
        buffer.setFloat64(0, value as number, true);
        for (let i = 0; i < 8; i++) this.byte(buffer.getUint8(i));
        return;
      }
      case TType.Binary: {
        const data = value as Uint8Array;
        this.varint(BigInt(data.length));
        for (const b of data) this.chunks.push(b);
        return;
      }
      case TType.List:
      case TType.Set: {
        const list = value as TList;
        const size = list.items.length;
        if (size < 15) this.byte((size << 4) | list.elementType);
        else {
          this.byte(0xf0 | list.elementType);
          this.varint(BigInt(size));
        }
        for (const item of list.items) {
          if (list.elementType === TType.True || list.elementType === TType.False) this.byte(item ? 1 : 2);
          else this.value(list.elementType, item);
        }
        return;
      }
      case TType.Map: {
        const map = value as TMap;
        this.varint(BigInt(map.entries.length));
        if (map.entries.length === 0) return;
        this.byte((map.keyType << 4) | map.valueType);
        for (const [k, v] of map.entries) {
          this.value(map.keyType, k);
          this.value(map.valueType, v);
        }
        return;
      }
      case TType.Struct:
        return this.struct(value as TStruct);
    }
  }

  struct(struct: TStruct): void {
    let lastId = 0;
    for (const id of [...struct.keys()].sort((a, b) => a - b)) {
      const field = struct.get(id)!;
      const type = field.type === TType.True || field.type === TType.False ? (field.value ? TType.True : TType.False) : field.type;
      const delta = id - lastId;
      if (delta > 0 && delta <= 15) this.byte((delta << 4) | type);
      else {
        this.byte(type);
        this.zigzag(BigInt(id));
      }
      lastId = id;
      this.value(type, field.value);
    }
    this.byte(TType.Stop);
  }
}

export function encodeStruct(struct: TStruct): Uint8Array {
  const writer = new Writer();
  writer.struct(struct);
  return writer.bytes();
}
