// Counted I/O of time-travel reads over a month of hourly partitions: a read
// that concerns one hour fetches only that hour's files, and the stats each
// response reports (filesRead, bytesRead) are exactly the manifest's sizes of
// those files, which are also the sizes of the objects in the bucket (listed
// through the S3 API); rowsRead counts the rows of the row groups whose
// footers (read by DuckDB) do not rule the read out.
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { call, createOfflineGroup, download, drained, listObjects, openDuck, put, sleep, sqlString, tempDir, type ManifestFileView, type OfflineStoreView } from "./engines";

const DAYS = 32;
const IDS = ["k1", "k2", "k3"];
const HOUR = 3_600_000;
const DAY0 = Date.UTC(2025, 9, 1);
/** Day d's events fall in one hour, d mod 24, at minutes 10, 20 and 30: 32 hourly partitions on 32 days. */
const hourStart = (day: number) => DAY0 + day * 24 * HOUR + (day % 24) * HOUR;
const eventAt = (day: number, minute: number) => new Date(hourStart(day) + minute * 60_000).toISOString();
const partitionOf = (ms: number) => {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, "0");
  return `year=${d.getUTCFullYear()}/month=${two(d.getUTCMonth() + 1)}/day=${two(d.getUTCDate())}/hour=${two(d.getUTCHours())}`;
};
/** The backfilled day: written again, later, at minute 40. */
const BACKFILL_DAY = 20;

/** One row group of a file, as DuckDB reads the footer: its rows and the identifier column's statistics. */
interface RowGroupView {
  rows: number;
  minId: string | null;
  maxId: string | null;
}

interface Stats {
  filesInManifest: number;
  filesRead: number;
  bytesRead: number;
  rowsRead: number;
  rowGroupsRead: number;
  rowGroupsSkipped: number;
}

describe("time-travel reads over a month of hourly partitions", () => {
  let group: string;
  let store: OfflineStoreView;
  let firstWave: ManifestFileView[];
  /** After the first wave's write times, before the backfill's. */
  let knownBeforeBackfill: string;
  let objectSizes: Map<string, { size: number }>;
  /** Each manifest file's row groups, by key. */
  let rowGroups: Map<string, RowGroupView[]>;

  beforeAll(async () => {
    group = await createOfflineGroup("eng-io", [
      { name: "v", type: "Integral" },
      { name: "note", type: "String" },
    ]);
    for (let day = 0; day < DAYS; day++) {
      for (const [i, id] of IDS.entries()) await put(group, { id, ts: eventAt(day, 10 + 10 * i), v: day * 10 + i, note: `day ${day}` });
    }
    firstWave = (await drained(group, DAYS * IDS.length)).files;
    knownBeforeBackfill = new Date(Date.now()).toISOString();
    await sleep(5);
    for (const id of IDS) await put(group, { id, ts: eventAt(BACKFILL_DAY, 40), v: -1, note: "backfill" });
    store = await drained(group, DAYS * IDS.length + IDS.length);
    objectSizes = await listObjects(store.prefix);
    rowGroups = await rowGroupsOf(store);
  }, 60_000);

  /** Reads every file's footer with DuckDB. How rows fall into files depends on how the outbox happened to batch them. */
  async function rowGroupsOf(store: OfflineStoreView): Promise<Map<string, RowGroupView[]>> {
    const dir = tempDir("offline-io-");
    const duck = await openDuck();
    try {
      const copy = await download(store, join(dir.path, "store"));
      const keyOf = new Map(store.files.map((f) => [copy.paths.get(f.uri)!, f.key]));
      const groups = new Map<string, RowGroupView[]>(store.files.map((f) => [f.key, []]));
      const metadata = await duck.all(
        `SELECT file_name, row_group_num_rows, stats_min_value, stats_max_value FROM parquet_metadata([${copy.files.map(sqlString).join(", ")}]) WHERE path_in_schema = 'id' ORDER BY file_name, row_group_id`,
      );
      for (const row of metadata) {
        groups.get(keyOf.get(String(row.file_name))!)!.push({ rows: Number(row.row_group_num_rows), minId: (row.stats_min_value as string | null) ?? null, maxId: (row.stats_max_value as string | null) ?? null });
      }
      return groups;
    } finally {
      duck.close();
      dir.remove();
    }
  }

  /**
   * The stats a read of exactly these manifest files must report, for a read
   * of these identifiers. Files this small are fetched whole; of their row
   * groups, those whose identifier statistics rule out every identifier asked
   * for are skipped.
   */
  function statsOf(files: readonly ManifestFileView[], identifiers: readonly string[] = IDS): Stats {
    for (const f of files) expect(objectSizes.get(f.key)?.size, `${f.key}: the object's size in the bucket`).toBe(f.byteSize);
    const groups = files.flatMap((f) => rowGroups.get(f.key)!);
    const mayHold = (g: RowGroupView) => g.minId === null || g.maxId === null || identifiers.some((id) => g.minId! <= id && id <= g.maxId!);
    const read = groups.filter(mayHold);
    expect(groups.reduce((n, g) => n + g.rows, 0), "the footers count the manifest's rows").toBe(files.reduce((n, f) => n + f.rowCount, 0));
    return {
      filesInManifest: store.files.length,
      filesRead: files.length,
      bytesRead: files.reduce((n, f) => n + f.byteSize, 0),
      rowsRead: read.reduce((n, g) => n + g.rows, 0),
      rowGroupsRead: read.length,
      rowGroupsSkipped: groups.length - read.length,
    };
  }

  const inHour = (day: number) => store.files.filter((f) => f.partition === partitionOf(hourStart(day)));

  it("keeps a month of history in 32 hourly partitions, each file within its hour", () => {
    expect(store.stats.partitions).toBe(DAYS);
    expect(store.files.length).toBeGreaterThanOrEqual(DAYS + 1);
    expect(new Set(store.files.map((f) => f.key))).toEqual(new Set(objectSizes.keys()));
    for (const f of store.files) {
      expect(partitionOf(Date.parse(f.minEventTime))).toBe(f.partition);
      expect(partitionOf(Date.parse(f.maxEventTime))).toBe(f.partition);
    }
    expect(inHour(BACKFILL_DAY).length).toBeGreaterThan(firstWave.filter((f) => f.partition === partitionOf(hourStart(BACKFILL_DAY))).length);
  });

  it("reads one hour's history of a record from that hour's files only, and reports their exact sizes", async () => {
    for (const day of [0, 13, BACKFILL_DAY, DAYS - 1]) {
      const from = new Date(hourStart(day)).toISOString();
      const to = new Date(hourStart(day) + HOUR - 1).toISOString();
      const res = await call("GET", `/feature-groups/${group}/records/k2/history?from=${from}&to=${to}`);
      expect(res.stats, `history of day ${day}`).toEqual(statsOf(inHour(day), ["k2"]));
      expect(res.versions.map((v: { record: { ts: string } }) => v.record.ts)).toEqual(day === BACKFILL_DAY ? [eventAt(day, 20), eventAt(day, 40)] : [eventAt(day, 20)]);
    }
  });

  it("builds a dataset for entities within one hour, with a lookback inside that hour, from that hour's files only", async () => {
    for (const day of [5, BACKFILL_DAY]) {
      const end = hourStart(day) + 59 * 60_000;
      const res = await call("POST", "/datasets", {
        entities: { rows: IDS.map((id, i) => ({ id, at: new Date(end - i * 60_000).toISOString() })) },
        timestampColumn: "at",
        featureGroups: [{ name: group, features: ["v"], entityColumn: "id", prefix: "f_", lookback: { unit: "Minutes", value: 56 } }],
        eventTimeOnly: true,
      });
      expect(res.stats, `dataset of day ${day}`).toEqual(statsOf(inHour(day)));
      expect(res.rows.map((r: { f_v: number }) => r.f_v)).toEqual(day === BACKFILL_DAY ? [-1, -1, -1] : IDS.map((_, i) => day * 10 + i));
    }
  });

  it("answers as-of in the first hour from that hour's files only: no older partition exists to hold a version", async () => {
    const res = await call("GET", `/feature-groups/${group}/as-of?eventTime=${new Date(hourStart(0) + HOUR - 1).toISOString()}`);
    expect(res.stats).toEqual(statsOf(inHour(0)));
    expect(res.records.map((r: { record: { v: number } }) => r.record.v)).toEqual([0, 1, 2]);
  });

  it("answers as-of in a later hour from the files that may hold a version then: earlier event times only, and write times up to knownAt", async () => {
    const eventTime = new Date(hourStart(BACKFILL_DAY) + HOUR - 1).toISOString();
    // The latest version as of E can sit in any earlier hour, so every partition up to E is read; later ones never are.
    const upToE = store.files.filter((f) => Date.parse(f.minEventTime) <= Date.parse(eventTime));
    expect(upToE.length).toBeLessThan(store.files.length);
    const now = await call("GET", `/feature-groups/${group}/as-of?eventTime=${eventTime}`);
    expect(now.stats).toEqual(statsOf(upToE));
    expect(now.records.map((r: { record: { v: number } }) => r.record.v)).toEqual([-1, -1, -1]);
    // Known before the backfill: its files are not read at all.
    const before = await call("GET", `/feature-groups/${group}/as-of?eventTime=${eventTime}&knownAt=${knownBeforeBackfill}`);
    const firstWaveUpToE = upToE.filter((f) => Date.parse(f.minWriteTime) <= Date.parse(knownBeforeBackfill));
    expect(firstWaveUpToE.length).toBe(upToE.length - (inHour(BACKFILL_DAY).length - firstWave.filter((f) => f.partition === partitionOf(hourStart(BACKFILL_DAY))).length));
    expect(before.stats).toEqual(statsOf(firstWaveUpToE));
    expect(before.records.map((r: { record: { v: number } }) => r.record.v)).toEqual(IDS.map((_, i) => BACKFILL_DAY * 10 + i));
  });
});
