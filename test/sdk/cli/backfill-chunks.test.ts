// The offline backfill's column-wise chunk path (scripts/cli/backfill:
// chunk-source, chunk-work) against the row-wise path it replaced, which
// online ingest still uses (decode.ts + validate.ts, then offline-table.ts
// row objects): on the same inputs it must cut the same chunks, reject
// exactly the same rows with the same row/field/rule report, and write
// byte-identical Parquet files under the same keys. Inputs are written by
// DuckDB (Parquet, several row groups) and by hand (CSV, NDJSON).
import { join } from "node:path";
import { readFileSync, writeFileSync } from "node:fs";
import { readParquet, writeParquet, WriterPropertiesBuilder } from "parquet-wasm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { partitionOf } from "../../../src/offline/layout";
import { offlineTable } from "../../../src/offline/offline-table";
import type { Availability } from "../../../src/records";
import * as source from "../../../scripts/cli/backfill/chunk-source";
import * as work from "../../../scripts/cli/backfill/chunk-work";
import * as decode from "../../../scripts/cli/backfill/decode";
import * as encode from "../../../scripts/cli/backfill/encode-batch";
import * as parquet from "../../../scripts/cli/backfill/parquet";
import * as validate from "../../../scripts/cli/backfill/validate";
import type { GroupSchemaView } from "../../../scripts/cli/backfill/validate";
import type { Problem } from "../../../scripts/cli/backfill/views";
import { md5Hex, openDuck, sqlString, tempDir, type Duck } from "../engines/engines";

type File = encode.OfflineFile;
type Format = decode.InputFormat;

const WRITE_TIME = Date.UTC(2026, 5, 1);
/** The backfill's default knowledge time: the event time, plus a delay here so the column is not the event time itself. */
const AVAILABILITY = { from: "eventTime", delayMs: 7_200_000 } satisfies Availability;
const IDENTITY = "ab".repeat(32);
const PREFIX = "offline-store/g/gen/data/";

const GROUP: GroupSchemaView & { features: { name: string; type: "Integral" | "Fractional" | "String"; collection?: { type: "List" } }[] } = {
  name: "g",
  recordIdentifierFeature: "id",
  eventTimeFeature: "ts",
  features: [
    { name: "id", type: "String" },
    { name: "ts", type: "String" },
    { name: "age", type: "Integral" },
    { name: "score", type: "Fractional" },
    { name: "city", type: "String" },
    { name: "tags", type: "String", collection: { type: "List" } },
    { name: "small", type: "Integral" },
    { name: "absent", type: "Fractional" },
  ],
};

/** The new path: chunk tasks run on this thread, every report entry and file. */
async function columnWise(bytes: Uint8Array, format: Format, chunkRows: number) {
  const run = work.chunkWork({ group: GROUP, prefix: PREFIX, writeTimeMs: WRITE_TIME, availability: AVAILABILITY, registered: [] });
  const invalid: Problem[] = [];
  const files = new Map<string, File>();
  let rows = 0;
  for await (const task of source.chunkTasks(bytes, format, chunkRows)) {
    // An unreadable input (as offline.ts does): its one report entry, and nothing of the chunks before.
    if (task.fatal) return { rows: 1, invalid: [{ row: task.fatal.row, field: "row", rule: task.fatal.rule }], files: new Map<string, File>() };
    const { share: _share, ...rest } = task;
    const result = run({ ...rest, identity: IDENTITY, encode: true });
    rows += result.rows;
    invalid.push(...result.invalid);
    for (const file of result.files) files.set(file.key, file);
  }
  return { rows, invalid, files: invalid.length > 0 ? new Map<string, File>() : files };
}

/** The row path: decode.ts + validate.ts, then chunks of valid rows split by partition, as row objects through offline-table.ts. */
function rowWise(bytes: Uint8Array, format: Format, chunkRows: number) {
  const { valid, invalid } = validate.validateRows(validate.recordSchemaOfView(GROUP), decode.decodeInput(bytes, format));
  const files = new Map<string, { rows: number; bytes: Uint8Array; minEventTime: number; maxEventTime: number }>();
  if (invalid.length > 0) return { rows: valid.length + invalid.length, invalid, files };
  for (let chunk = 0; chunk * chunkRows < valid.length; chunk++) {
    const byPartition = new Map<string, validate.ValidRow[]>();
    for (const row of valid.slice(chunk * chunkRows, (chunk + 1) * chunkRows)) {
      const partition = partitionOf(row.eventKey);
      byPartition.set(partition, [...(byPartition.get(partition) ?? []), row]);
    }
    for (const [partition, rows] of byPartition) {
      const table = offlineTable(
        GROUP.features,
        rows.map((r) => ({
          values: r.values,
          writeTimeMs: WRITE_TIME,
          apiInvocationTimeMs: WRITE_TIME,
          isDeleted: false,
          // Row n of the input: write sequence write time × 1000 + n; knowledge time its event time plus the delay.
          writeSequence: WRITE_TIME * 1000 + r.row,
          availableTimeMs: Math.trunc(r.eventMs) + AVAILABILITY.delayMs,
        })),
      );
      const times = rows.map((r) => r.eventMs);
      files.set(`${PREFIX}${partition}/${encode.fileNaming(IDENTITY, chunk, partition).name}.parquet`, { rows: rows.length, bytes: parquet.writeOfflineTable(table), minEventTime: Math.min(...times), maxEventTime: Math.max(...times) });
    }
  }
  return { rows: valid.length, invalid: [] as Problem[], files };
}

async function expectSameAsRowPath(bytes: Uint8Array, format: Format, chunkRows: number) {
  const expected = rowWise(bytes, format, chunkRows);
  const got = await columnWise(bytes, format, chunkRows);
  expect(got.rows).toBe(expected.rows);
  expect(got.invalid).toEqual(expected.invalid);
  expect([...got.files.keys()].sort()).toEqual([...expected.files.keys()].sort());
  for (const [key, file] of expected.files) {
    const { rows, minEventTime, maxEventTime } = got.files.get(key)!;
    expect({ rows, minEventTime, maxEventTime }, key).toEqual({ rows: file.rows, minEventTime: file.minEventTime, maxEventTime: file.maxEventTime });
    expect(md5Hex(got.files.get(key)!.bytes), key).toBe(md5Hex(file.bytes));
  }
  return got;
}

let dir: { path: string; remove: () => void };
let duck: Duck;
beforeAll(async () => {
  dir = tempDir("fs-backfill-chunks-");
  duck = await openDuck();
});
afterAll(() => {
  duck?.close();
  dir?.remove();
});

/**
 * A Parquet input of DuckDB's column types from a SELECT over range(0, rows)
 * t(i), rewritten by parquet-wasm in row groups of 1,000 rows (DuckDB keeps
 * small files in one row group).
 */
async function parquetInput(name: string, rows: number, select: string): Promise<Uint8Array> {
  const path = join(dir.path, name);
  await duck.run(`COPY (SELECT ${select} FROM range(0, ${rows}) t(i) ORDER BY i) TO ${sqlString(path)} (FORMAT parquet)`);
  const bytes = writeParquet(readParquet(readFileSync(path)), new WriterPropertiesBuilder().setMaxRowGroupSize(1000).build());
  writeFileSync(path, bytes);
  const [groups] = await duck.all(`SELECT COUNT(DISTINCT row_group_id)::INTEGER AS n FROM parquet_metadata(${sqlString(path)})`);
  expect(Number(groups!.n)).toBe(Math.ceil(rows / 1000));
  return bytes;
}

const VALID_COLUMNS = `'ü-' || i AS id,
  CASE WHEN i = 2499 THEN '0048-02-29T12:00:00.250Z' ELSE strftime(TIMESTAMP '2026-01-01 00:00:00' + INTERVAL (i * 7) SECOND, '%Y-%m-%dT%H:%M:%S') || CASE WHEN i % 3 = 0 THEN '.123456Z' WHEN i % 3 = 1 THEN '.5Z' ELSE 'Z' END END AS ts,
  CASE WHEN i % 13 = 0 THEN NULL WHEN i % 50 = 0 THEN 9007199254740993 + i WHEN i % 7 = 0 THEN -i ELSE i END::BIGINT AS age,
  CASE WHEN i % 11 = 0 THEN NULL WHEN i % 17 = 0 THEN '-0.0'::DOUBLE ELSE i / 3 END::DOUBLE AS score,
  CASE WHEN i % 4 = 0 THEN NULL ELSE 'city-' || (i % 7) || ' ∑' END AS city,
  CASE WHEN i % 5 = 0 THEN NULL ELSE ['a' || i, 'b'] END AS tags,
  (i % 1000 - 500)::INTEGER AS small`;

describe("backfill chunks, column-wise", () => {
  it("writes the same files, byte for byte, as the row path for a Parquet input of several row groups, with chunks straddling them and row groups read in parts", async () => {
    const bytes = await parquetInput("valid.parquet", 2500, VALID_COLUMNS);
    const got = await expectSameAsRowPath(bytes, "parquet", 700);
    expect(got.rows).toBe(2500);
    expect([...got.files.values()].reduce((n, f) => n + f.rows, 0)).toBe(2500);
    // 2,499 rows 7 s apart span five hours (the last row is in year 48); chunks of 700 rows cut across them.
    expect(new Set([...got.files.values()].map((f) => f.partition))).toEqual(new Set(["year=2026/month=01/day=01/hour=00", "year=2026/month=01/day=01/hour=01", "year=2026/month=01/day=01/hour=02", "year=2026/month=01/day=01/hour=03", "year=2026/month=01/day=01/hour=04", "year=0048/month=02/day=29/hour=12"]));
    expect(got.files.size).toBeGreaterThan(5);
    // Chunks of 300 rows: each 1,000-row group is read in two parts (its first 600 rows, then the rest).
    await expectSameAsRowPath(bytes, "parquet", 300);
  });

  it("rejects exactly the rows the row validator rejects, with its report, for a Parquet input", async () => {
    const bytes = await parquetInput(
      "invalid.parquet",
      2200,
      `CASE WHEN i = 5 THEN '' WHEN i = 6 THEN NULL WHEN i = 7 THEN repeat('x', 2049) WHEN i = 2102 THEN repeat('i', 1000) ELSE 'u' || i END AS id,
       CASE WHEN i = 1500 THEN NULL WHEN i = 1501 THEN '2026-02-30T00:00:00Z' WHEN i = 1502 THEN '2026-01-01 00:00:00' WHEN i = 1503 THEN '2026-01-01T00:00:00.1234567890Z' WHEN i = 1504 THEN '2026-01-01T24:00:00Z' WHEN i = 1505 THEN '0099-03-01T00:00:00.Z'
         ELSE strftime(TIMESTAMP '2026-01-01 00:00:00' + INTERVAL (i * 7) SECOND, '%Y-%m-%dT%H:%M:%SZ') END AS ts,
       CASE WHEN i = 1100 THEN 'NaN'::DOUBLE WHEN i = 1101 THEN 'inf'::DOUBLE ELSE i END::DOUBLE AS score,
       CASE WHEN i = 2100 THEN repeat('é', 358401) WHEN i BETWEEN 2101 AND 2102 THEN repeat('y', 358000) ELSE NULL END AS city,
       CASE WHEN i = 900 THEN 'surprise' ELSE NULL END AS extra`,
    );
    const got = await expectSameAsRowPath(bytes, "parquet", 1000);
    expect(got.invalid.map((p) => [p.row, p.field])).toEqual([
      [6, "id"],
      [7, "id"],
      [8, "id"],
      [901, "extra"],
      [1101, "score"],
      [1102, "score"],
      [1501, "ts"],
      [1502, "ts"],
      [1503, "ts"],
      [1504, "ts"],
      [1505, "ts"],
      [1506, "ts"],
      [2101, "city"],
      // Row 2102 is just under the record size limit (checked exactly), row 2103 over it.
      [2103, "record"],
    ]);
  });

  it("cuts CSV at whole records (quoted commas and line breaks, CRLF, blank lines) into the same chunks as the row path", async () => {
    const lines = ["id,ts,age,score,city,tags"];
    for (let i = 0; i < 120; i++) {
      const ts = new Date(Date.UTC(2026, 0, 1) + i * 97_000).toISOString();
      const city = i % 9 === 0 ? `"line one\r\nline ""two"", with comma"` : i % 4 === 0 ? "" : `city-${i % 5}`;
      lines.push(`u${i},${ts},${i % 6 === 0 ? "" : i * 1000},${i / 8},${city},${i % 3 === 0 ? `"[""x"",""y${i}""]"` : ""}`);
      if (i % 25 === 0) lines.push("");
    }
    const bytes = new TextEncoder().encode(`${lines.join("\r\n")}\r\n`);
    const got = await expectSameAsRowPath(bytes, "csv", 11);
    expect(got.rows).toBe(120);
    // A quoted line break counts once: 120 rows in chunks of 11 is 11 chunks, and every file's rows add up.
    expect([...got.files.values()].reduce((n, f) => n + f.rows, 0)).toBe(120);
  });

  it("reports CSV problems as the row path does: wrong field counts, bad values, an unknown and a repeated column, an unterminated quote", async () => {
    const csv = (text: string) => new TextEncoder().encode(text);
    const ts = (i: number) => new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
    await expectSameAsRowPath(csv(`id,ts,age,nope\nu1,${ts(1)},1,\nu2,${ts(2)},x,\nu3,${ts(3)}\nu4,${ts(4)},4,boo\n,${ts(5)},5,\nu6,${ts(6)},"[1,2]",\n`), "csv", 2);
    await expectSameAsRowPath(csv(`id,ts,age,age\nu1,${ts(1)},1,\nu2,${ts(2)},2,2\nu3,${ts(3)},,3\n`), "csv", 2);
    await expectSameAsRowPath(csv(`id,ts,age\nu1,${ts(1)},1\nu2,${ts(2)},"2\nu3,${ts(3)},3\n`), "csv", 1);
    await expectSameAsRowPath(csv(`\nu1,${ts(1)},1\n`), "csv", 1);
    await expectSameAsRowPath(csv(""), "csv", 1);
  });

  it("reads text as the bulk API does: rows by physical line (blank lines and quoted line breaks counted), a byte order mark dropped, JSON shape limits", async () => {
    const ts = (i: number) => new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
    const csv = new TextEncoder().encode(`\ufeffid,ts,city\r\n\r\nu1,${ts(1)},"two\r\nlines"\r\nu2,${ts(2)},x,extra\r\n\r\nu3,nope,z\r\n`);
    const csvGot = await expectSameAsRowPath(csv, "csv", 1);
    expect(csvGot.invalid.map((p) => [p.row, p.rule])).toEqual([
      [5, "must have 3 fields, has 4"],
      [7, expect.stringContaining("ISO-8601")],
    ]);
    const deep = `${"[".repeat(40)}"x"${"]".repeat(40)}`;
    const ndjson = new TextEncoder().encode(`\ufeff{"id":"u1","ts":"${ts(1)}"}\n\n{"id":"u2","ts":"${ts(2)}","tags":${deep}}\n`);
    const ndjsonGot = await expectSameAsRowPath(ndjson, "ndjson", 1);
    expect(ndjsonGot.invalid).toEqual([{ row: 3, field: "row", rule: "must not nest arrays and objects more than 32 levels deep" }]);
    const notUtf8 = await expectSameAsRowPath(new Uint8Array([...new TextEncoder().encode("id,ts\n"), 0xff, 0x0a]), "csv", 1);
    expect(notUtf8.invalid).toEqual([{ row: 1, field: "row", rule: "must be UTF-8 text" }]);
  });

  it("rejects a .parquet input that is not Parquet as one problem on row 1, instead of failing", async () => {
    const got = await columnWise(new TextEncoder().encode("id,ts\nu1,2026-01-01T00:00:00Z\n"), "parquet", 10);
    expect(got.rows).toBe(1);
    expect(got.invalid).toEqual([{ row: 1, field: "row", rule: expect.stringMatching(/^must be a readable Parquet file \(.+\)$/) }]);
    expect(got.files.size).toBe(0);
  });

  it("handles NDJSON rows, which name their own fields, as the row path does", async () => {
    const rows = Array.from({ length: 40 }, (_, i) => JSON.stringify({ id: `u${i}`, ts: new Date(Date.UTC(2026, 0, 1) + i * 600_000).toISOString(), age: i === 3 ? "9007199254740993" : i, tags: i % 2 ? ["p", `q${i}`] : null }));
    writeFileSync(join(dir.path, "rows.ndjson"), `${rows.join("\n")}\n\n`);
    const good = await expectSameAsRowPath(readFileSync(join(dir.path, "rows.ndjson")), "ndjson", 9);
    expect(good.rows).toBe(40);
    const bad = await expectSameAsRowPath(new TextEncoder().encode(`${rows[0]}\n{"id": 1,\n[1]\n${rows[1]!.replace('"age":1', '"age":1.5')}\n`), "ndjson", 2);
    expect(bad.invalid.map((p) => p.row)).toEqual([2, 3, 4]);
  });
});
