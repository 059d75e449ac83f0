import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import type { Env } from "../../src/env";
import worker from "../../src/index";
import { JOBS_CRON } from "../../src/jobs";
import { api } from "../helpers";

/** Test support for jobs: land objects in the ingest bucket, fire the real cron handler, read runs back. */

export async function land(key: string, body: string | Uint8Array): Promise<void> {
  await env.INGEST_BUCKET.put(key, body);
}

export const ndjson = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join("\n") + "\n";

/** Calls the worker's `scheduled` export as the every-minute cron trigger would, at `scheduledTime`. */
export async function cronTick(scheduledTime: number): Promise<void> {
  const ctx = createExecutionContext();
  const scheduled = worker.scheduled as ExportedHandlerScheduledHandler<Env>;
  await scheduled(createScheduledController({ scheduledTime, cron: JOBS_CRON }), env, ctx);
  await waitOnExecutionContext(ctx);
}

export async function createJob(body: Record<string, unknown>): Promise<{ id: string; nextRunAt: string | null }> {
  const res = await api("POST", "/v1/jobs", body);
  if (res.status !== 201) throw new Error(`create job: ${res.status} ${res.text}`);
  return res.body;
}

export async function getJob(id: string) {
  return (await api("GET", `/v1/jobs/${id}`)).body;
}

/** Fires the cron tick at the job's next scheduled time (so it is due) and returns the job's newest run. */
export async function tickWhenDue(jobId: string) {
  const job = await getJob(jobId);
  if (!job.nextRunAt) throw new Error(`job ${jobId} has no next run`);
  await cronTick(Date.parse(job.nextRunAt));
  return latestRun(jobId);
}

export async function runs(jobId: string): Promise<any[]> {
  return (await api("GET", `/v1/jobs/${jobId}/runs`)).body.runs;
}

export async function latestRun(jobId: string) {
  const [newest] = await runs(jobId);
  if (!newest) return undefined;
  return (await api("GET", `/v1/jobs/${jobId}/runs/${newest.id}`)).body;
}
