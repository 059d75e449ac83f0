import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { JobMessage } from "../../src/datasets/dataset-jobs";
import { partKey } from "../../src/datasets/job-result";
import queryWorker from "../../src/query/worker";
import { api, at, createGroup, putRecord } from "../helpers";

/**
 * A dataset job message whose step throws is delivered again by the queue;
 * one that fails on every retry reaches the dead-letter queue, whose
 * consumer in the query worker marks the job failed and deletes its parts,
 * so it never stays "running" forever. (Jobs are queued here but run in
 * the sdk project, where the query worker consumes its queue.)
 */
async function deadLetter(jobId: string): Promise<void> {
  const batch = createMessageBatch<JobMessage>("feature-store-dataset-jobs-dlq", [{ id: `dl-${jobId}`, timestamp: new Date(), attempts: 1, body: { jobId } }]);
  await queryWorker.queue(batch, env);
}

async function queuedJob(): Promise<string> {
  const group = await createGroup({ offline: true, shardCount: 1 });
  expect((await putRecord(group, { id: "u1", ts: at(1), age: 1 })).status).toBe(200);
  const res = await api("POST", "/v1/datasets", { entities: { rows: [{ user: "u1", at: at(10) }] }, timestampColumn: "at", featureGroups: [{ name: group, entityColumn: "user" }], async: true });
  expect(res.status, res.text).toBe(202);
  return res.body.id as string;
}

describe("dataset jobs whose step is dead-lettered", () => {
  it("are retried by the queue when a step throws, while the rest of the batch is acknowledged", async () => {
    const [broken, sound] = [await queuedJob(), await queuedJob()];
    // A spec no step can read: every delivery throws.
    await env.DB.prepare("UPDATE dataset_jobs SET spec = 'not json' WHERE id = ?").bind(broken).run();
    const batch = createMessageBatch<JobMessage>("feature-store-dataset-jobs", [
      { id: "broken", timestamp: new Date(), attempts: 1, body: { jobId: broken } },
      { id: "sound", timestamp: new Date(), attempts: 1, body: { jobId: sound } },
    ]);
    const ctx = createExecutionContext();
    await queryWorker.queue(batch, env);
    const outcome = await getQueueResult(batch, ctx);
    expect(outcome.retryMessages.map((m) => m.msgId)).toEqual(["broken"]);
    expect(outcome.explicitAcks).toEqual(["sound"]);
    expect((await api("GET", `/v1/datasets/jobs/${broken}`)).body.state, "still the queue's to retry").toBe("queued");
    expect((await api("GET", `/v1/datasets/jobs/${sound}`)).body.state).toBe("succeeded");
  });

  it("are marked failed with a clear error, and their parts deleted", async () => {
    const id = await queuedJob();
    expect((await api("GET", `/v1/datasets/jobs/${id}`)).body.state).toBe("queued");
    await env.OFFLINE_BUCKET.put(partKey(id, 0, 0), "a part of a step that kept failing after it");
    await deadLetter(id);
    expect((await env.OFFLINE_BUCKET.list({ prefix: `dataset-jobs/${id}/parts/` })).objects).toEqual([]);
    const job = await api("GET", `/v1/datasets/jobs/${id}`);
    expect(job.body).toMatchObject({ state: "failed", error: expect.stringContaining("failed on every retry") });
    expect(job.body.finishedAt).toBeDefined();
    const result = await api("GET", `/v1/datasets/jobs/${id}/result`);
    expect(result.status).toBe(409);
  });

  it("leave a job that already finished as it is", async () => {
    const id = await queuedJob();
    await env.DB.prepare("UPDATE dataset_jobs SET state = 'succeeded' WHERE id = ?").bind(id).run();
    await deadLetter(id);
    expect((await api("GET", `/v1/datasets/jobs/${id}`)).body.state).toBe("succeeded");
  });
});
