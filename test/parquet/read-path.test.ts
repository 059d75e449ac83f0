// The one Parquet read path (src/parquet) over real R2: footers learnt with
// one ranged read (two for a footer over the first guess), row groups
// fetched and decoded one at a time, for our files and for files other
// tools wrote, whose footers carry fields we never write.
import { Float64, Int64, Table, tableToIPC, Utf8 } from "apache-arrow";
import { env } from "cloudflare:test";
import { Table as WasmTable, writeParquet, WriterPropertiesBuilder } from "parquet-wasm/esm";
import { describe, expect, it } from "vitest";
import { columnVector } from "../../src/offline/arrow-columns";
import { decodeParquet, ensureParquetWasm } from "../../src/offline/parquet";
import { bucketSource, counted, FOOTER_GUESS_BYTES, memorySource, ParquetFooterError, readFooter, readRowGroup } from "../../src/parquet";
import { PYARROW_LISTS_PARQUET } from "./pyarrow-lists.fixture";

const plain = (table: Table): unknown[] => table.toArray().map((row) => JSON.parse(JSON.stringify(row.toJSON(), (_k, v: unknown) => (typeof v === "bigint" ? Number(v) : v))));

async function stored(bytes: Uint8Array): Promise<{ key: string; size: number }> {
  const key = `test/read-path/${crypto.randomUUID()}.parquet`;
  await env.OFFLINE_BUCKET.put(key, bytes);
  return { key, size: bytes.byteLength };
}

describe("the Parquet read path", () => {
  it("reads each row group of a pyarrow file with list columns on its own, the same rows as the whole file", async () => {
    const { key, size } = await stored(PYARROW_LISTS_PARQUET);
    const reads: number[] = [];
    const source = counted(bucketSource(env.OFFLINE_BUCKET, key, size), (bytes) => reads.push(bytes));
    const { layout } = await readFooter(source);
    expect(layout.numRows).toBe(30);
    expect(layout.rowGroups.map((g) => g.numRows)).toEqual([10, 10, 10]);
    expect(reads).toEqual([size]); // a file under the first guess: one read
    const groups = [];
    for (const group of layout.rowGroups) groups.push(...plain(await readRowGroup(source, layout, group)));
    expect(groups).toEqual(plain(decodeParquet(PYARROW_LISTS_PARQUET)));
    expect(groups[5]).toEqual({ user: "u005", event_time: 1700000005, clicks: [5, 6], tags: ["t5", "x"], score: 2.5 });
    expect(groups[4]).toMatchObject({ score: null });
    expect(groups[3]).toMatchObject({ clicks: null, tags: ["t3", "x"] });
    // Statistics of the flat columns come through for pruning; list columns have none to prune by.
    expect(new TextDecoder().decode(layout.rowGroups[2]!.columns.get("user")!.max)).toBe("u029");
    expect(layout.rowGroups[0]!.columns.has("clicks")).toBe(false);
  });

  it("reads a footer larger than the first guess with a second read of only the part not yet fetched", async () => {
    ensureParquetWasm();
    const rows = 4000;
    const columns: Record<string, ReturnType<typeof columnVector>> = { id: columnVector(new Utf8(), Array.from({ length: rows }, (_, i) => `id-${String(i).padStart(5, "0")}`)) };
    for (let c = 0; c < 40; c++) columns[`f${c}`] = c % 2 ? columnVector(new Float64(), Array.from({ length: rows }, (_, i) => i + c / 10)) : columnVector(new Int64(), Array.from({ length: rows }, (_, i) => i * c));
    const table = new Table(columns);
    const properties = new WriterPropertiesBuilder().setMaxRowGroupSize(20).build();
    const bytes = writeParquet(WasmTable.fromIPCStream(tableToIPC(table, "stream")), properties);
    const footerBytes = new DataView(bytes.buffer, bytes.byteOffset + bytes.byteLength - 8, 4).getUint32(0, true);
    expect(footerBytes).toBeGreaterThan(FOOTER_GUESS_BYTES);

    const reads: number[] = [];
    const source = counted(memorySource("wide.parquet", bytes), (n) => reads.push(n));
    const { layout } = await readFooter(source);
    expect(reads).toEqual([FOOTER_GUESS_BYTES, footerBytes + 8 - FOOTER_GUESS_BYTES]);
    expect(layout.rowGroups).toHaveLength(rows / 20);
    const group = layout.rowGroups[137]!;
    const decoded = plain(await readRowGroup(source, layout, group));
    expect(decoded).toHaveLength(20);
    expect(decoded[0]).toMatchObject({ id: "id-02740", f2: 2740 * 2, f3: 2740.3 });
  });

  it("names what is wrong with a file that is not Parquet, and reads nothing past its tail", async () => {
    const text = new TextEncoder().encode("user,clicks\nu1,3\n".repeat(100));
    const problem = await readFooter(memorySource("entities.csv", text)).catch((error: unknown) => error);
    expect(problem).toBeInstanceOf(ParquetFooterError);
    expect(problem).toMatchObject({ problem: "not_parquet", message: "not a Parquet file (no PAR1 trailer)" });
    const truncated = PYARROW_LISTS_PARQUET.slice(PYARROW_LISTS_PARQUET.byteLength - 40);
    await expect(readFooter(memorySource("cut.parquet", truncated))).rejects.toMatchObject({ problem: "not_parquet", message: "not a Parquet file (footer longer than the file)" });
  });
});
