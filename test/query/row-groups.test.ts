// Row-group streaming of offline files, with every R2 read counted: files
// written here straight into the offline bucket (parquet-wasm, the worker's
// own column layout, several row groups sorted by identifier) and registered
// in the D1 manifest as the offline consumer registers its files. A narrow
// query must fetch the footer and only the row groups its identifier and
// time statistics allow; a file far over the old 24 MiB whole-file limit is
// joined with no single read larger than one row group.
import { env } from "cloudflare:workers";
import { tableToIPC } from "apache-arrow";
import { Compression, Table as WasmTable, writeParquet, WriterPropertiesBuilder } from "parquet-wasm/esm";
import { describe, expect, it } from "vitest";
import { catalogDb } from "../../src/catalog";
import { registerFiles } from "../../src/offline/manifest";
import { ensureParquetWasm, offlineTable, type OfflineRowValues } from "../../src/offline/parquet";
import { buildDataset } from "../../src/datasets/dataset";
import { indexVersions, knowledgeExcludes, versionsFor, type JoinOptions } from "../../src/datasets/pit-join";
import { asOfQuery, historyQuery } from "../../src/query/service";
import { eventKeyFromEpochMs, type FeatureDefinition } from "../../src/records";
import { api, createGroup } from "../helpers";
import { dataKeyLookup } from "../../src/crypto/offline-objects";
import { FooterMemo } from "../../src/parquet";

const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;

interface Read {
  key: string;
  offset?: number;
  length: number;
}

/** The real offline bucket, with every get recorded (key, range, bytes). */
function countingBucket(bucket: R2Bucket): { bucket: R2Bucket; reads: Read[] } {
  const reads: Read[] = [];
  const counted = {
    head: (key: string) => bucket.head(key),
    get: async (key: string, options?: R2GetOptions) => {
      const object = await bucket.get(key, options);
      if (object) {
        const range = options?.range as { offset?: number; length?: number } | undefined;
        reads.push({ key, ...(range?.offset !== undefined ? { offset: range.offset } : {}), length: range?.length ?? object.size });
      }
      return object;
    },
  };
  return { bucket: counted as unknown as R2Bucket, reads };
}

/** Random base64 text of `length` characters: notes that compress little, so files get big. */
function noise(length: number): string {
  const parts: string[] = [];
  const chunk = new Uint8Array(48 * 1024);
  for (let made = 0; made < length; made += (chunk.length / 3) * 4) {
    parts.push(crypto.getRandomValues(chunk).toBase64());
  }
  return parts.join("").slice(0, length);
}

const idOf = (i: number) => `k${String(i).padStart(6, "0")}`;

/**
 * A group whose offline store is one file of `ids` identifiers × `versions`
 * versions (version j of id i: event time T0 + j hours, v = i·versions + j,
 * a random note of noteBytes), sorted by identifier, in row groups of
 * rowGroupRows rows, registered in the manifest.
 */
async function groupWithFile(ids: number, versions: number, noteBytes: number, rowGroupRows: number) {
  const group = await createGroup({ offline: true, online: true, features: [{ name: "v", type: "Integral" }, { name: "note", type: "String" }] });
  const { generation } = (await api("GET", `/v1/feature-groups/${group}`)).body as { generation: string };
  const features: FeatureDefinition[] = [
    { name: "id", type: "String" },
    { name: "ts", type: "String" },
    { name: "v", type: "Integral" },
    { name: "note", type: "String" },
  ];
  const writeTime = Date.now() - 60_000;
  const notes = noise(ids * versions * noteBytes);
  const rows: OfflineRowValues[] = [];
  for (let i = 0; i < ids; i++) {
    for (let j = 0; j < versions; j++) {
      const n = i * versions + j;
      rows.push({
        values: { id: idOf(i), ts: new Date(T0 + j * HOUR).toISOString(), v: n, note: notes.slice(n * noteBytes, (n + 1) * noteBytes) },
        writeTimeMs: writeTime,
        apiInvocationTimeMs: writeTime,
        isDeleted: false,
        writeSequence: writeTime * 1000 + n,
        availableTimeMs: writeTime,
      });
    }
  }
  ensureParquetWasm();
  const properties = new WriterPropertiesBuilder().setCompression(Compression.ZSTD).setMaxRowGroupSize(rowGroupRows).build();
  const bytes = writeParquet(WasmTable.fromIPCStream(tableToIPC(offlineTable(features, rows), "stream")), properties);
  const key = `offline-store/test-row-groups/${generation}/part-0.parquet`;
  await env.OFFLINE_BUCKET.put(key, bytes);
  await registerFiles(
    catalogDb(env.DB),
    [
      {
        key,
        generation,
        featureGroup: group,
        partition: "year=2026/month=01/day=01/hour=00",
        rowCount: rows.length,
        byteSize: bytes.byteLength,
        minEventTime: T0,
        maxEventTime: T0 + (versions - 1) * HOUR,
        minWriteTime: writeTime,
        maxWriteTime: writeTime,
        schemaVersion: 1,
      },
    ],
    [],
    Date.now(),
  );
  return { group, generation, key, fileBytes: bytes.byteLength, rowGroups: Math.ceil(rows.length / rowGroupRows) };
}

describe("row-group streaming", () => {
  it("reads the footer and only the row group holding a wanted identifier", async () => {
    const ids = 800;
    const versions = 10;
    const { group, generation, key, fileBytes, rowGroups } = await groupWithFile(ids, versions, 128, 1000);
    expect(rowGroups).toBe(8);
    const { bucket, reads } = countingBucket(env.OFFLINE_BUCKET);
    const deps = { db: catalogDb(env.DB), bucket, keys: dataKeyLookup(catalogDb(env.DB), env) };
    const wanted = idOf(450); // rows 4500-4509: row group 4
    const result = await asOfQuery(deps, { featureGroup: group, generation, recordIdentifiers: [wanted], limit: 10 });
    if (!result.ok) throw new Error(JSON.stringify(result.failure));
    expect(result.value.records.map((r) => [r.recordIdentifier, r.record.v])).toEqual([[wanted, 450 * versions + versions - 1]]);
    expect(result.value.stats).toMatchObject({ filesRead: 1, rowGroupsRead: 1, rowGroupsSkipped: 7, rowsRead: 1000 });
    // Two ranged reads: the footer, then one row group; together a fraction of the file.
    expect(reads).toHaveLength(2);
    expect(reads.every((r) => r.key === key && r.offset !== undefined)).toBe(true);
    expect(reads[0]!.offset! + reads[0]!.length).toBe(fileBytes);
    const total = reads.reduce((n, r) => n + r.length, 0);
    expect(result.value.stats.bytesRead).toBe(total);
    expect(total).toBeLessThan(fileBytes / 4);

    // A history of one identifier reads the same single row group.
    reads.length = 0;
    const history = await historyQuery(deps, { featureGroup: group, generation, recordIdentifier: idOf(799) });
    if (!history.ok) throw new Error(JSON.stringify(history.failure));
    expect(history.value.versions.map((v) => v.record.v)).toEqual(Array.from({ length: versions }, (_, j) => 799 * versions + j));
    expect(history.value.stats).toMatchObject({ rowGroupsRead: 1, rowGroupsSkipped: 7 });
    expect(reads).toHaveLength(2);

    // Event-time statistics prune too: an as-of before the first version reads no row group.
    reads.length = 0;
    const before = await asOfQuery(deps, { featureGroup: group, generation, eventKeyAtMost: eventKeyFromEpochMs(T0 - HOUR), limit: 10 });
    if (!before.ok) throw new Error(JSON.stringify(before.failure));
    expect(before.value.records).toEqual([]);
    expect(before.value.stats.filesRead).toBe(0); // the manifest's event range already excludes the file
  }, 60_000);

  it("joins a dataset over a file larger than the old 24 MiB limit, no read larger than one row group", async () => {
    const ids = 2000;
    const versions = 100;
    const { group, generation, fileBytes, rowGroups } = await groupWithFile(ids, versions, 180, 20_000);
    expect(fileBytes).toBeGreaterThan(24 * 1024 * 1024);
    const { bucket, reads } = countingBucket(env.OFFLINE_BUCKET);
    // Entity rows over every identifier, each between two versions.
    const entities = Array.from({ length: ids }, (_, i) => {
      const j = (i * 37) % versions;
      const timeMs = T0 + j * HOUR + HOUR / 2;
      return { row: { user: idOf(i), n: i }, recordIdentifiers: [idOf(i)], eventKey: eventKeyFromEpochMs(timeMs), timeMs, expected: i * versions + j };
    });
    const result = await buildDataset(
      { db: catalogDb(env.DB), bucket, keys: dataKeyLookup(catalogDb(env.DB), env) },
      {
        groups: [{ featureGroup: group, generation, features: ["v"], prefix: "f_" }],
        entities: entities.map(({ expected: _expected, ...e }) => e),
        options: { eventTimeOnly: true, includeDeleted: false, includeDuplicates: false, mostRecent: 1 },
      },
      ["user", "n"],
    );
    if (!result.ok) throw new Error(JSON.stringify(result.failure));
    expect(result.value.rows.map((r) => (JSON.parse(r) as { f_v: number }).f_v)).toEqual(entities.map((e) => e.expected));
    expect(result.value.stats).toMatchObject({ filesRead: 1, rowGroupsRead: rowGroups, rowsRead: ids * versions });
    expect(Math.max(...reads.map((r) => r.length))).toBeLessThan(fileBytes / (rowGroups / 2));
  }, 120_000);

  it("reads a file's footer once across the steps of one job invocation (they share a footer memo)", async () => {
    const ids = 800;
    const versions = 10;
    const { group, generation, key, fileBytes } = await groupWithFile(ids, versions, 128, 1000);
    const { bucket, reads } = countingBucket(env.OFFLINE_BUCKET);
    const deps = { db: catalogDb(env.DB), bucket, keys: dataKeyLookup(catalogDb(env.DB), env), footers: new FooterMemo() };
    const step = (id: number) =>
      buildDataset(
        deps,
        {
          groups: [{ featureGroup: group, generation, features: ["v"], prefix: "f_" }],
          entities: [{ row: { user: idOf(id) }, recordIdentifiers: [idOf(id)], eventKey: eventKeyFromEpochMs(T0 + versions * HOUR), timeMs: T0 + versions * HOUR }],
          options: { eventTimeOnly: true, includeDeleted: false, includeDuplicates: false, mostRecent: 1 },
        },
        ["user"],
      );
    const tailReads = () => reads.filter((r) => r.key === key && r.offset! + r.length === fileBytes).length;
    const first = await step(100);
    const second = await step(700);
    if (!first.ok || !second.ok) throw new Error("dataset failed");
    expect([first.value.rows, second.value.rows].map((rows) => (JSON.parse(rows[0]!) as { f_v: number }).f_v)).toEqual([100 * versions + versions - 1, 700 * versions + versions - 1]);
    expect(tailReads()).toBe(1);
    expect(second.value.stats).toMatchObject({ rowGroupsRead: 1, rowGroupsSkipped: 7 });
    expect(second.value.stats.bytesRead).toBe(reads.at(-1)!.length); // only its row group
  }, 60_000);
});

/** A small seeded generator (mulberry32): the same workload on every run. */
function seeded(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n) };
}

describe("row-group streaming equals the whole-file join", () => {
  it("gives, for every option set, exactly the rows of versionsFor over every version, over unsorted multi-row-group files with ties, backfills and deletions", async () => {
    const rnd = seeded(20261125);
    const group = await createGroup({ offline: true, online: true, features: [{ name: "v", type: "Integral" }] });
    const { generation } = (await api("GET", `/v1/feature-groups/${group}`)).body as { generation: string };
    const features: FeatureDefinition[] = [
      { name: "id", type: "String" },
      { name: "ts", type: "String" },
      { name: "v", type: "Integral" },
    ];
    const ids = Array.from({ length: 40 }, (_, i) => `e${i}`);
    const hourAt = (h: number) => T0 + h * HOUR;
    const files: OfflineRowValues[][] = [[], [], []];
    let n = 0;
    for (const file of files) {
      for (let r = 0; r < 400; r++) {
        const eventHour = rnd.int(48);
        // Written at the event hour or later (backfills), sometimes in the same millisecond as another row.
        const write = hourAt(eventHour + rnd.int(3) * 6);
        const eventMs = hourAt(eventHour) + rnd.int(2) * 1000;
        // Stamps that disagree with write_time (and sometimes tie); knowledge at the write, at the event time, or an hour after it.
        const knowledge = rnd.int(3);
        file.push({
          values: { id: ids[rnd.int(ids.length)]!, ts: new Date(eventMs).toISOString(), v: n++ },
          writeTimeMs: write,
          apiInvocationTimeMs: write - rnd.int(2),
          isDeleted: rnd.next() < 0.1,
          writeSequence: (T0 + rnd.int(50)) * 1000 + rnd.int(3),
          availableTimeMs: knowledge === 0 ? write : knowledge === 1 ? eventMs : eventMs + HOUR,
        });
      }
    }
    ensureParquetWasm();
    const db = catalogDb(env.DB);
    for (const [f, rows] of files.entries()) {
      // One file sorted by identifier, one by write time (both let statistics prune), one in arrival order.
      const ordered =
        f === 0 ? [...rows].sort((a, b) => (String(a.values.id) < String(b.values.id) ? -1 : 1)) : f === 1 ? [...rows].sort((a, b) => a.writeTimeMs - b.writeTimeMs) : rows;
      // Writer properties are consumed by each write: one per file.
      const properties = new WriterPropertiesBuilder().setCompression(Compression.ZSTD).setMaxRowGroupSize(37).build();
      // The last file as written before write_sequence and available_time existed: its rows fall back to write_time.
      const table = offlineTable(features, ordered);
      const legacy = f === 2 ? table.select(table.schema.fields.map((field) => field.name).filter((name) => name !== "write_sequence" && name !== "available_time")) : table;
      const bytes = writeParquet(WasmTable.fromIPCStream(tableToIPC(legacy, "stream")), properties);
      const key = `offline-store/test-row-groups/${generation}/random-${f}.parquet`;
      await env.OFFLINE_BUCKET.put(key, bytes);
      const events = rows.map((r) => Date.parse(String(r.values.ts)));
      await registerFiles(
        db,
        [
          {
            key,
            generation,
            featureGroup: group,
            partition: `p${f}`,
            rowCount: rows.length,
            byteSize: bytes.byteLength,
            minEventTime: Math.min(...events),
            maxEventTime: Math.max(...events),
            minWriteTime: Math.min(...rows.map((r) => r.writeTimeMs)),
            maxWriteTime: Math.max(...rows.map((r) => r.writeTimeMs)),
            schemaVersion: 1,
          },
        ],
        [],
        Date.now(),
      );
    }
    // The reference: every version of every file, joined by the pure versionsFor.
    const all = indexVersions(
      files.flatMap((rows, f) =>
        rows.map((r) => ({
          recordIdentifier: String(r.values.id),
          eventKey: eventKeyFromEpochMs(Date.parse(String(r.values.ts))),
          writeTimeMs: r.writeTimeMs,
          apiInvocationTimeMs: r.apiInvocationTimeMs,
          writeSequence: f === 2 ? r.writeTimeMs * 1000 : r.writeSequence,
          availableTimeMs: f === 2 ? r.writeTimeMs : r.availableTimeMs,
          isDeleted: r.isDeleted,
          values: r.values,
        })),
      ),
    );
    const entities = Array.from({ length: 150 }, (_, i) => {
      // The first half early (hours 0-11), where time statistics rule out most row groups of the time-sorted file.
      const timeMs = hourAt(i < 75 ? rnd.int(12) : rnd.int(60)) + rnd.int(3) * 1000;
      // A few identifiers nobody wrote.
      const id = i % 25 === 0 ? `missing${i}` : ids[rnd.int(ids.length)]!;
      return { row: { who: id, i }, recordIdentifiers: [id], eventKey: eventKeyFromEpochMs(timeMs), timeMs };
    });
    const optionSets: { name: string; options: JoinOptions }[] = [
      { name: "leak-free", options: { eventTimeOnly: false, includeDeleted: false, includeDuplicates: false, mostRecent: 1 } },
      { name: "event-time-only", options: { eventTimeOnly: true, includeDeleted: false, includeDuplicates: false, mostRecent: 1 } },
      { name: "lookback 6 h", options: { eventTimeOnly: false, includeDeleted: false, includeDuplicates: false, mostRecent: 1, lookbackMs: 6 * HOUR } },
      { name: "includeDeleted", options: { eventTimeOnly: true, includeDeleted: true, includeDuplicates: false, mostRecent: 1 } },
      { name: "mostRecent 3", options: { eventTimeOnly: false, includeDeleted: false, includeDuplicates: false, mostRecent: 3 } },
      { name: "includeDuplicates + includeDeleted", options: { eventTimeOnly: true, includeDeleted: true, includeDuplicates: true, mostRecent: 4 } },
    ];
    const runs = optionSets.flatMap((set) => [
      { ...set, entities },
      { ...set, name: `${set.name}, early entities only`, entities: entities.slice(0, 75) },
    ]);
    let skipped = 0;
    for (const { name, options, entities } of runs) {
      const { lookbackMs, ...rest } = options;
      const result = await buildDataset(
        { db, bucket: env.OFFLINE_BUCKET, keys: dataKeyLookup(db, env) },
        { groups: [{ featureGroup: group, generation, features: ["v"], prefix: "f_", ...(lookbackMs !== undefined ? { lookbackMs } : {}) }], entities, options: rest },
        ["who", "i"],
      );
      if (!result.ok) throw new Error(JSON.stringify(result.failure));
      const expected = entities.flatMap((e) => {
        const versions = versionsFor({ recordIdentifier: e.recordIdentifiers[0]!, eventKey: e.eventKey, timeMs: e.timeMs }, all.get(e.recordIdentifiers[0]!), options, eventKeyFromEpochMs);
        return Array.from({ length: Math.max(1, versions.length) }, (_, k) => ({
          ...e.row,
          f_v: versions[k]?.values.v ?? null,
          ...(options.includeDeleted ? { f_is_deleted: versions[k]?.isDeleted ?? null } : {}),
        }));
      });
      expect(result.value.rows.map((r) => JSON.parse(r) as unknown), name).toEqual(expected);
      // What knowledge time excluded, counted as the pure reference counts it.
      let excludedRows = 0;
      let emptiedRows = 0;
      for (const e of entities) {
        const row = { recordIdentifier: e.recordIdentifiers[0]!, eventKey: e.eventKey, timeMs: e.timeMs };
        if (!knowledgeExcludes(row, all.get(row.recordIdentifier), options, eventKeyFromEpochMs)) continue;
        excludedRows += 1;
        if (versionsFor(row, all.get(row.recordIdentifier), options, eventKeyFromEpochMs).length === 0) emptiedRows += 1;
      }
      expect(result.value.knowledgeTime, `${name}: knowledge-time report`).toEqual({ rowsWithExcludedVersions: excludedRows, rowsEmptied: emptiedRows });
      if (!options.eventTimeOnly) expect(excludedRows, `${name}: knowledge time excluded some versions`).toBeGreaterThan(0);
      expect(result.value.warnings.length > 0, `${name}: warning`).toBe(emptiedRows > 0);
      expect(expected.some((r) => r.f_v !== null), `${name}: some rows join`).toBe(true);
      expect(result.value.stats.rowGroupsRead, `${name}: reads row groups`).toBeGreaterThan(3);
      skipped += result.value.stats.rowGroupsSkipped;
    }
    expect(skipped, "statistics ruled some row groups out").toBeGreaterThan(0);
  }, 60_000);
});
