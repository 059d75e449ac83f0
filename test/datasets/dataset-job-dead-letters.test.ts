import { createMessageBatch, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { JobMessage } from "../../src/datasets/dataset-jobs";
import queryWorker from "../../src/query/worker";
import { api, at, createGroup, putRecord } from "../helpers";

/**
 * A dataset job whose step fails on every retry reaches the dead-letter
 * queue; the query worker's consumer of that queue marks the job failed, so
 * it never stays "running" forever. (Jobs are queued here but run in the
 * sdk project, where the query worker consumes its queue.)
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
  it("are marked failed with a clear error", async () => {
    const id = await queuedJob();
    expect((await api("GET", `/v1/datasets/jobs/${id}`)).body.state).toBe("queued");
    await deadLetter(id);
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
