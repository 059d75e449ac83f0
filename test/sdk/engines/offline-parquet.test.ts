// The offline store read back by an independent engine: the Parquet objects
// the worker wrote, fetched through the local R2 S3 API exactly as stored,
// and read by DuckDB. Types, values, Hive partitions and schema evolution
// are checked against what was written, and the DuckDB SQL the
// offline-store endpoint hands out is run as given (s3:// URIs pointed at
// the downloaded copies).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  call,
  canonical,
  canonicalRow,
  createOfflineGroup,
  download,
  drained,
  int64,
  localize,
  openDuck,
  put,
  readParquet,
  softDelete,
  sqlString,
  tempDir,
  type Duck,
  type Json,
  type LocalCopy,
  type NativeFeature,
  type OfflineStoreView,
} from "./engines";

const FEATURES: NativeFeature[] = [
  { name: "i64", type: "Integral" },
  { name: "f64", type: "Fractional" },
  { name: "s", type: "String" },
  { name: "tags", type: "String", collection: { type: "List" } },
  { name: "nums", type: "Integral", collection: { type: "List" } },
  { name: "vec", type: "Fractional", collection: { type: "Vector", dimension: 3 } },
  { name: "uniq", type: "String", collection: { type: "Set" } },
];

const INT64_MAX = "9223372036854775807";
const INT64_MIN = "-9223372036854775808";

/** The first wave: extremes, unicode, empty and absent values, a deletion; four hours on three days, two years. */
const WAVE1: { kind: "put"; record: Record<string, Json> }[] = [
  {
    kind: "put",
    record: {
      id: "r1",
      ts: "2026-03-01T00:15:00Z",
      i64: INT64_MAX,
      f64: 1.7976931348623157e308,
      s: "ユーザー/1 🎉 naïve café",
      tags: ["a", "日本語", "🎉", "Ω≈ç√"],
      nums: [INT64_MAX, INT64_MIN, 0, -1],
      vec: [0.1, -2.5, 1e-300],
      uniq: ["x", "y", "ü"],
    },
  },
  {
    kind: "put",
    record: { id: "r2", ts: "2026-03-01T23:59:59.999Z", i64: INT64_MIN, f64: 5e-324, s: "", tags: [], nums: [], vec: [0, 0, 0], uniq: [] },
  },
  {
    kind: "put",
    record: { id: "ユーザー/3", ts: "2026-12-31T23:30:00.5Z", i64: "9007199254740993", f64: -0.1, s: 'line\nbreak\t"quote" \\ back', tags: ["", "x"], nums: [9007199254740991], vec: [1, 2, 3] },
  },
  { kind: "put", record: { id: "r4", ts: "2025-06-15T12:00:00Z" } },
  { kind: "put", record: { id: "r1", ts: "2026-03-01T00:45:00Z", i64: -42, f64: 3, s: "second version" } },
];
/** r1 deleted in the hour of its puts, after them. */
const WAVE1_DELETE = { id: "r1", ts: "2026-03-01T00:50:00Z" };
/** After `level` is added: a row with it, one without it. */
const WAVE2: Record<string, Json>[] = [
  { id: "r6", ts: "2026-03-02T10:00:00Z", i64: 6, level: 7, tags: ["new"] },
  { id: "r2", ts: "2026-03-02T11:00:00Z", i64: 2 },
];

interface Written {
  record: Record<string, Json>;
  isDeleted: boolean;
}

/** The Hive partition values of an ISO instant (UTC). */
function partitionOf(iso: string): { year: number; month: number; day: number; hour: number } {
  const d = new Date(iso);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours() };
}

/** A written record as DuckDB should read it back: every declared feature (NULL when absent), canonical JSON values. */
function expectedRow(written: Written, features: string[]): Record<string, Json> {
  const row: Record<string, Json> = {};
  for (const f of features) {
    const value = written.record[f];
    row[f] = value === undefined ? null : canonical(Array.isArray(value) ? value.map((v) => (typeof v === "string" && /^-?\d+$/.test(v) ? BigInt(v) : v)) : value);
  }
  return row;
}

describe("the offline store read back by DuckDB through the S3 API", () => {
  let group: string;
  let duck: Duck;
  const dir = tempDir("fs-engines-parquet-");
  const written: Written[] = [];
  /** Wall-clock window around each wave's writes and delivery. */
  const windows: { start: number; end: number }[] = [];
  let wave1: OfflineStoreView;
  let wave2: OfflineStoreView;
  let copy1: LocalCopy;
  let copy2: LocalCopy;

  beforeAll(async () => {
    duck = await openDuck();
    group = await createOfflineGroup("eng-parquet", FEATURES);
    let start = Date.now();
    for (const { record } of WAVE1) {
      await put(group, record);
      written.push({ record, isDeleted: false });
    }
    await softDelete(group, WAVE1_DELETE.id, WAVE1_DELETE.ts);
    written.push({ record: { id: WAVE1_DELETE.id, ts: WAVE1_DELETE.ts }, isDeleted: true });
    wave1 = await drained(group, written.length);
    windows.push({ start, end: Date.now() });
    copy1 = await download(wave1, `${dir.path}/wave1`);

    await call("PATCH", `/feature-groups/${group}`, { addFeatures: [{ name: "level", type: "Integral" }] });
    start = Date.now();
    for (const record of WAVE2) {
      await put(group, record);
      written.push({ record, isDeleted: false });
    }
    wave2 = await drained(group, written.length);
    windows.push({ start, end: Date.now() });
    copy2 = await download(wave2, `${dir.path}/wave2`);
  }, 60_000);

  afterAll(() => {
    duck?.close();
    dir.remove();
  });

  it("lists, in the bucket the offline-store endpoint names, exactly the manifest's objects, and they download byte for byte", () => {
    // download() checked the listing, sizes, ETags (MD5 of the bytes) and Parquet magic.
    expect(wave1.location).toBe(`s3://${wave1.bucket}/${wave1.prefix}`);
    expect(wave1.files.length).toBeGreaterThanOrEqual(4);
    expect(wave2.files.length).toBeGreaterThan(wave1.files.length);
    expect(wave1.stats).toMatchObject({ files: wave1.files.length, rows: 6, bytes: wave1.files.reduce((n, f) => n + f.byteSize, 0) });
    // Wave 1's objects are untouched by wave 2 (no compaction here).
    for (const file of wave1.files) expect(wave2.files).toContainEqual(file);
  });

  it("has the row counts the manifest states, file by file", async () => {
    const perFile = await duck.all(`SELECT filename, count(*)::INTEGER AS n FROM read_parquet([${copy2.files.map(sqlString).join(", ")}], filename = true, union_by_name = true) GROUP BY filename`);
    const counts = new Map(perFile.map((r) => [r.filename as string, r.n as number]));
    for (const file of wave2.files) expect(counts.get(copy2.paths.get(file.uri)!), file.key).toBe(file.rowCount);
    expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(written.length);
  });

  it("types every column as declared: int64 BIGINT, double DOUBLE, string VARCHAR, lists LIST, times TIMESTAMP WITH TIME ZONE, is_deleted BOOLEAN, write_sequence BIGINT, partitions from the path", async () => {
    const columns = await duck.describe(`SELECT * FROM ${readParquet(copy2.files)}`);
    expect(columns.slice(0, 15)).toEqual([
      { name: "id", type: "VARCHAR" },
      { name: "ts", type: "VARCHAR" },
      { name: "i64", type: "BIGINT" },
      { name: "f64", type: "DOUBLE" },
      { name: "s", type: "VARCHAR" },
      { name: "tags", type: "VARCHAR[]" },
      { name: "nums", type: "BIGINT[]" },
      { name: "vec", type: "DOUBLE[]" },
      { name: "uniq", type: "VARCHAR[]" },
      { name: "write_time", type: "TIMESTAMP WITH TIME ZONE" },
      { name: "api_invocation_time", type: "TIMESTAMP WITH TIME ZONE" },
      { name: "is_deleted", type: "BOOLEAN" },
      { name: "write_sequence", type: "BIGINT" },
      { name: "available_time", type: "TIMESTAMP WITH TIME ZONE" },
      { name: "level", type: "BIGINT" },
    ]);
    // Then the Hive partition columns. DuckDB orders them by name and, by
    // default, guesses their types from the values (zero-padded "03" stays
    // VARCHAR, "2026" becomes BIGINT); without the guess they are the
    // zero-padded strings of the path, as the Athena/Spark DDL declares them.
    expect(columns.slice(15).map((c) => c.name).sort()).toEqual(["day", "hour", "month", "year"]);
    const strict = await duck.describe(`SELECT year, month, day, hour FROM ${readParquet(copy2.files, "hive_partitioning = true, union_by_name = true, hive_types_autocast = false")}`);
    expect(strict.map((c) => c.type)).toEqual(["VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR"]);
    const padded = await duck.all(`SELECT DISTINCT year, month, day, hour FROM ${readParquet(copy2.files, "hive_partitioning = true, union_by_name = true, hive_types_autocast = false")}`);
    for (const p of padded) expect([p.year, p.month, p.day, p.hour].map((v) => String(v).length)).toEqual([4, 2, 2, 2]);
    // Inside one file (no Hive columns): declared order, then the five metadata columns.
    const single = await duck.describe(`SELECT * FROM read_parquet(${sqlString(copy1.files[0]!)}, hive_partitioning = false)`);
    expect(single.map((c) => c.name)).toEqual(["id", "ts", ...FEATURES.map((f) => f.name), "write_time", "api_invocation_time", "is_deleted", "write_sequence", "available_time"]);
    // The list element is named "element" (Parquet LIST spec, Hive/Athena).
    const schema = await duck.all(`SELECT name FROM parquet_schema(${sqlString(copy1.files[0]!)})`);
    expect(schema.map((r) => r.name)).toContain("element");
  });

  it("holds exactly the values written: int64 extremes, doubles, unicode, empty and absent values, lists", async () => {
    const features = ["id", "ts", ...FEATURES.map((f) => f.name), "level"];
    const rows = await duck.all(`SELECT ${features.join(", ")}, is_deleted FROM ${readParquet(copy2.files)}`);
    const actual = rows.map(canonicalRow).sort(byRow);
    const expected = written.map((w) => ({ ...expectedRow(w, features), is_deleted: w.isDeleted })).sort(byRow);
    expect(actual).toEqual(expected);
    // The int64 extremes are exact in DuckDB's own arithmetic too.
    const [extremes] = await duck.all(
      `SELECT max(i64) = 9223372036854775807 AS max_ok, min(i64) = -9223372036854775808 AS min_ok, list_max(flatten(list(nums))) AS top FROM ${readParquet(copy2.files)}`,
    );
    expect(extremes).toEqual({ max_ok: true, min_ok: true, top: BigInt(INT64_MAX) });
    const [unicode] = await duck.all(`SELECT length(s) AS chars, octet_length(encode(s)) AS bytes FROM ${readParquet(copy2.files)} WHERE id = 'r1' AND s LIKE 'ユーザー%'`);
    const text = WAVE1[0]!.record.s as string;
    expect(unicode).toEqual({ chars: BigInt([...text].length), bytes: BigInt(new TextEncoder().encode(text).byteLength) });
  });

  it("partitions by the event time's UTC hour: year/month/day/hour in the path match every row's event time", async () => {
    const rows = await duck.all(`SELECT ts, year, month, day, hour, filename FROM ${readParquet(copy2.files, "hive_partitioning = true, union_by_name = true, filename = true")}`);
    expect(rows).toHaveLength(written.length);
    for (const row of rows) {
      expect({ year: Number(row.year), month: Number(row.month), day: Number(row.day), hour: Number(row.hour) }, String(row.ts)).toEqual(partitionOf(String(row.ts)));
      const p = partitionOf(String(row.ts));
      const partition = `year=${String(p.year).padStart(4, "0")}/month=${String(p.month).padStart(2, "0")}/day=${String(p.day).padStart(2, "0")}/hour=${String(p.hour).padStart(2, "0")}`;
      expect(String(row.filename)).toContain(`/${partition}/`);
    }
    // The manifest's partition and event-time ranges agree with the data.
    for (const file of wave2.files) {
      const [range] = await duck.all(
        `SELECT min(CAST(ts AS TIMESTAMPTZ)) AS lo, max(CAST(ts AS TIMESTAMPTZ)) AS hi, min(epoch_ms(write_time)) AS w0, max(epoch_ms(write_time)) AS w1 FROM read_parquet(${sqlString(copy2.paths.get(file.uri)!)})`,
      );
      expect(file.key).toContain(`/${file.partition}/`);
      expect((range!.lo as Date).toISOString()).toBe(file.minEventTime);
      expect((range!.hi as Date).toISOString()).toBe(file.maxEventTime);
      expect(new Date(Number(range!.w0)).toISOString()).toBe(file.minWriteTime);
      expect(new Date(Number(range!.w1)).toISOString()).toBe(file.maxWriteTime);
    }
  });

  it("stamps write_time and api_invocation_time (UTC milliseconds) within each wave, and marks only the deletion", async () => {
    const rows = await duck.all(`SELECT id, ts, epoch_ms(write_time) AS w, epoch_ms(api_invocation_time) AS a, is_deleted FROM ${readParquet(copy2.files)}`);
    for (const row of rows) {
      const wave = WAVE2.some((r) => r.id === row.id && r.ts === row.ts) ? windows[1]! : windows[0]!;
      const [w, a] = [Number(row.w), Number(row.a)];
      expect(a, `${row.id}@${row.ts} api_invocation_time`).toBeGreaterThanOrEqual(wave.start - 1);
      expect(a).toBeLessThanOrEqual(w);
      expect(w, `${row.id}@${row.ts} write_time`).toBeLessThanOrEqual(wave.end + 1);
      expect(row.is_deleted).toBe(row.id === WAVE1_DELETE.id && row.ts === WAVE1_DELETE.ts);
    }
    // A deletion row carries the identifier and the delete's event time only.
    const [deletion] = await duck.all(`SELECT * EXCLUDE (write_time, api_invocation_time, write_sequence, available_time, year, month, day, hour) FROM ${readParquet(copy2.files)} WHERE is_deleted`);
    expect(canonicalRow(deletion!)).toEqual({ id: "r1", ts: WAVE1_DELETE.ts, i64: null, f64: null, s: null, tags: null, nums: null, vec: null, uniq: null, level: null, is_deleted: true });
  });

  it("evolves the schema: files written before a feature was added lack its column, and union_by_name reads NULL there", async () => {
    const hasLevel = async (path: string) => (await duck.all(`SELECT name FROM parquet_schema(${sqlString(path)})`)).some((r) => r.name === "level");
    for (const file of wave1.files) expect(await hasLevel(copy1.paths.get(file.uri)!), file.key).toBe(false);
    const newFiles = wave2.files.filter((f) => !wave1.files.some((old) => old.key === f.key));
    expect(newFiles.length).toBeGreaterThan(0);
    for (const file of newFiles) {
      expect(await hasLevel(copy2.paths.get(file.uri)!), file.key).toBe(true);
      expect(file.schemaVersion).toBeGreaterThan(Math.max(...wave1.files.map((f) => f.schemaVersion)));
    }
    const rows = await duck.all(`SELECT id, ts, level FROM ${readParquet(copy2.files)} ORDER BY ts`);
    expect(rows.map(canonicalRow)).toEqual(
      written.map((w) => ({ id: w.record.id as string, ts: w.record.ts as string, level: w.record.level === undefined ? null : int64(w.record.level as number) })).sort((a, b) => (a.ts < b.ts ? -1 : 1)),
    );
    // Without union_by_name DuckDB takes the first file's schema; with it, every column of every file.
    const first = await duck.describe(`SELECT * FROM read_parquet([${copy2.files.map(sqlString).join(", ")}])`);
    expect(first.some((c) => c.name === "level")).toBe(copy2.files[0] !== undefined && (await hasLevel(copy2.files[0])));
  });

  it("runs the offline-store endpoint's DuckDB SQL as given (URIs pointed at the downloaded files) and reads the same rows", async () => {
    for (const [store, copy] of [
      [wave1, copy1],
      [wave2, copy2],
    ] as const) {
      const view = group.replaceAll("-", "_");
      expect(store.sql.duckdb).toContain(`CREATE OR REPLACE VIEW ${view} AS`);
      expect(store.sql.duckdb.match(/'s3:\/\/[^']+'/g)).toHaveLength(store.files.length);
      await duck.run(localize(store.sql.duckdb, copy));
      const viaView = await duck.all(`SELECT * FROM ${view}`);
      const direct = await duck.all(`SELECT * FROM ${readParquet(copy.files, "hive_partitioning = true, hive_types_autocast = false, union_by_name = true")}`);
      expect(viaView.length).toBe(store.stats.rows);
      expect(viaView.map(canonicalRow).sort(byRow)).toEqual(direct.map(canonicalRow).sort(byRow));
      const columns = await duck.describe(`SELECT * FROM ${view}`);
      // The endpoint's Hive column list is the data's columns, and the view adds
      // the partitions (union_by_name appends a column added later after the
      // first file's columns, so compare as sets).
      expect(columns.map((c) => c.name).sort()).toEqual([...store.columns.map((c) => c.name), "year", "month", "day", "hour"].sort());
    }
  });

  it("agrees with the worker's own history of a record, version for version", async () => {
    const history = await call("GET", `/feature-groups/${group}/records/r1/history`);
    const rows = await duck.all(
      `SELECT * EXCLUDE (year, month, day, hour, write_time, api_invocation_time, write_sequence, available_time), epoch_ms(write_time) AS w, epoch_ms(api_invocation_time) AS a
       FROM ${readParquet(copy2.files)} WHERE id = 'r1' ORDER BY CAST(ts AS TIMESTAMPTZ), write_sequence, is_deleted`,
    );
    expect(history.versions).toHaveLength(rows.length);
    history.versions.forEach((v: { record: Record<string, Json>; isDeleted: boolean; writeTime: string; apiInvocationTime: string }, i: number) => {
      const { w, a, is_deleted, ...values } = rows[i]!;
      expect(v.isDeleted).toBe(is_deleted);
      expect(v.writeTime).toBe(new Date(Number(w)).toISOString());
      expect(v.apiInvocationTime).toBe(new Date(Number(a)).toISOString());
      expect(v.record).toEqual(Object.fromEntries(Object.entries(canonicalRow(values)).filter(([, value]) => value !== null)));
    });
  });
});

function byRow(a: Record<string, Json>, b: Record<string, Json>): number {
  const [x, y] = [JSON.stringify(a), JSON.stringify(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}
