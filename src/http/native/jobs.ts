import { z } from "zod";
import { FailureError, orThrow, type Failure } from "../../failure";
import { createJob, type FileError, findJob, getJob, getRun, type Job, type JobFileRow, type JobRunRow, jobSpecSchema, jobUpdateSchema, listJobs, listRuns, materializeNow, removeJob, runFiles, runJobNow, setJobEnabled, updateJob } from "../../jobs";
import { availabilityJson, isoFromEpochMs, MAX_CONTROL_BODY_BYTES } from "../../records";
import type { GroupsOf } from "../authorize";
import { failureField, failureMessage } from "../failures";
import { bodyGroups, groupParam } from "../resources";
import { RouteGroup } from "../route";
import { groupPath, intQuery, named, pathParam, stringQuery } from "./schemas/common";
import { job, jobList, jobRun, jobRunList, jobWithRun } from "./schemas/jobs";

/**
 * Scheduled jobs under /v1/jobs, and POST /v1/feature-groups/{name}/materialize.
 * Handlers parse, call src/jobs, and render; run and file failures are stored
 * as Failures and given their public message here.
 */
export const jobRoutes = new RouteGroup("/");

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

const TAG = "Jobs";
const jobPath = z.object({ id: pathParam("The job's id.") });
const exampleJob = { featureGroup: "users", source: { prefix: "landing/users/" }, format: "parquet", mode: "both", schedule: "*/15 * * * *" };

jobRoutes.add(
  {
    method: "post",
    path: "/jobs",
    operationId: "createJob",
    summary: "Create a scheduled job: ingest files from the landing bucket, materialize, or audit parity",
    tag: TAG,
    action: "featurestore:CreateJob",
    groups: bodyGroup,
    body: { schema: named("CreateJobRequest", jobSpecSchema), maxBytes: MAX_CONTROL_BODY_BYTES },
    responses: [{ status: 201, description: "The job; Location names it.", schema: job, headers: { location: "The job's URL." } }],
    example: { body: exampleJob },
  },
  async (c, { body }) => {
    const created = orThrow(await createJob(c.get("store"), body));
    return c.json(jobView(created), 201, { location: `/v1/jobs/${created.id}` });
  },
);

jobRoutes.add(
  {
    method: "get",
    path: "/jobs",
    operationId: "listJobs",
    summary: "List jobs, a page at a time",
    tag: TAG,
    action: "featurestore:ListJobs",
    query: z.object({
      limit: intQuery(1, 1000, 100, "Jobs per page."),
      featureGroup: stringQuery("Only jobs of this group."),
      after: stringQuery("The id of the last job of the previous page (nextAfter)."),
    }),
    responses: [{ status: 200, description: "A page of jobs the key may see.", schema: jobList }],
    example: { query: { featureGroup: "users" } },
  },
  async (c, { query }) => {
    const { limit, featureGroup, after } = query;
    const jobs = await listJobs(c.get("store").db, { limit: limit + 1, ...(featureGroup ? { featureGroup } : {}), ...(after ? { after } : {}) });
    const page = jobs.slice(0, limit);
    return c.json({ jobs: page.filter((j) => c.get("visibleGroup")?.(j.featureGroup) ?? true).map(jobView), ...(jobs.length > limit ? { nextAfter: page.at(-1)!.id } : {}) });
  },
);

jobRoutes.add(
  {
    method: "get",
    path: "/jobs/:id",
    operationId: "describeJob",
    summary: "Describe a job",
    tag: TAG,
    action: "featurestore:DescribeJob",
    groups: jobGroup,
    params: jobPath,
    responses: [{ status: 200, description: "The job.", schema: job }],
    example: { params: { id: "5a0c7f3e-8d21-4b6a-9f3c-1e2d3c4b5a69" } },
  },
  async (c, { params }) => c.json(jobView(orThrow(await findJob(c.get("store"), params.id)))),
);

/** PATCH merges these fields into the job; PUT replaces its definition with them (its kind stays). */
const jobUpdateBody = named("UpdateJobRequest", jobUpdateSchema);

for (const [method, how, summary] of [
  ["patch", "merge", "Change some of a job's fields"],
  ["put", "replace", "Replace a job's definition (its kind stays)"],
] as const) {
  jobRoutes.add(
    {
      method,
      path: "/jobs/:id",
      operationId: method === "patch" ? "updateJob" : "replaceJob",
      summary,
      tag: TAG,
      action: "featurestore:UpdateJob",
      groups: jobAndBodyGroups,
      params: jobPath,
      body: { schema: jobUpdateBody, maxBytes: MAX_CONTROL_BODY_BYTES },
      responses: [{ status: 200, description: "The job after the change.", schema: job }],
      example: { params: { id: "5a0c7f3e-8d21-4b6a-9f3c-1e2d3c4b5a69" }, body: how === "merge" ? { schedule: "0 * * * *" } : exampleJob },
    },
    async (c, { params, body }) => c.json(jobView(orThrow(await updateJob(c.get("store"), params.id, body, how)))),
  );
}

jobRoutes.add(
  {
    method: "delete",
    path: "/jobs/:id",
    operationId: "deleteJob",
    summary: "Delete a job",
    tag: TAG,
    action: "featurestore:DeleteJob",
    groups: jobGroup,
    params: jobPath,
    responses: [{ status: 204, description: "Deleted." }],
    example: { params: { id: "5a0c7f3e-8d21-4b6a-9f3c-1e2d3c4b5a69" } },
  },
  async (c, { params }) => {
    orThrow(await removeJob(c.get("store"), params.id));
    return c.body(null, 204);
  },
);

for (const [verb, enabled, action] of [
  ["pause", false, "featurestore:PauseJob"],
  ["resume", true, "featurestore:ResumeJob"],
] as const) {
  jobRoutes.add(
    {
      method: "post",
      path: `/jobs/:id/${verb}`,
      operationId: `${verb}Job`,
      summary: enabled ? "Resume a paused job's schedule" : "Pause a job's schedule",
      tag: TAG,
      action,
      groups: jobGroup,
      params: jobPath,
      responses: [{ status: 200, description: "The job.", schema: job }],
      example: { params: { id: "5a0c7f3e-8d21-4b6a-9f3c-1e2d3c4b5a69" } },
    },
    async (c, { params }) => c.json(jobView(orThrow(await setJobEnabled(c.get("store"), params.id, enabled)))),
  );
}

/** Runs the job now: the first slice runs before the answer; a run not finished continues on the cron tick. Poll the Location. */
jobRoutes.add(
  {
    method: "post",
    path: "/jobs/:id/run",
    operationId: "startJobRun",
    summary: "Run a job now (its first slice runs before the answer; poll the Location)",
    tag: TAG,
    action: "featurestore:StartJobRun",
    groups: jobGroup,
    params: jobPath,
    responses: [{ status: 202, description: "The run so far; Location names it.", schema: jobRun, headers: { location: "The run's URL." } }],
    example: { params: { id: "5a0c7f3e-8d21-4b6a-9f3c-1e2d3c4b5a69" } },
  },
  async (c, { params }) => {
    const found = orThrow(await findJob(c.get("store"), params.id));
    const run = orThrow(await runJobNow(c.env, found));
    return c.json(runView(run), 202, { location: runLocation(run) });
  },
);

jobRoutes.add(
  {
    method: "get",
    path: "/jobs/:id/runs",
    operationId: "listJobRuns",
    summary: "List a job's runs, newest first",
    tag: TAG,
    action: "featurestore:ListJobRuns",
    groups: jobGroup,
    params: jobPath,
    query: z.object({ limit: intQuery(1, 1000, 50, "Runs to list.") }),
    responses: [{ status: 200, description: "The runs.", schema: jobRunList }],
    example: { params: { id: "5a0c7f3e-8d21-4b6a-9f3c-1e2d3c4b5a69" }, query: { limit: "10" } },
  },
  async (c, { params, query }) => {
    const found = orThrow(await findJob(c.get("store"), params.id));
    const runs = await listRuns(c.get("store").db, found.id, { limit: query.limit });
    return c.json({ runs: runs.map((r) => runView(r)) });
  },
);

jobRoutes.add(
  {
    method: "get",
    path: "/jobs/:id/runs/:runId",
    operationId: "describeJobRun",
    summary: "Read one run with its file reports",
    tag: TAG,
    action: "featurestore:DescribeJobRun",
    groups: jobGroup,
    params: jobPath.extend({ runId: pathParam("The run's id.") }),
    responses: [{ status: 200, description: "The run and its files (failed first).", schema: jobRun }],
    example: { params: { id: "5a0c7f3e-8d21-4b6a-9f3c-1e2d3c4b5a69", runId: "9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a" } },
  },
  async (c, { params }) => {
    const found = orThrow(await findJob(c.get("store"), params.id));
    const run = await getRun(c.get("store").db, found.id, params.runId);
    if (!run) throw new FailureError({ reason: "resource_not_found", kind: "job run", name: params.runId });
    return c.json(runView(run, await runFiles(c.get("store").db, run.id, MAX_FILES_IN_REPORT)));
  },
);

/** Loads the latest record per identifier from the offline store into the online store (online writes only). */
jobRoutes.add(
  {
    method: "post",
    path: "/feature-groups/:name/materialize",
    operationId: "materializeFeatureGroup",
    summary: "Load the latest record per identifier from the offline store into the online store",
    tag: TAG,
    action: "featurestore:MaterializeFeatureGroup",
    groups: groupParam,
    params: groupPath,
    responses: [{ status: 202, description: "The materialize job and its run; Location names the run.", schema: jobWithRun, headers: { location: "The run's URL." } }],
    example: { params: { name: "users" } },
  },
  async (c, { params }) => {
    const started = orThrow(await materializeNow(c.env, c.get("store"), params.name));
    return c.json({ job: jobView(started.job), run: runView(started.run) }, 202, { location: runLocation(started.run) });
  },
);
