import { decodeStruct, encodeStruct, TType, type TField, type TList, type TStruct, type TValue } from "./thrift-compact";

/**
 * The layout of a Parquet file from its footer: where each row group's bytes
 * are and what its column statistics say. Lets a reader fetch one row group
 * with a ranged read and skip those whose statistics rule them out. Field
 * ids follow parquet.thrift (FileMetaData, RowGroup, ColumnChunk,
 * ColumnMetaData, Statistics).
 */
const MAGIC = new TextEncoder().encode("PAR1");

export const PhysicalType = { Boolean: 0, Int32: 1, Int64: 2, Int96: 3, Float: 4, Double: 5, ByteArray: 6, FixedLenByteArray: 7 } as const;

export interface ColumnStats {
  physicalType: number;
  /** Raw min/max as Parquet stores them (little-endian numbers, bytes for strings); absent when not written. */
  min?: Uint8Array;
  max?: Uint8Array;
  /** Nulls in the column chunk (Statistics.null_count); absent when not written. */
  nullCount?: number;
}

export interface RowGroupLayout {
  index: number;
  numRows: number;
  /** Byte range [start, end) of the row group's column chunks. */
  start: number;
  end: number;
  /** Statistics of each top-level column, by name. */
  columns: Map<string, ColumnStats>;
}

export interface FooterLayout {
  footer: TStruct;
  /** Where the footer starts: the row groups' data ends here. */
  footerStart: number;
  numRows: number;
  rowGroups: RowGroupLayout[];
}

const field = (s: TStruct, id: number): TValue | undefined => s.get(id)?.value;
const num = (v: TValue | undefined): number => (typeof v === "bigint" ? Number(v) : typeof v === "number" ? v : 0);
const list = (v: TValue | undefined): TValue[] => (v && typeof v === "object" && "kind" in v && v.kind === "list" ? v.items : []);
const text = (v: TValue | undefined): string => (v instanceof Uint8Array ? new TextDecoder().decode(v) : "");

function chunkRange(chunk: TStruct): { start: number; end: number } {
  const meta = field(chunk, 3) as TStruct;
  const dictionary = meta.get(11) ? num(field(meta, 11)) : undefined;
  const data = num(field(meta, 9));
  const start = dictionary !== undefined && dictionary > 0 && dictionary < data ? dictionary : data;
  return { start, end: start + num(field(meta, 7)) };
}

/** Parses a footer (the thrift bytes, without length and magic) of a file of fileSize bytes. */
export function parseFooter(footerBytes: Uint8Array, fileSize: number): FooterLayout {
  const { struct: footer } = decodeStruct(footerBytes);
  const rowGroups = list(field(footer, 4)).map((value, index): RowGroupLayout => {
    const group = value as TStruct;
    let start = Infinity;
    let end = 0;
    const columns = new Map<string, ColumnStats>();
    for (const chunkValue of list(field(group, 1))) {
      const chunk = chunkValue as TStruct;
      const range = chunkRange(chunk);
      start = Math.min(start, range.start);
      end = Math.max(end, range.end);
      const meta = field(chunk, 3) as TStruct;
      const path = list(field(meta, 3)).map(text);
      if (path.length !== 1) continue; // nested (list) columns: no pruning on them
      const stats = field(meta, 12) as TStruct | undefined;
      // min_value/max_value (5, 6) are the sort-order-correct ones; min/max (2, 1) the legacy fields.
      const min = (stats && (field(stats, 6) ?? field(stats, 2))) as Uint8Array | undefined;
      const max = (stats && (field(stats, 5) ?? field(stats, 1))) as Uint8Array | undefined;
      const nulls = stats?.get(3);
      columns.set(path[0]!, { physicalType: num(field(meta, 1)), ...(min ? { min } : {}), ...(max ? { max } : {}), ...(nulls ? { nullCount: num(nulls.value) } : {}) });
    }
    return { index, numRows: num(field(group, 3)), start: start === Infinity ? 4 : start, end, columns };
  });
  return { footer, footerStart: fileSize - 8 - footerBytes.length, numRows: num(field(footer, 3)), rowGroups };
}

/** A copy of a row group's metadata with every offset moved by `shift`, page indexes and bloom filters dropped. */
function shiftedRowGroup(group: TStruct, shift: number): TStruct {
  const moved = (f: TField | undefined): TField | undefined => (f ? { type: TType.I64, value: BigInt(num(f.value) + shift) } : undefined);
  const copy: TStruct = new Map(group);
  copy.delete(7); // ordinal: positions change
  if (group.has(5)) copy.set(5, moved(group.get(5))!);
  const columns = list(field(group, 1)).map((chunkValue) => {
    const chunk = new Map(chunkValue as TStruct);
    for (const id of [4, 5, 6, 7]) chunk.delete(id);
    if (chunk.has(2)) chunk.set(2, moved(chunk.get(2))!);
    const meta = new Map(field(chunk, 3) as TStruct);
    for (const id of [9, 10, 11]) if (meta.has(id)) meta.set(id, moved(meta.get(id))!);
    meta.delete(14);
    meta.delete(15);
    chunk.set(3, { type: TType.Struct, value: meta });
    return chunk;
  });
  copy.set(1, { type: TType.List, value: { kind: "list", elementType: TType.Struct, items: columns } satisfies TList });
  return copy;
}

function footerWith(footer: TStruct, groups: TStruct[], numRows: number): TStruct {
  const copy: TStruct = new Map(footer);
  copy.set(3, { type: TType.I64, value: BigInt(numRows) });
  copy.set(4, { type: TType.List, value: { kind: "list", elementType: TType.Struct, items: groups } satisfies TList });
  return copy;
}

function trailer(footerBytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(footerBytes.length + 8);
  out.set(footerBytes);
  new DataView(out.buffer).setUint32(footerBytes.length, footerBytes.length, true);
  out.set(MAGIC, footerBytes.length + 4);
  return out;
}

/** A valid Parquet file of one row group, from that row group's bytes ([start, end) of the original). */
export function rowGroupFile(layout: FooterLayout, group: RowGroupLayout, data: Uint8Array): Uint8Array {
  const original = list(field(layout.footer, 4))[group.index] as TStruct;
  const footer = encodeStruct(footerWith(layout.footer, [shiftedRowGroup(original, MAGIC.length - group.start)], group.numRows));
  const tail = trailer(footer);
  const out = new Uint8Array(MAGIC.length + data.length + tail.length);
  out.set(MAGIC);
  out.set(data, MAGIC.length);
  out.set(tail, MAGIC.length + data.length);
  return out;
}

/**
 * Concatenation of Parquet files with one schema (written in parts, e.g.
 * across job invocations) into one file: the leading magic, each part's row
 * group bytes in turn, then `mergedTrailer` of the parts' footers.
 */
export const PARQUET_MAGIC = MAGIC;

export function mergedTrailer(parts: readonly FooterLayout[]): Uint8Array {
  let position = MAGIC.length;
  let numRows = 0;
  const groups: TStruct[] = [];
  for (const part of parts) {
    const shift = position - MAGIC.length;
    for (const g of list(field(part.footer, 4))) groups.push(shiftedRowGroup(g as TStruct, shift));
    numRows += part.numRows;
    position += part.footerStart - MAGIC.length;
  }
  if (parts.length === 0) throw new Error("parquet: nothing to merge");
  return trailer(encodeStruct(footerWith(parts[0]!.footer, groups, numRows)));
}

// Statistics as values a query can compare with.

export function int64Of(bytes: Uint8Array): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset, 8).getBigInt64(0, true);
}

export function doubleOf(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, 8).getFloat64(0, true);
}

/** Unsigned lexicographic byte order: how Parquet orders UTF-8 statistics. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}
