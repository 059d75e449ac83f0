import { dataKeyLookup } from "../../src/crypto/offline-objects";
import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { catalogDb } from "../../src/catalog";
import type { Env } from "../../src/env";
import worker from "../../src/index";
import { compactOffline, DEFAULT_COMPACTION_POLICY, type CompactionPolicy } from "../../src/offline/compaction";
import { exports } from "cloudflare:workers";
import { PART_BYTES, rowGroupRows } from "../../src/offline/parquet-stream";
import { memorySource, readFooter } from "../../src/parquet";
import { api, createGroup, putRecord, ROOT_AUTH } from "../helpers";
import { activeFiles, activeRows, captureDrain, deliver, isUtcMillisTimestamp, manifestFiles, multiset, readObject, type PlainRow } from "./harness";

/**
 * Compaction runs over the whole manifest of this file's storage, so every
 * test builds its small files right before it compacts, in partitions of
 * its own group.
 */

const POLICY: CompactionPolicy = { ...DEFAULT_COMPACTION_POLICY, minFiles: 4 };
const compact = (now: number, policy: CompactionPolicy = POLICY) => compactOffline({ db: catalogDb(env.DB), bucket: env.OFFLINE_BUCKET, location: env, now, keys: dataKeyLookup(catalogDb(env.DB), env) }, policy);

const FEATURES = [
  { name: "age", type: "Integral" },
  { name: "score", type: "Fractional" },
  { name: "city", type: "String" },
  { name: "tags", type: "String", collection: { type: "List" } },
  { name: "counts", type: "Integral", collection: { type: "List" } },
];

/** One drain of the group's shards delivered on its own: one new file per partition touched. */
async function landFile(group: string): Promise<void> {
  const messages = await captureDrain(group);
  expect(messages.length).toBeGreaterThan(0);
  const delivery = await deliver(messages);
  expect(delivery.result.explicitAcks).toHaveLength(messages.length);
}

const P = "2026-04-02T07";
const partitionP = "year=2026/month=04/day=02/hour=07";

describe("offline compaction", () => {
  it("merges a partition's small files into one, with exactly the same rows, and deletes the replaced objects only after the grace period", async () => {
    const group = await createGroup({ offline: true, shardCount: 2, features: FEATURES });
    await putRecord(group, { id: "a", ts: `${P}:00:00Z`, age: "9223372036854775807", score: -0.5, city: "Zürich", tags: ["x", "y"], counts: ["-9223372036854775808", 0] });
    await putRecord(group, { id: "b", ts: `${P}:01:00Z`, age: 1 });
    await putRecord(group, { id: "other-hour", ts: "2026-04-02T08:00:00Z", age: 5 });
    await landFile(group);
    await putRecord(group, { id: "a", ts: `${P}:02:00Z`, age: 2, tags: [] });
    await api("DELETE", `/v1/feature-groups/${group}/records/b?eventTime=${P}:03:00Z`);
    await landFile(group);
    await putRecord(group, { id: "c", ts: `${P}:04:00.123456789Z`, score: 1e-300, city: "" }, { targetStores: ["offline"] });
    await landFile(group);

    // Three small files: below the policy, nothing merges.
    const three = await activeFiles(group);
    expect(three.filter((f) => f.partition === partitionP)).toHaveLength(3);
    expect((await compact(Date.now())).merged.filter((m) => m.partition === partitionP)).toEqual([]);
    expect(await activeFiles(group)).toEqual(three);

    expect((await api("PATCH", `/v1/feature-groups/${group}/records/a`, { features: { city: "Basel" } })).status).toBe(200);
    expect((await api("DELETE", `/v1/feature-groups/${group}/records/a?eventTime=${P}:59:59.999Z&mode=hard`)).status).toBe(200);
    await landFile(group);

    const before = await manifestFiles(group);
    const inputs = before.filter((f) => f.partition === partitionP);
    const untouched = before.filter((f) => f.partition !== partitionP);
    expect(inputs).toHaveLength(4);
    expect(untouched).toHaveLength(1);
    const rowsBefore = await activeRows(group);
    expect(rowsBefore).toHaveLength(8);
    // Distinct write times: the files came from separate deliveries.
    expect(new Set(rowsBefore.map((r) => r.write_time)).size).toBeGreaterThan(1);

    const now = Date.now();
    const report = await compact(now);
    const merged = report.merged.filter((m) => m.partition === partitionP);
    expect(merged).toEqual([{ partition: partitionP, inputs: 4, rows: 7, key: expect.stringMatching(new RegExp(`/data/${partitionP}/compacted-[0-9a-f]{32}\\.parquet$`)) }]);

    const after = await manifestFiles(group);
    const replaced = after.filter((f) => f.state === "replaced");
    expect(replaced.map((f) => f.key).sort()).toEqual(inputs.map((f) => f.key).sort());
    for (const file of replaced) expect(file.replaced_at).toBe(now);
    const active = after.filter((f) => f.state === "active");
    expect(active.map((f) => f.key).sort()).toEqual([merged[0]!.key, untouched[0]!.key].sort());
    const compacted = active.find((f) => f.key === merged[0]!.key)!;
    expect(compacted).toMatchObject({
      partition: partitionP,
      row_count: 7,
      min_event_time: Math.min(...inputs.map((f) => f.min_event_time)),
      max_event_time: Math.max(...inputs.map((f) => f.max_event_time)),
      min_write_time: Math.min(...inputs.map((f) => f.min_write_time)),
      max_write_time: Math.max(...inputs.map((f) => f.max_write_time)),
    });

    // The multiset of rows, every column included, is unchanged.
    const rowsAfter = await activeRows(group);
    expect(multiset(rowsAfter)).toEqual(multiset(rowsBefore));
    const decoded = await readObject(merged[0]!.key);
    expect(isUtcMillisTimestamp(decoded.table, "write_time")).toBe(true);
    expect(isUtcMillisTimestamp(decoded.table, "api_invocation_time")).toBe(true);
    expect(decoded.rows.find((r) => r.id === "a" && r.age === "9223372036854775807")).toMatchObject({ counts: ["-9223372036854775808", 0], tags: ["x", "y"], city: "Zürich" });

    // Within the grace period, readers holding the old manifest still find every replaced object.
    const withinGrace = await compact(now + POLICY.graceMs - 60_000);
    expect(withinGrace.deletedReplaced).toBe(0);
    for (const file of inputs) expect(await env.OFFLINE_BUCKET.head(file.key), file.key).not.toBeNull();

    // Past it, they go, with their manifest rows; the merged file stays.
    const pastGrace = await compact(now + POLICY.graceMs + 60_000);
    expect(pastGrace.deletedReplaced).toBe(4);
    for (const file of inputs) expect(await env.OFFLINE_BUCKET.head(file.key), file.key).toBeNull();
    expect((await manifestFiles(group)).map((f) => [f.key, f.state]).sort()).toEqual(active.map((f) => [f.key, "active"]).sort());
    expect(multiset(await activeRows(group))).toEqual(multiset(rowsBefore));
  }, 30_000);

  it("keeps old rows and gains the new column when a feature is added between files", async () => {
    const group = await createGroup({ offline: true, shardCount: 1, features: [{ name: "age", type: "Integral" }] });
    await putRecord(group, { id: "old-1", ts: `${P}:00:00Z`, age: 1 });
    await putRecord(group, { id: "old-2", ts: `${P}:01:00Z`, age: 2 });
    await landFile(group);
    await putRecord(group, { id: "old-3", ts: `${P}:02:00Z`, age: 3 });
    await landFile(group);

    const added = await api("PATCH", `/v1/feature-groups/${group}`, { addFeatures: [{ name: "country", type: "String" }, { name: "visits", type: "Integral", collection: { type: "List" } }] });
    expect(added.status).toBe(200);

    await putRecord(group, { id: "new-1", ts: `${P}:03:00Z`, age: 4, country: "NO", visits: [1, 2] });
    await landFile(group);
    await putRecord(group, { id: "new-2", ts: `${P}:04:00Z`, country: "SE" });
    await putRecord(group, { id: "old-1", ts: `${P}:05:00Z`, age: 5 });
    await landFile(group);

    const files = await activeFiles(group);
    expect(files).toHaveLength(4);
    const columnsOf = async (key: string) => (await readObject(key)).columns;
    const schemas = await Promise.all(files.sort((a, b) => a.created_at - b.created_at || a.min_event_time - b.min_event_time).map((f) => columnsOf(f.key)));
    const base = ["id", "ts", "age", "write_time", "api_invocation_time", "is_deleted", "write_sequence", "available_time"];
    const grown = ["id", "ts", "age", "country", "visits", "write_time", "api_invocation_time", "is_deleted", "write_sequence", "available_time"];
    expect(schemas.filter((c) => JSON.stringify(c) === JSON.stringify(base))).toHaveLength(2);
    expect(schemas.filter((c) => JSON.stringify(c) === JSON.stringify(grown))).toHaveLength(2);
    const byColumns = new Map(files.map((f, i) => [f.key, schemas[i]!]));
    for (const f of files) expect(f.schema_version).toBe(byColumns.get(f.key)!.includes("country") ? 2 : 1);

    const withNulls = (rows: PlainRow[]) => rows.map((r) => ({ country: null, visits: null, ...r }));
    const rowsBefore = withNulls(await activeRows(group));
    const report = await compact(Date.now());
    expect(report.merged.filter((m) => m.partition === partitionP)).toEqual([expect.objectContaining({ inputs: 4, rows: 6 })]);

    const [merged] = await activeFiles(group);
    expect((await activeFiles(group))).toHaveLength(1);
    expect(merged!.schema_version).toBe(2);
    const decoded = await readObject(merged!.key);
    expect(decoded.columns).toEqual(grown);
    expect(multiset(decoded.rows)).toEqual(multiset(rowsBefore));
    const view = decoded.rows.map((r) => [r.id, r.age, r.country, r.visits]).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    expect(view).toEqual([
      ["new-1", 4, "NO", [1, 2]],
      ["new-2", null, "SE", null],
      ["old-1", 1, null, null],
      ["old-1", 5, null, null],
      ["old-2", 2, null, null],
      ["old-3", 3, null, null],
    ]);
  }, 30_000);

  it("runs compaction from the cron trigger", async () => {
    const group = await createGroup({ offline: true, shardCount: 1, features: [{ name: "age", type: "Integral" }] });
    for (let i = 0; i < 4; i++) {
      await putRecord(group, { id: `r${i}`, ts: `${P}:0${i}:00Z`, age: i });
      await landFile(group);
    }
    const before = await activeFiles(group);
    expect(before).toHaveLength(4);
    const rowsBefore = await activeRows(group);

    const ctx = createExecutionContext();
    const scheduled = worker.scheduled as ExportedHandlerScheduledHandler<Env>;
    await scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "*/15 * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);

    const after = await manifestFiles(group);
    expect(after.filter((f) => f.state === "replaced").map((f) => f.key).sort()).toEqual(before.map((f) => f.key).sort());
    const active = after.filter((f) => f.state === "active");
    expect(active).toHaveLength(1);
    expect(active[0]!.key).toMatch(/\/compacted-[0-9a-f]{32}\.parquet$/);
    expect(multiset(await activeRows(group))).toEqual(multiset(rowsBefore));
  }, 20_000);

  it("merges files larger than one upload part into a file of several row groups, in bounded pieces, with the same rows", async () => {
    const group = await createGroup({ offline: true, shardCount: 1, features: [{ name: "age", type: "Integral" }, { name: "city", type: "String" }] });
    // Random letters compress to ~60 %: ten files of 1,000 rows and ~1.7 MiB (each under one bulk chunk) merge into more than PART_BYTES (a multipart upload).
    const rowsPerFile = 1_000;
    const text = (n: number) => Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => String.fromCharCode(97 + (b % 26))).join("");
    for (let f = 0; f < 10; f++) {
      const body = Array.from({ length: rowsPerFile }, (_, i) => JSON.stringify({ id: `m${f}-${i}`, ts: `${P}:1${f % 10}:00Z`, age: i, city: text(Math.ceil((1.7 * 1024 * 1024) / rowsPerFile)) })).join("\n");
      const res = await exports.default.fetch(`http://fs.test/v1/feature-groups/${group}/records/batch?targetStores=offline`, { method: "POST", headers: { authorization: ROOT_AUTH, "content-type": "application/x-ndjson" }, body });
      expect(res.status).toBe(200);
    }
    const inputs = await activeFiles(group);
    expect(inputs).toHaveLength(10);
    const perRow = inputs.reduce((n, f) => n + f.byte_size, 0) / (10 * rowsPerFile);
    const rowsBefore = await activeRows(group);

    const merged = (await compact(Date.now())).merged.filter((m) => m.key.includes(`/${group}/`));
    expect(merged).toHaveLength(1);
    const [file] = await activeFiles(group);
    expect(file!.byte_size).toBeGreaterThan(PART_BYTES);
    const object = await env.OFFLINE_BUCKET.head(file!.key);
    expect(object?.size).toBe(file!.byte_size);
    const bytes = new Uint8Array(await (await env.OFFLINE_BUCKET.get(file!.key))!.arrayBuffer());
    const { layout } = await readFooter(memorySource("compaction.test.ts", bytes));
    const groups = layout.rowGroups.map((g) => g.numRows);
    expect(groups.reduce((a, b) => a + b, 0)).toBe(10 * rowsPerFile);
    // ~1 KB a row compressed: row groups of ROW_GROUP_TARGET_BYTES hold ~4,000 rows, not WRITE_ROW_GROUP_ROWS.
    expect(groups.length).toBeGreaterThan(1);
    expect(Math.max(...groups)).toBe(rowGroupRows(perRow));
    expect(multiset((await readObject(file!.key)).rows)).toEqual(multiset(rowsBefore));
  }, 120_000);

  it("sweeps rows a bulk request staged and left behind (a dead isolate) once they are older than the grace period", async () => {
    const key = "offline-store/_bulk/00000000-0000-4000-8000-000000000000/0.json";
    await env.OFFLINE_BUCKET.put(key, "{}");
    const now = Date.now();
    await compact(now + POLICY.graceMs - 60_000);
    expect(await env.OFFLINE_BUCKET.head(key)).not.toBeNull();
    const swept = await compact(now + POLICY.graceMs + 60_000);
    expect(swept.deletedOrphans).toBeGreaterThanOrEqual(1);
    expect(await env.OFFLINE_BUCKET.head(key)).toBeNull();
  });
});
