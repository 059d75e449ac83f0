import { env } from "cloudflare:test";
import { tableFromIPC, type Table } from "apache-arrow";
import { beforeAll, describe, expect, it } from "vitest";
import { catalogDb } from "../../src/catalog";
import { dataKeyLookup } from "../../src/crypto/offline-objects";
import { decodeParquet } from "../../src/offline/parquet";
import { runJobStep, type JobDeps, type JobMessage } from "../../src/datasets/dataset-jobs";
import { api, createGroup, putRecord } from "../helpers";
import { settle } from "../offline/support";

/**
 * A job step joins at most a step's worth of result cells, so a wide entity
 * chunk takes several steps, each writing one part. Whatever the steps, the
 * result is the one-step job's; progress counts a chunk only when its last
 * step is done; a step delivered again (its progress update lost, or two
 * deliveries at once) writes the same part and counts once. Steps are run
 * by hand here (the query worker's consumer runs in the sdk project; what
 * they send stays queued).
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
  return { db, bucket: env.OFFLINE_BUCKET, keys: dataKeyLookup(db, env), queue: { send: (message, options) => (sent.push(message), env.DATASET_JOBS.send(message, options)) }, sent, ...extra };
}

async function createJob(group: string, format: string): Promise<string> {
  const res = await api("POST", "/v1/datasets", { async: true, format, entities: { rows: ENTITY_ROWS }, timestampColumn: "at", mostRecent: 3, includeDuplicates: true, featureGroups: [{ name: group, entityColumn: "user", prefix: "" }] });
  expect(res.status, res.text).toBe(202);
  return res.body.id as string;
}

const job = async (id: string) => (await api("GET", `/v1/datasets/jobs/${id}`)).body;

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

/** The progress columns a step moves, as they are now: putting them back undoes the step's update (its part stays). */
async function progressRow(id: string): Promise<Record<string, number>> {
  const row = await env.DB.prepare("SELECT parts_written, chunks_done, chunk_rows_done, entities_processed, files_read, bytes_read, rows_written, knowledge_excluded_rows, knowledge_emptied_rows, entity_types FROM dataset_jobs WHERE id = ?").bind(id).first<Record<string, number>>();
  return row!;
}

async function restoreProgress(id: string, row: Record<string, number>): Promise<void> {
  const columns = Object.keys(row);
  await env.DB.prepare(`UPDATE dataset_jobs SET ${columns.map((c, i) => `${c} = ?${i + 2}`).join(", ")} WHERE id = ?1`).bind(id, ...columns.map((c) => row[c])).run();
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
      await runJobStep(jobDeps(), whole);
      // One cell a step: one entity row a step.
      await runJobStep(jobDeps({ stepCells: 1 }), split);
      const [a, b] = [await job(whole), await job(split)];
      expect(a, format).toMatchObject({ state: "succeeded", progress: { chunksTotal: 1, chunksDone: 1, stepsDone: 1, entitiesProcessed: ENTITY_ROWS.length } });
      expect(b, format).toMatchObject({ state: "succeeded", progress: { chunksTotal: 1, chunksDone: 1, stepsDone: ENTITY_ROWS.length, entitiesProcessed: ENTITY_ROWS.length, rowsWritten: a.progress.rowsWritten } });
      // u1 twice (3 versions each), u2 with its duplicate (3 of 4), u3, u4: 3 each; u9 no versions, one empty row.
      expect(a.progress.rowsWritten, format).toBe(16);
      if (format === "parquet") expect(rowsOf(decodeParquet(await resultBytes(split)))).toBe(rowsOf(decodeParquet(await resultBytes(whole))));
      else if (format === "arrow") expect(rowsOf(tableFromIPC(await resultBytes(split)))).toBe(rowsOf(tableFromIPC(await resultBytes(whole))));
      else expect(new TextDecoder().decode(await result(split)), format).toBe(new TextDecoder().decode(await result(whole)));
      expect((await env.OFFLINE_BUCKET.list({ prefix: `dataset-jobs/${split}/parts/` })).objects).toEqual([]);
    }
  }, 120_000);

  it("counts a chunk only after its last step, and counts a step delivered again once", async () => {
    const reference = await createJob(group, "ndjson");
    await runJobStep(jobDeps(), reference);
    const id = await createJob(group, "ndjson");
    const oneStep = jobDeps({ stepCells: 1, stepBudgetMs: 0 });
    await runJobStep(oneStep, id); // sizes the entity list
    await runJobStep(oneStep, id);
    expect((await job(id)).progress).toMatchObject({ chunksTotal: 1, chunksDone: 0, stepsDone: 1, entitiesProcessed: 1, rowsWritten: 3 });
    expect(oneStep.sent).toEqual([{ jobId: id }, { jobId: id }]);

    // The second step puts its part, then its progress update is lost: the message comes again.
    const before = await progressRow(id);
    await runJobStep(oneStep, id);
    await restoreProgress(id, before);
    await runJobStep(oneStep, id);
    expect((await job(id)).progress).toMatchObject({ chunksDone: 0, stepsDone: 2, entitiesProcessed: 2, rowsWritten: 6 });

    // Two deliveries at once: each step counts once, whichever delivery took it (one may go on to the next step).
    await Promise.all([runJobStep(oneStep, id), runJobStep(oneStep, id)]);
    const racing = (await job(id)).progress;
    expect([3, 4]).toContain(racing.stepsDone);
    expect(racing).toMatchObject({ chunksDone: 0, entitiesProcessed: racing.stepsDone, rowsWritten: [0, 3, 6, 7, 10, 13, 16][racing.stepsDone] });

    await runJobStep(jobDeps({ stepCells: 1 }), id);
    expect(await job(id)).toMatchObject({ state: "succeeded", progress: { chunksTotal: 1, chunksDone: 1, stepsDone: ENTITY_ROWS.length, entitiesProcessed: ENTITY_ROWS.length, rowsWritten: 16 } });
    expect(new TextDecoder().decode(await result(id))).toBe(new TextDecoder().decode(await result(reference)));
  }, 120_000);
});
