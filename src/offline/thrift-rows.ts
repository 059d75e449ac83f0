/**
 * num_rows of a Parquet FileMetaData (field 3, i64), read straight from the
 * Thrift compact encoding of the footer. parquet-wasm reads the schema from
 * footer bytes alone but its metadata reader wants a whole file, so the row
 * count is taken here: fields before it are skipped by their wire type
 * (Thrift compact protocol spec), nothing else is decoded.
 */
const STOP = 0;
const TRUE = 1;
const FALSE = 2;
const BYTE = 3;
const I16 = 4;
const I32 = 5;
const I64 = 6;
const DOUBLE = 7;
const BINARY = 8;
const LIST = 9;
const SET = 10;
const MAP = 11;
const STRUCT = 12;
/** Guards against hostile nesting in a footer we did not write. */
const MAX_DEPTH = 32;

class Reader {
  offset = 0;
  constructor(readonly bytes: Uint8Array) {}

  byte(): number {
    if (this.offset >= this.bytes.byteLength) throw new RangeError("footer ends early");
    return this.bytes[this.offset++]!;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.byte();
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) throw new RangeError("varint too long");
    }
  }

  zigzag(): bigint {
    const n = this.varint();
    return (n >> 1n) ^ -(n & 1n);
  }

  skipBytes(n: number): void {
    if (n < 0 || this.offset + n > this.bytes.byteLength) throw new RangeError("footer ends early");
    this.offset += n;
  }

  skip(type: number, depth: number): void {
    if (depth > MAX_DEPTH) throw new RangeError("footer nests too deep");
    switch (type) {
      case TRUE:
      case FALSE:
        return;
      case BYTE:
        return this.skipBytes(1);
      case I16:
      case I32:
      case I64:
        this.varint();
        return;
      case DOUBLE:
        return this.skipBytes(8);
      case BINARY:
        return this.skipBytes(Number(this.varint()));
      case LIST:
      case SET: {
        const header = this.byte();
        const size = header >> 4 === 15 ? Number(this.varint()) : header >> 4;
        const element = header & 0x0f;
        for (let i = 0; i < size; i++) {
          if (element === TRUE || element === FALSE) this.skipBytes(1);
          else this.skip(element, depth + 1);
        }
        return;
      }
      case MAP: {
        const size = Number(this.varint());
        if (size === 0) return;
        const types = this.byte();
        for (let i = 0; i < size; i++) {
          this.skip(types >> 4, depth + 1);
          this.skip(types & 0x0f, depth + 1);
        }
        return;
      }
      case STRUCT:
        return this.skipStruct(depth + 1);
      default:
        throw new RangeError(`unknown Thrift type ${type}`);
    }
  }

  skipStruct(depth: number): void {
    let field = 0;
    for (;;) {
      const header = this.byte();
      if (header === STOP) return;
      const delta = header >> 4;
      field = delta === 0 ? Number(this.zigzag()) : field + delta;
      this.skip(header & 0x0f, depth);
    }
  }
}

/** The num_rows of a FileMetaData encoded in `metadata` (the footer without its 8-byte trailer). */
export function fileMetadataNumRows(metadata: Uint8Array): number {
  const reader = new Reader(metadata);
  let field = 0;
  for (;;) {
    const header = reader.byte();
    if (header === STOP) throw new RangeError("FileMetaData has no num_rows");
    const delta = header >> 4;
    field = delta === 0 ? Number(reader.zigzag()) : field + delta;
    const type = header & 0x0f;
    if (field === 3 && type === I64) return Number(reader.zigzag());
    reader.skip(type, 0);
  }
}
