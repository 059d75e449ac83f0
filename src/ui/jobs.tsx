import { Hono } from "hono";
import { findJob, getJob, listJobs, listRuns, type Job, type JobRunRow } from "../jobs";
import { orThrow } from "../failure";
import { authorize, type GroupsOf } from "../http/authorize";
import type { AppContext, AppEnv } from "../http/context";
import { datasetJobGroups, datasetJobResult } from "../http/native/datasets";
import { recentJobs, type JobPlace } from "../datasets";
import { bytes, isoTime } from "./format";
import { page } from "./layout";
import { Pager } from "./pager";
import { keysetPage, pageRequestOf, type Fetch, type Paged } from "./paging";
import { may } from "./permissions";

/**
 * Dataset jobs (state, progress, result download) and scheduled ingest
 * jobs with their runs. A job is listed when the key may read every group
 * it touches, as the API decides for its own job routes.
 */
export const jobRoutes = new Hono<AppEnv>();

/** Per page of each list. */
export const DATASET_JOBS_PER_PAGE = 25;
export const SCHEDULED_JOBS_PER_PAGE = 50;
/** The two lists of /ui/jobs page apart: the dataset jobs' cursors carry this prefix (`ds-after`, `ds-before`). */
const DATASET_PREFIX = "ds-";
export const RUNS_PER_PAGE = 50;

const jobGroup: GroupsOf = async (c) => {
  const job = await getJob(c.get("store").db, c.req.param("id") ?? "");
  return job ? [job.featureGroup] : [];
};

function progressText(p: { chunksTotal: number | null; chunksDone: number; rowsWritten: number }): string {
  const chunks = p.chunksTotal === null ? `${p.chunksDone} chunks` : `${p.chunksDone} of ${p.chunksTotal} chunks`;
  return `${chunks}, ${p.rowsWritten} rows written`;
}

type DatasetJob = Awaited<ReturnType<typeof recentJobs>>[number];

/** A place in a newest-first list (dataset jobs, runs): "<ms>~<id>". */
const placeText = (at: number, id: string): string => `${at}~${id}`;
function parsePlace(cursor: string): { at: number; id: string } | undefined {
  const cut = cursor.indexOf("~");
  const at = Number(cursor.slice(0, cut));
  return cut > 0 && Number.isSafeInteger(at) ? { at, id: cursor.slice(cut + 1) } : undefined;
}
const datasetPlace = (j: DatasetJob): string => placeText(j.createdAt, j.job.id);

function datasetJobFetch(c: AppContext): Fetch<DatasetJob> {
  return async (cursor, limit) => {
    const parsed = parsePlace("before" in cursor ? cursor.before : (cursor.after ?? ""));
    const place: JobPlace | undefined = parsed && { createdAt: parsed.at, id: parsed.id };
    const rows = await recentJobs(c.get("store").db, limit + 1, place === undefined ? {} : "before" in cursor ? { before: place } : { after: place });
    return { items: "before" in cursor ? rows.slice(-limit) : rows.slice(0, limit), more: rows.length > limit };
  };
}

/** A job's runs newest first: the page after a run holds older ones. */
function runFetch(c: AppContext, jobId: string): Fetch<JobRunRow> {
  return async (cursor, limit) => {
    const parsed = parsePlace("before" in cursor ? cursor.before : (cursor.after ?? ""));
    const place = parsed && { startedAt: parsed.at, id: parsed.id };
    const rows = await listRuns(c.get("store").db, jobId, { limit: limit + 1, ...(place ? ("before" in cursor ? { newer: place } : { older: place }) : {}) });
    return { items: "before" in cursor ? rows.slice(-limit) : rows.slice(0, limit), more: rows.length > limit };
  };
}

function scheduledJobFetch(c: AppContext): Fetch<Job> {
  return async (cursor, limit) => {
    const rows = await listJobs(c.get("store").db, { limit: limit + 1, ...("before" in cursor ? { before: cursor.before } : cursor.after !== undefined ? { after: cursor.after } : {}) });
    return { items: "before" in cursor ? rows.slice(-limit) : rows.slice(0, limit), more: rows.length > limit };
  };
}

function DatasetJobs(props: { c: AppContext; shown: Paged<DatasetJob> }) {
  const { c, shown } = props;
  const jobs = shown.items;
  if (jobs.length === 0) return <p class="muted">No dataset jobs you may see{shown.paged ? " on this page" : ""}. Start one with POST /v1/datasets and "async": true.</p>;
  return (
    <>
      <table>
        <thead>
          <tr>
            <th scope="col">Job</th>
            <th scope="col">Feature groups</th>
            <th scope="col">State</th>
            <th scope="col">Progress</th>
            <th scope="col">Created</th>
            <th scope="col">Result</th>
          </tr>
        </thead>
        <tbody>
          {jobs.map(({ job, featureGroups, createdAt }) => (
            <tr>
              <th scope="row">
                <code>{job.id}</code>
              </th>
              <td>{featureGroups.join(", ")}</td>
              <td>{job.state}{job.error ? `: ${job.error}` : ""}</td>
              <td>{progressText(job.progress)}</td>
              <td>{isoTime(createdAt)}</td>
              <td>{job.result ? <a href={`/ui/datasets/${job.id}/result`} download>{`Download ${job.format} (${bytes(job.result.bytes)})`}</a> : "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager c={c} page={shown} label="Dataset jobs" prefix={DATASET_PREFIX} labels={{ prev: "Newer jobs", next: "Older jobs" }} />
    </>
  );
}

function ScheduledJobs(props: { c: AppContext; shown: Paged<Job> }) {
  const { c, shown } = props;
  if (shown.items.length === 0) return <p class="muted">No scheduled jobs you may see{shown.paged ? " on this page" : ""}. Create one with POST /v1/jobs (docs/jobs.md).</p>;
  return (
    <>
      <table>
        <thead>
          <tr>
            <th scope="col">Job</th>
            <th scope="col">Kind</th>
            <th scope="col">Feature group</th>
            <th scope="col">Schedule</th>
            <th scope="col">Status</th>
            <th scope="col">Next run</th>
          </tr>
        </thead>
        <tbody>
          {shown.items.map((job) => (
            <tr>
              <th scope="row">
                <a href={`/ui/jobs/${job.id}`}>{job.description ?? job.id}</a>
              </th>
              <td>{job.kind}</td>
              <td>{job.featureGroup}</td>
              <td>{job.schedule ?? "on demand"}</td>
              <td>{job.enabled ? "enabled" : "paused"}{job.activeRunId ? ", running" : ""}</td>
              <td>{isoTime(job.nextRunAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager c={c} page={shown} label="Scheduled jobs" />
    </>
  );
}

jobRoutes.get("/jobs", authorize("featurestore:ListJobs"), async (c) => {
  const visible = c.get("visibleGroup") ?? (() => true);
  // A job is listed when the key may read every group it touches; pages the policy thins out are refilled (paging.ts).
  const [datasets, scheduled] = await Promise.all([
    keysetPage(pageRequestOf(c, DATASET_PREFIX), DATASET_JOBS_PER_PAGE, datasetJobFetch(c), datasetPlace, (j) => j.featureGroups.every((g) => may(c, "featurestore:DescribeDatasetJob", g))),
    keysetPage(pageRequestOf(c), SCHEDULED_JOBS_PER_PAGE, scheduledJobFetch(c), (j) => j.id, (j) => visible(j.featureGroup)),
  ]);
  return page(
    c,
    "Datasets and jobs",
    <>
      <h1>Datasets and jobs</h1>
      <h2>Dataset jobs</h2>
      <DatasetJobs c={c} shown={datasets} />
      <h2>Scheduled jobs</h2>
      <ScheduledJobs c={c} shown={scheduled} />
    </>,
  );
});

jobRoutes.get("/jobs/:id", authorize("featurestore:DescribeJob", jobGroup), async (c) => {
  const job = orThrow(await findJob(c.get("store"), c.req.param("id")));
  const runs = may(c, "featurestore:ListJobRuns", job.featureGroup) ? await keysetPage(pageRequestOf(c), RUNS_PER_PAGE, runFetch(c, job.id), (r) => placeText(r.startedAt, r.id)) : null;
  return page(
    c,
    `Job ${job.id}`,
    <>
      <p>
        <a href="/ui/jobs">Datasets and jobs</a> /
      </p>
      <h1>{job.description ?? `Job ${job.id}`}</h1>
      <dl class="facts">
        <dt>Kind</dt>
        <dd>{job.kind}</dd>
        <dt>Feature group</dt>
        <dd>
          <a href={`/ui/feature-groups/${encodeURIComponent(job.featureGroup)}`}>{job.featureGroup}</a>
        </dd>
        <dt>Source</dt>
        <dd>{job.source ? `INGEST_BUCKET/${job.source.prefix} (${job.format ?? "by extension"})` : "—"}</dd>
        <dt>Schedule</dt>
        <dd>{job.schedule ?? "on demand"}</dd>
        <dt>Status</dt>
        <dd>{job.enabled ? "enabled" : "paused"}</dd>
        <dt>Next run</dt>
        <dd>{isoTime(job.nextRunAt)}</dd>
      </dl>
      <h2>Runs</h2>
      {runs === null ? (
        <p class="notice refused">
          Your access key's policy does not allow <code>featurestore:ListJobRuns</code> on {job.featureGroup}.
        </p>
      ) : runs.items.length === 0 ? (
        <p class="muted">{runs.paged ? "No more runs." : "No runs yet."}</p>
      ) : (
        <>
          <table>
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">Trigger</th>
                <th scope="col">Status</th>
                <th scope="col" class="num">Files</th>
                <th scope="col" class="num">Rows written</th>
                <th scope="col" class="num">Rows invalid</th>
                <th scope="col">Finished</th>
              </tr>
            </thead>
            <tbody>
              {runs.items.map((run) => (
                <tr>
                  <td>{isoTime(run.startedAt)}</td>
                  <td>{run.trigger}</td>
                  <td>{run.status}</td>
                  <td class="num">
                    {run.filesIngested} ingested, {run.filesFailed} failed
                  </td>
                  <td class="num">{run.rowsWritten}</td>
                  <td class="num">{run.rowsInvalid}</td>
                  <td>{isoTime(run.finishedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager c={c} page={runs} label="Runs" labels={{ prev: "Newer runs", next: "Older runs" }} />
        </>
      )}
    </>,
  );
});

jobRoutes.get("/datasets/:id/result", authorize("featurestore:GetDatasetJobResult", datasetJobGroups), (c) =>
  datasetJobResult(c, c.req.param("id"), { "content-disposition": `attachment; filename="dataset-${c.req.param("id")}"` }),
);
