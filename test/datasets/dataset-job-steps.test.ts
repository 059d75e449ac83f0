import { env } from "cloudflare:test";
import { tableFromArrays, tableFromIPC, type Table } from "apache-arrow";
import { beforeAll, describe, expect, it } from "vitest";
import { catalogDb } from "../../src/catalog";
import { dataKeyLookup } from "../../src/crypto/offline-objects";
import { decodeParquet } from "../../src/offline/parquet";
import type { JobDeps, JobMessage } from "../../src/datasets/dataset-jobs";
import { resumeStalledJob, runJobMessage, STALLED_MS } from "../../src/datasets/job-run";
import { parquetStream } from "../../src/offline/parquet-stream";
import { api, createGroup, putRecord } from "../helpers";
import { settle } from "../offline/support";

/**
 * A job runs one queue message per entity chunk, and a step joins at most a
 * step's worth of result cells, so a wide chunk takes several steps, each
 * writing one part. Whatever the steps and whatever order the chunks run
 * in, the result is the one-step job's; progress counts a chunk only when
 * its last step is done; a message delivered again (its progress update
 * lost, or two deliveries at once) writes the same part and counts once.
 * Messages are run by hand here (the query worker's consumer runs in the
 * sdk project; what they send stays queued).
 */
const FUTURE = "2099-01-01T00:00:00Z";
const ENTITY_ROWS = [
  { user: "u1", at: FUTURE, label: 1 },
  { user: "u2", at: FUTURE, label: 0 },
  { user: "u9", at: FUTURE, label: 1 },
  { user: "u3", at: FUTURE, label: 0 },
  { user: "u1", at: FUTURE, label: 0 },
  { user: "u4", at: FUTURE, label: 1 },
];

function jobDeps(extra: Partial<JobDeps> = {}): JobDeps & { sent: JobMessage[] } {
  const db = catalogDb(env.DB);
  const sent: JobMessage[] = [];
  const queue: JobDeps["queue"] = {
    send: (message, options) => (sent.push(message), env.DATASET_JOBS.send(message, options)),
    sendBatch: (messages, options) => (sent.push(...[...messages].map((m) => m.body)), env.DATASET_JOBS.sendBatch(messages, options)),
  };
  return { db, bucket: env.OFFLINE_BUCKET, keys: dataKeyLookup(db, env), queue, sent, ...extra };
}

const run = (deps: JobDeps, jobId: string, chunk?: number) => runJobMessage(deps, chunk === undefined ? { jobId } : { jobId, chunk });

async function createJob(group: string, format: string, entities: object = { rows: ENTITY_ROWS }): Promise<string> {
  const res = await api("POST", "/v1/datasets", { async: true, format, entities, timestampColumn: "at", mostRecent: 3, includeDuplicates: true, featureGroups: [{ name: group, entityColumn: "user", prefix: "" }] });
  expect(res.status, res.text).toBe(202);
  return res.body.id as string;
}

/** A job of the entity rows sent inline, run to the end in one message: what every other way must produce. */
async function referenceJob(group: string, format: string): Promise<string> {
  const id = await createJob(group, format);
  await run(jobDeps(), id);
  return id;
}

/** The entity rows as an uploaded Parquet object in row groups of `perGroup` rows: one chunk each. */
async function uploadEntities(rows: readonly Record<string, unknown>[], perGroup: number): Promise<string> {
  const name = `entities-${crypto.randomUUID()}.parquet`;
  const table = tableFromArrays({ user: rows.map((r) => String(r.user)), at: rows.map((r) => String(r.at)), label: Float64Array.from(rows, (r) => Number(r.label)) });
  const stream = await parquetStream((async function* () { yield table; })(), { rowsPerGroup: perGroup, dataset: true });
  const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  // As PUT /v1/uploads/{name} stores it (test/datasets/uploads.test.ts covers that route).
  await env.OFFLINE_BUCKET.put(`uploads/${name}`, bytes);
  return name;
}

const job = async (id: string) => (await api("GET", `/v1/datasets/jobs/${id}`)).body;

/** The job's part objects still in R2. */
const partsLeft = async (id: string) => (await env.OFFLINE_BUCKET.list({ prefix: `dataset-jobs/${id}/parts/` })).objects;

async function result(id: string): Promise<Uint8Array> {
  const res = await api("GET", `/v1/datasets/jobs/${id}/result`);
  expect(res.status, res.text).toBe(200);
  return new TextEncoder().encode(res.text);
}

async function resultBytes(id: string): Promise<Uint8Array> {
  const object = await env.OFFLINE_BUCKET.get((await job(id)).result.key);
  return new Uint8Array(await object!.arrayBuffer());
}

const rowsOf = (table: Table) => JSON.stringify(table.toArray(), (_, v) => (typeof v === "bigint" ? v.toString() : v));

const JOB_PROGRESS = "parts_written, chunks_done, entities_processed, files_read, bytes_read, rows_written, knowledge_excluded_rows, knowledge_emptied_rows, entity_types";

/** The progress a step moves (the job's totals and its chunk's row), as it is now: putting it back undoes the step's update (its part stays). */
async function progressOf(id: string, chunk: number): Promise<{ job: Record<string, unknown>; chunk: Record<string, unknown> | null }> {
  return {
    job: (await env.DB.prepare(`SELECT ${JOB_PROGRESS} FROM dataset_jobs WHERE id = ?`).bind(id).first<Record<string, unknown>>())!,
    chunk: await env.DB.prepare("SELECT * FROM dataset_job_chunks WHERE job_id = ? AND chunk = ?").bind(id, chunk).first<Record<string, unknown>>(),
  };
}

async function restoreProgress(id: string, chunk: number, saved: Awaited<ReturnType<typeof progressOf>>): Promise<void> {
  const columns = Object.keys(saved.job);
  await env.DB.prepare(`UPDATE dataset_jobs SET ${columns.map((c, i) => `${c} = ?${i + 2}`).join(", ")} WHERE id = ?1`).bind(id, ...columns.map((c) => saved.job[c])).run();
  await env.DB.prepare("DELETE FROM dataset_job_chunks WHERE job_id = ? AND chunk = ?").bind(id, chunk).run();
  if (saved.chunk) {
    const names = Object.keys(saved.chunk);
    await env.DB.prepare(`INSERT INTO dataset_job_chunks (${names.join(", ")}) VALUES (${names.map(() => "?").join(", ")})`).bind(...names.map((c) => saved.chunk![c])).run();
  }
}

describe("dataset job steps", () => {
  let group: string;

  beforeAll(async () => {
    group = await createGroup({ offline: true, shardCount: 1 });
    for (const id of ["u1", "u2", "u3", "u4"]) for (const day of [1, 2, 3]) expect((await putRecord(group, { id, ts: `2026-01-0${day}T00:00:00Z`, age: day, city: `${id}-${day}` })).status).toBe(200);
    // A duplicate write of one event time: includeDuplicates keeps both.
    expect((await putRecord(group, { id: "u2", ts: "2026-01-03T00:00:00Z", age: 33 })).status).toBe(200);
    await settle(group, 13);
  }, 60_000);

  it("splits a chunk into steps of at most stepCells result cells; every format's result equals the one-step job's", async () => {
    for (const format of ["ndjson", "csv", "parquet", "arrow"]) {
      const whole = await createJob(group, format);
      const split = await createJob(group, format);
      await run(jobDeps(), whole);
      // One cell a step: one entity row a step.
      await run(jobDeps({ stepCells: 1 }), split);
      const [a, b] = [await job(whole), await job(split)];
      expect(a, format).toMatchObject({ state: "succeeded", progress: { chunksTotal: 1, chunksDone: 1, stepsDone: 1, entitiesProcessed: ENTITY_ROWS.length } });
      expect(b, format).toMatchObject({ state: "succeeded", progress: { chunksTotal: 1, chunksDone: 1, stepsDone: ENTITY_ROWS.length, entitiesProcessed: ENTITY_ROWS.length, rowsWritten: a.progress.rowsWritten } });
      // u1 twice (3 versions each), u2 with its duplicate (3 of 4), u3, u4: 3 each; u9 no versions, one empty row.
      expect(a.progress.rowsWritten, format).toBe(16);
      if (format === "parquet") expect(rowsOf(decodeParquet(await resultBytes(split)))).toBe(rowsOf(decodeParquet(await resultBytes(whole))));
      else if (format === "arrow") expect(rowsOf(tableFromIPC(await resultBytes(split)))).toBe(rowsOf(tableFromIPC(await resultBytes(whole))));
      else expect(new TextDecoder().decode(await result(split)), format).toBe(new TextDecoder().decode(await result(whole)));
      expect(await partsLeft(split)).toEqual([]);
    }
  }, 120_000);

  it("counts a chunk only after its last step, and counts a step delivered again once", async () => {
    const reference = await referenceJob(group, "ndjson");
    const id = await createJob(group, "ndjson");
    const oneStep = jobDeps({ stepCells: 1, stepBudgetMs: 0 });
    await run(oneStep, id); // sizes the entity list, then takes chunk 0's first step
    expect((await job(id)).progress).toMatchObject({ chunksTotal: 1, chunksDone: 0, stepsDone: 1, entitiesProcessed: 1, rowsWritten: 3 });
    await run(oneStep, id);
    expect((await job(id)).progress).toMatchObject({ chunksTotal: 1, chunksDone: 0, stepsDone: 2, entitiesProcessed: 2, rowsWritten: 6 });
    expect(oneStep.sent).toEqual([{ jobId: id }, { jobId: id }]);

    // The third step puts its part, then its progress update is lost: the message comes again.
    const before = await progressOf(id, 0);
    await run(oneStep, id);
    await restoreProgress(id, 0, before);
    await run(oneStep, id);
    expect((await job(id)).progress).toMatchObject({ chunksDone: 0, stepsDone: 3, entitiesProcessed: 3, rowsWritten: 7 });

    // Two deliveries at once: each step counts once, whichever delivery took it (one may go on to the next step).
    await Promise.all([run(oneStep, id), run(oneStep, id)]);
    const racing = (await job(id)).progress;
    expect([4, 5]).toContain(racing.stepsDone);
    expect(racing).toMatchObject({ chunksDone: 0, entitiesProcessed: racing.stepsDone, rowsWritten: [0, 3, 6, 7, 10, 13, 16][racing.stepsDone] });

    await run(jobDeps({ stepCells: 1 }), id);
    expect(await job(id)).toMatchObject({ state: "succeeded", progress: { chunksTotal: 1, chunksDone: 1, stepsDone: ENTITY_ROWS.length, entitiesProcessed: ENTITY_ROWS.length, rowsWritten: 16 } });
    expect(new TextDecoder().decode(await result(id))).toBe(new TextDecoder().decode(await result(reference)));
  }, 120_000);

  it("runs chunks as separate messages in any order, each counted once; the last one done hands the result to the job's message", async () => {
    const reference = await referenceJob(group, "parquet");
    // Row groups of 2 rows: three chunks.
    const id = await createJob(group, "parquet", { object: await uploadEntities(ENTITY_ROWS, 2) });
    const deps = jobDeps();
    await run(deps, id);
    expect((await job(id)).progress).toMatchObject({ chunksTotal: 3, chunksDone: 1, stepsDone: 1, entitiesProcessed: 2 });
    expect(deps.sent, "chunk 0 done, one message for each later chunk").toEqual([
      { jobId: id, chunk: 1 },
      { jobId: id, chunk: 2 },
    ]);
    // The job's message again (redelivered): the chunks are queued already, nothing is sent twice.
    await run(deps, id);
    expect(deps.sent).toHaveLength(2);

    await run(deps, id, 2);
    expect((await job(id)).progress).toMatchObject({ chunksDone: 2, stepsDone: 2, entitiesProcessed: 4 });
    expect(deps.sent, "chunk 1 is not done: no result yet").toHaveLength(2);
    // Chunk 1 delivered twice at once: counted once; the job's message is sent when every chunk is done.
    await Promise.all([run(deps, id, 1), run(deps, id, 1)]);
    const progress = (await job(id)).progress;
    expect(progress).toMatchObject({ chunksTotal: 3, chunksDone: 3, stepsDone: 3, entitiesProcessed: ENTITY_ROWS.length, rowsWritten: 16 });
    expect(deps.sent.slice(2)).toContainEqual({ jobId: id });
    expect((await job(id)).state).toBe("running");

    await run(deps, id);
    const done = await job(id);
    expect(done).toMatchObject({ state: "succeeded", progress });
    expect(rowsOf(decodeParquet(await resultBytes(id)))).toBe(rowsOf(decodeParquet(await resultBytes(reference))));
    expect(await partsLeft(id)).toEqual([]);
  }, 120_000);

  it("fails the job when a later chunk holds a bad row, naming the row by its place in the whole list, and deletes the parts written", async () => {
    const rows = ENTITY_ROWS.map((r, i) => (i === 5 ? { ...r, at: "not a time" } : r));
    const id = await createJob(group, "ndjson", { object: await uploadEntities(rows, 2) });
    const deps = jobDeps();
    await run(deps, id);
    await run(deps, id, 1);
    expect(await partsLeft(id)).toHaveLength(2);
    await run(deps, id, 2);
    const failed = await job(id);
    expect(failed.state).toBe("failed");
    expect(failed.error).toContain("entities[5].at");
    expect(await partsLeft(id)).toEqual([]);
  }, 120_000);

  it("restarts a job that was running when migration 0012 (parts per chunk) was applied; its older parts go when it ends", async () => {
    const reference = await referenceJob(group, "ndjson");
    const id = await createJob(group, "ndjson");
    // Half way under the old layout: one chain of parts numbered by step.
    await env.DB.prepare("UPDATE dataset_jobs SET state = 'running', chunks_total = 1, parts_written = 2, entities_processed = 2, rows_written = 6 WHERE id = ?").bind(id).run();
    await env.OFFLINE_BUCKET.put(`dataset-jobs/${id}/parts/000000`, "an older part");
    const migration = env.TEST_MIGRATIONS.find((m) => m.name.startsWith("0012_"))!;
    const restart = migration.queries.find((q) => q.includes("UPDATE `dataset_jobs`"))!;
    await env.DB.prepare(restart).run();
    expect(await job(id)).toMatchObject({ state: "queued", progress: { chunksTotal: null, stepsDone: 0, entitiesProcessed: 0, rowsWritten: 0 } });
    // The message queued before the deploy runs it from the start.
    await run(jobDeps(), id);
    expect(await job(id)).toMatchObject({ state: "succeeded", progress: { chunksTotal: 1, chunksDone: 1, entitiesProcessed: ENTITY_ROWS.length, rowsWritten: 16 } });
    expect(new TextDecoder().decode(await result(id))).toBe(new TextDecoder().decode(await result(reference)));
    expect(await partsLeft(id)).toEqual([]);
  }, 60_000);

  it("sends a stalled job's lost messages again, once, and the job then finishes", async () => {
    const reference = await referenceJob(group, "ndjson");
    const id = await createJob(group, "ndjson", { object: await uploadEntities(ENTITY_ROWS, 2) });
    await run(jobDeps(), id); // chunk 0, then chunks 1 and 2 queued
    await run(jobDeps(), id, 2);
    // Chunk 1's message is lost (a local queue restarted).
    const resend = jobDeps();
    expect(await resumeStalledJob(resend, id), "moved just now: not stalled").toBe(false);
    await env.DB.prepare("UPDATE dataset_jobs SET updated_at = ? WHERE id = ?").bind(Date.now() - STALLED_MS - 1_000, id).run();
    expect(await resumeStalledJob(resend, id)).toBe(true);
    expect(resend.sent).toEqual([{ jobId: id }, { jobId: id, chunk: 1 }]);
    expect(await resumeStalledJob(jobDeps(), id), "a second poller finds it moved").toBe(false);

    const last = jobDeps();
    for (const message of resend.sent) await runJobMessage(last, message);
    expect(last.sent, "chunk 1 was the last: the job's message goes once more").toEqual([{ jobId: id }]);
    await runJobMessage(last, { jobId: id });
    expect(await job(id)).toMatchObject({ state: "succeeded", progress: { chunksDone: 3, entitiesProcessed: ENTITY_ROWS.length, rowsWritten: 16 } });
    expect(new TextDecoder().decode(await result(id))).toBe(new TextDecoder().decode(await result(reference)));
  }, 60_000);

  it("GET /v1/datasets/jobs/{id} resends a stalled job's messages through the query worker, and leaves a moving job alone", async () => {
    const moving = await createJob(group, "ndjson");
    const stalled = await createJob(group, "ndjson");
    const before = (await job(moving)).updatedAt;
    const longAgo = Date.now() - STALLED_MS - 60_000;
    await env.DB.prepare("UPDATE dataset_jobs SET updated_at = ? WHERE id = ?").bind(longAgo, stalled).run();
    const polled = await job(stalled);
    expect(polled.state).toBe("queued");
    expect(Date.parse(polled.updatedAt), "the resend moved it").toBeGreaterThan(longAgo + STALLED_MS);
    expect((await job(moving)).updatedAt).toBe(before);
  }, 60_000);

  it("the every-minute cron's sweep (QueryService.resumeStalledDatasetJobs) resumes a stalled job nobody polls", async () => {
    const moving = await createJob(group, "ndjson");
    const stalled = await createJob(group, "ndjson");
    // The oldest of all: a sweep takes stalled jobs oldest first (jobs other files queued here are never consumed, and may stall too).
    await env.DB.prepare("UPDATE dataset_jobs SET updated_at = 1 WHERE id = ?").bind(stalled).run();
    const updatedAt = async (id: string) => env.DB.prepare("SELECT updated_at FROM dataset_jobs WHERE id = ?").bind(id).first<number>("updated_at");
    const before = await updatedAt(moving);
    expect(await env.QUERY.resumeStalledDatasetJobs()).toBeGreaterThanOrEqual(1);
    const resumedAt = await updatedAt(stalled);
    expect(resumedAt).toBeGreaterThan(Date.now() - STALLED_MS);
    expect(await updatedAt(moving)).toBe(before);
    await env.QUERY.resumeStalledDatasetJobs();
    expect(await updatedAt(stalled), "a resumed job is not stalled any more").toBe(resumedAt);
  }, 60_000);

  it("leaves a step whose R2 write failed for the queue to deliver again, changing nothing; the next delivery finishes the job", async () => {
    const reference = await referenceJob(group, "ndjson");
    const id = await createJob(group, "ndjson");
    let failed = false;
    const flaky = new Proxy(env.OFFLINE_BUCKET, {
      get(target, property) {
        if (property === "put" && !failed) {
          return async () => {
            failed = true;
            throw new Error("injected: R2 put failed");
          };
        }
        const value = Reflect.get(target, property);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    await expect(run(jobDeps({ bucket: flaky }), id)).rejects.toThrow("injected: R2 put failed");
    expect(await job(id)).toMatchObject({ state: "running", progress: { chunksTotal: 1, chunksDone: 0, stepsDone: 0, rowsWritten: 0 } });
    await run(jobDeps(), id);
    expect((await job(id)).state).toBe("succeeded");
    expect(new TextDecoder().decode(await result(id))).toBe(new TextDecoder().decode(await result(reference)));
  }, 60_000);
});
