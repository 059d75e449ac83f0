import { createMessageBatch, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { JobMessage } from "../../src/datasets/dataset-jobs";
import { partKey } from "../../src/datasets/job-result";
import queryWorker from "../../src/query/worker";
import { api, at, createGroup, putRecord } from "../helpers";

/**
 * Cancelling a dataset job: a queued or running job ends "cancelled" and
 * never produces a result, and whatever parts a step had written are
 * deleted by whichever of the job's messages runs next. (Messages are
 * delivered by hand here: the query worker's consumer runs in the sdk
 * project.)
 */
async function runStep(jobId: string, chunk?: number): Promise<void> {
  const body: JobMessage = chunk === undefined ? { jobId } : { jobId, chunk };
  const batch = createMessageBatch<JobMessage>("feature-store-dataset-jobs", [{ id: `step-${jobId}-${Date.now()}`, timestamp: new Date(), attempts: 1, body }]);
  await queryWorker.queue(batch, env);
}

async function queuedJob(): Promise<string> {
  const group = await createGroup({ offline: true, shardCount: 1 });
  expect((await putRecord(group, { id: "u1", ts: at(1), age: 1 })).status).toBe(200);
  const res = await api("POST", "/v1/datasets", { entities: { rows: [{ user: "u1", at: at(10) }] }, timestampColumn: "at", featureGroups: [{ name: group, entityColumn: "user" }], async: true, format: "ndjson" });
  expect(res.status, res.text).toBe(202);
  return res.body.id as string;
}

describe("cancelling dataset jobs", () => {
  it("ends a queued job as cancelled; its step then writes no result", async () => {
    const id = await queuedJob();
    const cancel = await api("POST", `/v1/datasets/jobs/${id}/cancel`);
    expect(cancel.status, cancel.text).toBe(200);
    expect(cancel.body).toMatchObject({ id, state: "cancelled", error: "cancelled on request" });
    expect(cancel.body.finishedAt).toBeDefined();
    await runStep(id);
    const job = await api("GET", `/v1/datasets/jobs/${id}`);
    expect(job.body).toMatchObject({ state: "cancelled" });
    expect(job.body.result).toBeUndefined();
    const result = await api("GET", `/v1/datasets/jobs/${id}/result`);
    expect(result.status).toBe(409);
    expect(result.text).toContain("was cancelled");
    expect((await env.OFFLINE_BUCKET.list({ prefix: `dataset-jobs/${id}/` })).objects).toEqual([]);
  });

  it("deletes the parts a running job had written when one of its chunk messages finds it cancelled", async () => {
    const id = await queuedJob();
    // As chunks leave a two-chunk job: chunk 0 written and counted, chunk 1's part written just as the cancel landed.
    await env.DB.prepare("UPDATE dataset_jobs SET state = 'running', chunks_total = 2, chunks_done = 1 WHERE id = ?").bind(id).run();
    await env.OFFLINE_BUCKET.put(partKey(id, 0, 0), "part 0");
    await env.OFFLINE_BUCKET.put(partKey(id, 1, 0), "part 1");
    // A part as jobs named them before chunks ran in parallel (the migration restarts such jobs).
    await env.OFFLINE_BUCKET.put(`dataset-jobs/${id}/parts/000000`, "an older part");
    expect((await api("POST", `/v1/datasets/jobs/${id}/cancel`)).status).toBe(200);
    await runStep(id, 1);
    expect((await env.OFFLINE_BUCKET.list({ prefix: `dataset-jobs/${id}/` })).objects).toEqual([]);
    expect((await api("GET", `/v1/datasets/jobs/${id}`)).body).toMatchObject({ state: "cancelled", progress: { chunksDone: 1 } });
  });

  it("refuses a finished job with a 409 and leaves it as it is; an unknown job is a 404", async () => {
    const id = await queuedJob();
    await runStep(id);
    const done = await api("GET", `/v1/datasets/jobs/${id}`);
    expect(done.body.state).toBe("succeeded");
    const cancel = await api("POST", `/v1/datasets/jobs/${id}/cancel`);
    expect(cancel.status).toBe(409);
    expect(cancel.body.message ?? cancel.text).toContain("only a queued or running job can be cancelled");
    expect((await api("GET", `/v1/datasets/jobs/${id}`)).body).toMatchObject({ state: "succeeded", result: done.body.result });
    expect((await api("GET", `/v1/datasets/jobs/${id}/result`)).status).toBe(200);
    expect((await api("POST", `/v1/datasets/jobs/${crypto.randomUUID()}/cancel`)).status).toBe(404);
    expect((await api("POST", `/v1/datasets/jobs/not-a-job/cancel`)).status).toBe(404);
  });
});
