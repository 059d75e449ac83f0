import { Hono } from "hono";
import type { Failure } from "../../failure";
import { orThrow } from "../../failure";
import { createJob, findJob, getJob, getRun, listJobs, listRuns, materializeNow, removeJob, runFiles, runJobNow, setJobEnabled, updateJob, type Job, type JobFileRow, type JobRunRow } from "../../jobs";
import type { FileError } from "../../jobs/repository";
import { availabilityJson, isoFromEpochMs, MAX_CONTROL_BODY_BYTES } from "../../records";
import { authorize, type GroupsOf } from "../authorize";
import { readJsonBody } from "../body";
import type { AppEnv } from "../context";
import { failureField, failureMessage } from "../failures";
import { intParam } from "../query";
import { bodyGroups, groupParam } from "../resources";

/**
 * Scheduled jobs under /v1/jobs, and POST /v1/feature-groups/{name}/materialize.
 * Handlers parse, call src/jobs, and render; run and file failures are stored
 * as Failures and given their public message here.
 */
export const jobRoutes = new Hono<AppEnv>();

const iso = (ms: number | null) => (ms === null ? null : isoFromEpochMs(ms));

export function jobView(job: Job) {
  return {
    id: job.id,
    kind: job.kind,
    featureGroup: job.featureGroup,
    ...(job.description !== undefined ? { description: job.description } : {}),
    ...(job.source ? { source: { bucket: "INGEST_BUCKET", prefix: job.source.prefix } } : {}),
    ...(job.format ? { format: job.format } : {}),
    mode: job.mode,
    ...(job.availability ? { availability: availabilityJson(job.availability) } : {}),
    schedule: job.schedule,
    enabled: job.enabled,
    status: job.enabled ? "enabled" : "paused",
    nextRunAt: iso(job.nextRunAt),
    activeRunId: job.activeRunId,
    createdAt: iso(job.createdAt),
    updatedAt: iso(job.updatedAt),
  };
}

function errorView(failure: Failure) {
  const field = failureField(failure);
  return { code: failure.reason, message: failureMessage(failure), ...(field !== undefined ? { field } : {}) };
}

function fileView(row: JobFileRow) {
  const error = row.error ? (JSON.parse(row.error) as FileError) : null;
  return {
    key: row.objectKey,
    etag: row.etag,
    size: row.size,
    status: row.state,
    rows: { read: row.rowsRead, written: row.rowsWritten, invalid: row.rowsInvalid, olderEventTimeIgnored: row.rowsOlderIgnored },
    ...(error ? { error: { ...errorView(error.failure), code: error.code, ...(error.problems ? { problems: error.problems } : {}) } } : {}),
  };
}

export function runView(run: JobRunRow, files?: JobFileRow[]) {
  return {
    id: run.id,
    jobId: run.jobId,
    trigger: run.trigger,
    status: run.status,
    startedAt: iso(run.startedAt),
    finishedAt: iso(run.finishedAt),
    files: { ingested: run.filesIngested, failed: run.filesFailed },
    rows: { read: run.rowsRead, written: run.rowsWritten, invalid: run.rowsInvalid, olderEventTimeIgnored: run.rowsOlderIgnored },
    ...(run.error ? { error: errorView(JSON.parse(run.error) as Failure) } : {}),
    ...(files ? { fileReports: files.map(fileView) } : {}),
  };
}

/** Failed files first; a run's report lists at most this many. */
const MAX_FILES_IN_REPORT = 1_000;

/** The target group of the job in the path; an unknown job names none (checked as the empty name, then 404). */
const jobGroup: GroupsOf = async (c) => {
  const job = await getJob(c.get("store").db, c.req.param("id") ?? "");
  return job ? [job.featureGroup] : [];
};
const bodyGroup = bodyGroups(MAX_CONTROL_BODY_BYTES, (body) => [body.featureGroup]);
/** An update may move the job to another group: both must be allowed. */
const jobAndBodyGroups: GroupsOf = async (c) => [...new Set([...(await jobGroup(c)), ...(await bodyGroup(c))])];

const runLocation = (run: JobRunRow) => `/v1/jobs/${run.jobId}/runs/${run.id}`;

jobRoutes.post("/jobs", authorize("featurestore:CreateJob", bodyGroup), async (c) => {
  const body = orThrow(await readJsonBody(c.req.raw, MAX_CONTROL_BODY_BYTES));
  const job = orThrow(await createJob(c.get("store"), body));
  return c.json(jobView(job), 201, { location: `/v1/jobs/${job.id}` });
});

jobRoutes.get("/jobs", authorize("featurestore:ListJobs"), async (c) => {
  const limit = orThrow(intParam(c, "limit", 1, 1000, 100));
  const featureGroup = c.req.query("featureGroup");
  const after = c.req.query("after");
  const jobs = await listJobs(c.get("store").db, { limit: limit + 1, ...(featureGroup ? { featureGroup } : {}), ...(after ? { after } : {}) });
  const page = jobs.slice(0, limit);
  return c.json({ jobs: page.filter((j) => c.get("visibleGroup")?.(j.featureGroup) ?? true).map(jobView), ...(jobs.length > limit ? { nextAfter: page.at(-1)!.id } : {}) });
});

jobRoutes.get("/jobs/:id", authorize("featurestore:DescribeJob", jobGroup), async (c) => c.json(jobView(orThrow(await findJob(c.get("store"), c.req.param("id"))))));

for (const [method, how] of [["patch", "merge"], ["put", "replace"]] as const) {
  jobRoutes[method]("/jobs/:id", authorize("featurestore:UpdateJob", jobAndBodyGroups), async (c) => {
    const body = orThrow(await readJsonBody(c.req.raw, MAX_CONTROL_BODY_BYTES));
    return c.json(jobView(orThrow(await updateJob(c.get("store"), c.req.param("id"), body, how))));
  });
}

jobRoutes.delete("/jobs/:id", authorize("featurestore:DeleteJob", jobGroup), async (c) => {
  orThrow(await removeJob(c.get("store"), c.req.param("id")));
  return c.body(null, 204);
});

jobRoutes.post("/jobs/:id/pause", authorize("featurestore:PauseJob", jobGroup), async (c) => c.json(jobView(orThrow(await setJobEnabled(c.get("store"), c.req.param("id"), false)))));
jobRoutes.post("/jobs/:id/resume", authorize("featurestore:ResumeJob", jobGroup), async (c) => c.json(jobView(orThrow(await setJobEnabled(c.get("store"), c.req.param("id"), true)))));

/** Runs the job now: the first slice runs before the answer; a run not finished continues on the cron tick. Poll the Location. */
jobRoutes.post("/jobs/:id/run", authorize("featurestore:StartJobRun", jobGroup), async (c) => {
  const job = orThrow(await findJob(c.get("store"), c.req.param("id")));
  const run = orThrow(await runJobNow(c.env, job));
  return c.json(runView(run), 202, { location: runLocation(run) });
});

jobRoutes.get("/jobs/:id/runs", authorize("featurestore:ListJobRuns", jobGroup), async (c) => {
  const job = orThrow(await findJob(c.get("store"), c.req.param("id")));
  const limit = orThrow(intParam(c, "limit", 1, 1000, 50));
  const runs = await listRuns(c.get("store").db, job.id, { limit });
  return c.json({ runs: runs.map((r) => runView(r)) });
});

jobRoutes.get("/jobs/:id/runs/:runId", authorize("featurestore:DescribeJobRun", jobGroup), async (c) => {
  const job = orThrow(await findJob(c.get("store"), c.req.param("id")));
  const run = await getRun(c.get("store").db, job.id, c.req.param("runId"));
  if (!run) orThrow({ ok: false, failure: { reason: "resource_not_found", kind: "job run", name: c.req.param("runId") } });
  return c.json(runView(run!, await runFiles(c.get("store").db, run!.id, MAX_FILES_IN_REPORT)));
});

/** Loads the latest record per identifier from the offline store into the online store (online writes only). */
jobRoutes.post("/feature-groups/:name/materialize", authorize("featurestore:MaterializeFeatureGroup", groupParam), async (c) => {
  const { job, run } = orThrow(await materializeNow(c.env, c.get("store"), c.req.param("name")));
  return c.json({ job: jobView(job), run: runView(run) }, 202, { location: runLocation(run) });
});
