// decodeParquet copies row groups out of parquet-wasm through the Arrow C
// data interface; the IPC round trip it replaced is the reference. Every
// column type the offline store writes, with nulls, plus a dictionary column
// as other writers produce, must read back cell for cell the same.
import { Bool, Dictionary, Field, Float64, Int32, Int64, List, makeData, makeVector, Table, tableFromIPC, tableToIPC, TimestampMillisecond, Utf8, type Vector } from "apache-arrow";
import { readParquet, Table as WasmTable, writeParquet } from "parquet-wasm/esm";
import { describe, expect, it } from "vitest";
import { columnVector } from "../../src/offline/arrow-columns";
import { decodeParquet, ensureParquetWasm } from "../../src/offline/parquet";

const ROWS = 3000;

function sampleTable(withDictionary: boolean): Table {
  const pick = <T>(i: number, value: T): T | null => (i % 7 === 3 ? null : value);
  const dictionary = columnVector(new Utf8(), ["red", "green", "blue"]);
  const codes = Int32Array.from({ length: ROWS }, (_, i) => i % 3);
  return new Table({
    id: columnVector(new Utf8(), Array.from({ length: ROWS }, (_, i) => `user-${String(i).padStart(6, "0")}`)),
    city: columnVector(new Utf8(), Array.from({ length: ROWS }, (_, i) => pick(i, i % 2 ? "Oslo" : "Zürich"))),
    age: columnVector(new Int64(), Array.from({ length: ROWS }, (_, i) => pick(i, i % 11 === 0 ? "9007199254740993" : i * 3))),
    score: columnVector(new Float64(), Array.from({ length: ROWS }, (_, i) => pick(i, i / 7))),
    tags: columnVector(new List(new Field("element", new Utf8(), true)), Array.from({ length: ROWS }, (_, i) => pick(i, [`t${i % 5}`, `u${i % 3}`]))),
    write_time: columnVector(new TimestampMillisecond("UTC"), Array.from({ length: ROWS }, (_, i) => 1_764_000_000_000 + i)),
    is_deleted: columnVector(new Bool(), Array.from({ length: ROWS }, (_, i) => pick(i, i % 2 === 0))),
    ...(withDictionary ? { colour: makeVector(makeData({ type: new Dictionary(new Utf8(), new Int32()), length: ROWS, nullCount: 0, data: codes, dictionary })) } : {}),
  });
}

function viaIpc(bytes: Uint8Array): Table {
  ensureParquetWasm();
  return tableFromIPC(readParquet(bytes, { batchSize: 1 << 20 }).intoIPCStream());
}

describe("decodeParquet", () => {
  it.each([
    ["every offline column type with nulls", false],
    ["the same plus a dictionary column, as other writers produce", true],
  ])("reads %s exactly as the IPC round trip does", (_name, withDictionary) => {
    ensureParquetWasm();
    const bytes = writeParquet(WasmTable.fromIPCStream(tableToIPC(sampleTable(withDictionary), "stream")));
    const decoded = decodeParquet(bytes);
    const reference = viaIpc(bytes);
    expect(decoded.schema.fields.map((f) => `${f.name}:${String(f.type)}`)).toEqual(reference.schema.fields.map((f) => `${f.name}:${String(f.type)}`));
    expect(decoded.numRows).toBe(ROWS);
    expect(decoded.batches).toHaveLength(1);
    for (const field of reference.schema.fields) {
      expect(cells(decoded.getChild(field.name)!), field.name).toEqual(cells(reference.getChild(field.name)!));
    }
    expect(decoded.getChild("city")!.get(3)).toBeNull();
    expect(decoded.getChild("age")!.get(11)).toBe(9007199254740993n);
    if (withDictionary) expect(decoded.getChild("colour")!.get(4)).toBe("green");
  });
});

const cells = (vector: Vector): unknown[] => Array.from({ length: vector.length }, (_, i) => plain(vector.get(i)));

/** Cells as JSON can hold them: BigInt as text, nested vectors as arrays. */
function plain(value: unknown): unknown {
  if (typeof value === "bigint") return `${value}n`;
  if (value !== null && typeof value === "object" && Symbol.iterator in value) return Array.from(value as Iterable<unknown>, plain);
  return value;
}
