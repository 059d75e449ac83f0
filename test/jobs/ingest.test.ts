import { env } from "cloudflare:test";
import { Float64, Int64, Table, Utf8 } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { DEFAULT_SLICE_POLICY, findJob, runJobNow, runJobsTick } from "../../src/jobs";
import { orThrow } from "../../src/failure";
import { storeContext } from "../../src/service";
import { columnVector } from "../../src/offline/arrow-columns";
import { decodeParquet, tableToParquet } from "../../src/offline/parquet";
import { api, at, createGroup, getRecord, putRecord } from "../helpers";
import { manifest, offlineRows, settle } from "../offline/support";
import { createJob, cronTick, getJob, land, latestRun, ndjson, runs, tickWhenDue } from "./support";

/** A Parquet file with only feature columns, as an upstream tool would write it. */
function parquetOf(rows: { id: string; ts: string; age: number | bigint; score: number }[]): Uint8Array {
  return tableToParquet(
    new Table({
      id: columnVector(new Utf8(), rows.map((r) => r.id)),
      ts: columnVector(new Utf8(), rows.map((r) => r.ts)),
      age: columnVector(new Int64(), rows.map((r) => BigInt(r.age))),
      score: columnVector(new Float64(), rows.map((r) => r.score)),
    }),
  );
}

const job = (group: string, prefix: string, format: string, mode: string) => createJob({ featureGroup: group, source: { prefix }, format, mode, schedule: "* * * * *" });

describe("ingest jobs on the cron trigger", () => {
  it("online: loads every NDJSON file under the prefix, with the event-time rule, and reports the run", async () => {
    const group = await createGroup({ shardCount: 2 });
    const prefix = `${group}/drop/`;
    await land(`${prefix}a.ndjson`, ndjson([{ id: "u1", ts: at(10), age: 1 }, { id: "u2", ts: at(10), age: 2 }]));
    await land(`${prefix}b.ndjson`, ndjson([{ id: "u1", ts: at(20), age: 11 }, { id: "u2", ts: at(5), age: 99 }]));
    await land(`elsewhere/${group}.ndjson`, ndjson([{ id: "u3", ts: at(1), age: 3 }]));
    const { id } = await job(group, prefix, "ndjson", "online");

    const run = await tickWhenDue(id);
    expect(run).toMatchObject({ trigger: "schedule", status: "succeeded", files: { ingested: 2, failed: 0 }, rows: { read: 4, written: 4, invalid: 0, olderEventTimeIgnored: 1 } });
    expect(run.fileReports.map((f: { key: string; status: string }) => [f.key, f.status])).toEqual([
      [`${prefix}a.ndjson`, "ingested"],
      [`${prefix}b.ndjson`, "ingested"],
    ]);
    expect(run.finishedAt).not.toBeNull();
    expect((await getRecord(group, "u1")).body.record).toEqual({ id: "u1", ts: at(20), age: 11 });
    expect((await getRecord(group, "u2")).body.record).toEqual({ id: "u2", ts: at(10), age: 2 });
    expect((await getRecord(group, "u3")).status).toBe(404);
    expect((await getJob(id)).activeRunId).toBeNull();
  });

  it("never ingests the same object version twice, and takes a re-uploaded object as new", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    const prefix = `${group}/`;
    await land(`${prefix}one.ndjson`, ndjson([{ id: "a", ts: at(1), age: 1 }]));
    const { id } = await job(group, prefix, "ndjson", "offline");
    expect(await tickWhenDue(id)).toMatchObject({ status: "succeeded", files: { ingested: 1 }, rows: { written: 1 } });

    // Nothing new: the next tick's run takes no file and writes nothing.
    const second = await tickWhenDue(id);
    expect(second).toMatchObject({ status: "succeeded", files: { ingested: 0, failed: 0 }, rows: { read: 0 } });
    expect(await runs(id)).toHaveLength(2);
    // "Run now" does not take it either.
    const manual = await api("POST", `/v1/jobs/${id}/run`);
    expect(manual.status).toBe(202);
    expect(manual.body).toMatchObject({ trigger: "manual", status: "succeeded", files: { ingested: 0 } });
    expect((await offlineRows(group)).map((r) => r.age)).toEqual([1n]);

    // Same key, new content: a new version (new etag), ingested once more.
    await land(`${prefix}one.ndjson`, ndjson([{ id: "a", ts: at(2), age: 2 }]));
    expect(await tickWhenDue(id)).toMatchObject({ files: { ingested: 1 }, rows: { written: 1 } });
    expect((await offlineRows(group)).map((r) => r.age).sort()).toEqual([1n, 2n]);
  });

  it("starts one run and takes each file once when two cron invocations overlap", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    const prefix = `${group}/twice/`;
    for (let i = 0; i < 3; i++) await land(`${prefix}${i}.ndjson`, ndjson([{ id: `t${i}`, ts: at(i), age: i }]));
    const { id, nextRunAt } = await job(group, prefix, "ndjson", "offline");
    await Promise.all([cronTick(Date.parse(nextRunAt!)), cronTick(Date.parse(nextRunAt!))]);
    const all = await runs(id);
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ status: "succeeded", files: { ingested: 3 } });
    expect((await offlineRows(group)).map((r) => r.id).sort()).toEqual(["t0", "t1", "t2"]);
  });

  it("both: CSV rows reach the online store and, through the outbox, the offline store", async () => {
    const group = await createGroup({ offline: true, shardCount: 2, features: [{ name: "age", type: "Integral" }, { name: "tags", type: "String", collection: { type: "List" } }] });
    const prefix = `${group}/csv/`;
    await land(`${prefix}rows.csv`, `id,ts,age,tags\nc1,${at(1)},7,"[""x"",""y""]"\nc2,${at(2)},,\n`);
    const { id } = await job(group, prefix, "csv", "both");
    expect(await tickWhenDue(id)).toMatchObject({ status: "succeeded", rows: { read: 2, written: 2 } });
    expect((await getRecord(group, "c1")).body.record).toEqual({ id: "c1", ts: at(1), age: 7, tags: ["x", "y"] });
    expect((await getRecord(group, "c2")).body.record).toEqual({ id: "c2", ts: at(2) });
    await settle(group, 2);
    expect((await offlineRows(group)).map((r) => r.id).sort()).toEqual(["c1", "c2"]);
  }, 30_000);

  it("offline: Parquet lands in the offline store as files the readers cannot tell from the consumer's, and nothing goes online", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    const prefix = `${group}/pq/`;
    await land(
      `${prefix}part-0.parquet`,
      parquetOf([
        { id: "p1", ts: "2026-03-01T10:15:00Z", age: 9_007_199_254_740_993n, score: 0.5 },
        { id: "p2", ts: "2026-03-01T11:00:00Z", age: 2, score: -1 },
      ]),
    );
    const { id } = await job(group, prefix, "parquet", "offline");
    expect(await tickWhenDue(id)).toMatchObject({ status: "succeeded", rows: { read: 2, written: 2 } });
    expect((await getRecord(group, "p1")).status).toBe(404);

    // One file per hourly partition, registered in the manifest.
    const files = await manifest(group);
    expect(files.map((f) => [f.partition, f.row_count, f.state])).toEqual(
      expect.arrayContaining([
        ["year=2026/month=03/day=01/hour=10", 1, "active"],
        ["year=2026/month=03/day=01/hour=11", 1, "active"],
      ]),
    );
    // The time-travel reader sees the rows, int64 exact.
    const asOf = await api("GET", `/v1/feature-groups/${group}/as-of`);
    expect(asOf.body.records.map((r: { record: unknown }) => r.record)).toEqual([
      { id: "p1", ts: "2026-03-01T10:15:00Z", age: "9007199254740993", score: 0.5 },
      { id: "p2", ts: "2026-03-01T11:00:00Z", age: 2, score: -1 },
    ]);

    // Same columns and types as a file the queue consumer wrote for the same group.
    await putRecord(group, { id: "q", ts: "2026-03-02T00:00:00Z", age: 1 }, { targetStores: ["offline"] });
    await settle(group, 3);
    const schemas = await Promise.all(
      (await manifest(group)).map(async (f) => {
        const table = decodeParquet(new Uint8Array(await (await env.OFFLINE_BUCKET.get(f.key))!.arrayBuffer()));
        return table.schema.fields.map((field) => `${field.name}:${String(field.type)}`).join(",");
      }),
    );
    expect(new Set(schemas).size).toBe(1);
    expect(schemas[0]).toContain("write_time:Timestamp<MILLISECOND, UTC>");
  }, 30_000);

  it("fails a malformed file with a row and field report and writes nothing of it; the good file still lands", async () => {
    const group = await createGroup({ shardCount: 1 });
    const prefix = `${group}/mixed/`;
    await land(`${prefix}1-good.ndjson`, ndjson([{ id: "g1", ts: at(1), age: 1 }]));
    await land(`${prefix}2-bad.ndjson`, ndjson([{ id: "b1", ts: at(1), age: 1 }, { id: "b2", ts: "yesterday", age: 2 }, { id: "b3", ts: at(1), agee: 3 }]) + "{oops\n");
    const { id } = await job(group, prefix, "ndjson", "online");
    const run = await tickWhenDue(id);
    expect(run).toMatchObject({ status: "partial", files: { ingested: 1, failed: 1 }, rows: { read: 5, written: 1, invalid: 3 } });
    const bad = run.fileReports[0];
    expect(bad).toMatchObject({ key: `${prefix}2-bad.ndjson`, status: "failed", error: { code: "invalid_rows", message: "file: 3 of 4 rows are invalid; nothing was written" } });
    expect(bad.error.problems).toEqual([
      expect.objectContaining({ row: 2, field: "ts" }),
      expect.objectContaining({ row: 3, field: "agee", code: "unknown_feature" }),
      expect.objectContaining({ row: 4, field: "row" }),
    ]);
    expect((await getRecord(group, "b1")).status).toBe(404);
    expect((await getRecord(group, "g1")).status).toBe(200);
  });

  it("reads a landed file as the bulk route reads the same body: byte order mark dropped, blank lines counted in row numbers, JSON shape limits applied", async () => {
    const group = await createGroup({ shardCount: 1, features: [{ name: "age", type: "Integral" }, { name: "tags", type: "String", collection: { type: "List" } }] });
    const prefix = `${group}/uniform-`;
    const deep = `${"[".repeat(40)}${"]".repeat(40)}`;
    await land(`${prefix}ndjson/1.ndjson`, `\ufeff${JSON.stringify({ id: "n1", ts: at(1), age: 1 })}\n\n{"id":"n2","ts":"${at(1)}","tags":${deep}}\n`);
    await land(`${prefix}csv/2.csv`, `\ufeffid,ts,age\n\nc1,${at(1)},1\n\nc2,${at(1)},2,3\n`);
    const { id } = await job(group, `${prefix}ndjson/`, "ndjson", "online");
    const ndjsonRun = await tickWhenDue(id);
    expect(ndjsonRun.fileReports[0].error.problems).toEqual([{ row: 3, code: "invalid_field", field: "row", rule: "must not nest arrays and objects more than 32 levels deep" }]);
    const csvJob = await job(group, `${prefix}csv/`, "csv", "online");
    const csvRun = await tickWhenDue(csvJob.id);
    expect(csvRun.fileReports[0].error.problems).toEqual([{ row: 5, code: "invalid_field", field: "row", rule: "must have 3 fields, has 4" }]);
    expect((await getRecord(group, "n1")).status).toBe(404);
    expect((await getRecord(group, "c1")).status).toBe(404);
  });

  it("marks a run failed when its only file cannot be read at all", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    const prefix = `${group}/broken/`;
    await land(`${prefix}not.parquet`, "this is not parquet");
    const { id } = await job(group, prefix, "parquet", "offline");
    const run = await tickWhenDue(id);
    expect(run).toMatchObject({ status: "failed", files: { ingested: 0, failed: 1 } });
    expect(run.fileReports[0].error).toMatchObject({ code: "invalid_field", field: "file" });
    expect(run.fileReports[0].error.message).toMatch(/^file: must be a valid Parquet file/);
    expect(await manifest(group)).toEqual([]);
  });

  it("fails files over the size or row limit with the limit named, and writes nothing of them", async () => {
    const group = await createGroup({ shardCount: 1 });
    const prefix = `${group}/big/`;
    await land(`${prefix}huge.ndjson`, new Uint8Array(16 * 1024 * 1024 + 1));
    await land(`${prefix}long.ndjson`, "{}\n".repeat(100_001));
    const { id } = await job(group, prefix, "ndjson", "online");
    const run = await tickWhenDue(id);
    expect(run).toMatchObject({ status: "failed", files: { ingested: 0, failed: 2 } });
    const errors = Object.fromEntries(run.fileReports.map((f: { key: string; error: unknown }) => [f.key, f.error]));
    expect(errors[`${prefix}huge.ndjson`]).toMatchObject({ code: "payload_too_large", field: "file", message: "file: must be at most 16777216 bytes" });
    expect(errors[`${prefix}long.ndjson`]).toMatchObject({ code: "invalid_field", field: "file", message: "file: must hold at most 100000 rows; split it" });
  });

  it("does not run a paused job on the cron trigger, and runs it again once resumed", async () => {
    const group = await createGroup({ shardCount: 1 });
    const prefix = `${group}/p/`;
    await land(`${prefix}x.ndjson`, ndjson([{ id: "x", ts: at(1), age: 1 }]));
    const { id, nextRunAt } = await job(group, prefix, "ndjson", "online");
    await api("POST", `/v1/jobs/${id}/pause`);
    await cronTick(Date.parse(nextRunAt!) + 10 * 60_000);
    expect(await runs(id)).toEqual([]);
    expect((await getRecord(group, "x")).status).toBe(404);

    await api("POST", `/v1/jobs/${id}/resume`);
    expect(await tickWhenDue(id)).toMatchObject({ status: "succeeded", files: { ingested: 1 } });
    expect((await getRecord(group, "x")).status).toBe(200);
  });

  it("runs a job only when its schedule is due", async () => {
    const group = await createGroup({ shardCount: 1 });
    const prefix = `${group}/s/`;
    await land(`${prefix}x.ndjson`, ndjson([{ id: "x", ts: at(1), age: 1 }]));
    const { id, nextRunAt } = await createJob({ featureGroup: group, source: { prefix }, format: "ndjson", mode: "online", schedule: "0 3 * * *" });
    await cronTick(Date.parse(nextRunAt!) - 60_000);
    expect(await runs(id)).toEqual([]);
    await cronTick(Date.parse(nextRunAt!));
    expect(await runs(id)).toHaveLength(1);
    expect(Date.parse((await getJob(id)).nextRunAt) - Date.parse(nextRunAt!)).toBe(86_400_000);
  });

  it("continues a run too large for one slice on the following ticks, each file once", async () => {
    const group = await createGroup({ shardCount: 1 });
    const prefix = `${group}/many/`;
    for (let i = 0; i < 5; i++) await land(`${prefix}${i}.ndjson`, ndjson([{ id: `m${i}`, ts: at(i), age: i }]));
    const { id } = await createJob({ featureGroup: group, source: { prefix }, format: "ndjson", mode: "online", schedule: null });
    const policy = { ...DEFAULT_SLICE_POLICY, filesPerSlice: 2 };

    const started = orThrow(await runJobNow(env, orThrow(await findJob(storeContext(env, Date.now()), id)), policy));
    expect(started).toMatchObject({ status: "running", filesIngested: 2 });
    // A second "run now" while one is in progress is refused.
    const again = await api("POST", `/v1/jobs/${id}/run`);
    expect(again.status).toBe(409);
    expect(again.body.error.message).toContain(started.id);

    await runJobsTick(env, Date.now(), policy);
    expect(await latestRun(id)).toMatchObject({ status: "running", files: { ingested: 4 } });
    await runJobsTick(env, Date.now(), policy);
    const done = await latestRun(id);
    expect(done).toMatchObject({ id: started.id, status: "succeeded", files: { ingested: 5, failed: 0 }, rows: { written: 5 } });
    const ledger = await env.DB.prepare("SELECT object_key, run_id FROM job_files WHERE job_id = ?").bind(id).all<{ object_key: string; run_id: string }>();
    expect(ledger.results).toHaveLength(5);
    for (let i = 0; i < 5; i++) expect((await getRecord(group, `m${i}`)).body.record.age).toBe(i);
    expect((await getJob(id)).activeRunId).toBeNull();
  });

  it("reports a file whose ingestion was interrupted as failed and never takes it again", async () => {
    const group = await createGroup({ shardCount: 1 });
    const prefix = `${group}/crash/`;
    await land(`${prefix}a.ndjson`, ndjson([{ id: "a", ts: at(1), age: 1 }]));
    const { id } = await createJob({ featureGroup: group, source: { prefix }, format: "ndjson", mode: "online", schedule: null });
    // An invocation started a run, claimed the file, and died: its lease has lapsed.
    const runId = crypto.randomUUID();
    const object = (await env.INGEST_BUCKET.head(`${prefix}a.ndjson`))!;
    await env.DB.batch([
      env.DB.prepare("UPDATE jobs SET active_run_id = ? WHERE id = ?").bind(runId, id),
      env.DB.prepare("INSERT INTO job_runs (id, job_id, trigger, status, started_at, lease_until) VALUES (?, ?, 'manual', 'running', ?, ?)").bind(runId, id, Date.now() - 60_000, Date.now() - 1),
      env.DB.prepare("INSERT INTO job_files (job_id, object_key, etag, run_id, state, size, claimed_at) VALUES (?, ?, ?, ?, 'claimed', ?, ?)").bind(id, object.key, object.etag, runId, object.size, Date.now() - 60_000),
    ]);
    await cronTick(Date.now());
    const run = await latestRun(id);
    expect(run).toMatchObject({ id: runId, status: "failed", files: { ingested: 0, failed: 1 } });
    expect(run.fileReports[0].error).toMatchObject({ code: "interrupted" });
    expect((await getRecord(group, "a")).status).toBe(404);
  });
});
