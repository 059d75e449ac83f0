import { and, asc, desc, eq, gt, inArray, lt, or } from "drizzle-orm";
import type { CatalogDb } from "../catalog";
import type { DataKeyLookup } from "../crypto/offline-objects";
import type { Failure } from "../failure";
import type { FeatureDefinition } from "../records";
import { knowledgeWarning, type DatasetGroup, type DatasetOptions, type KnowledgeReport } from "./dataset";
import type { EntityGroupSpec } from "./entities";
import type { EntitySource } from "./entity-source";
import type { JobFormat } from "./job-parts";
import { CONTENT_TYPES, deleteParts } from "./job-result";
import { datasetJobs } from "./schema";

export { CONTENT_TYPES, JOBS_PREFIX } from "./job-result";
export type { JobFormat } from "./job-parts";

/**
 * Asynchronous dataset jobs as the catalog keeps them: created, viewed,
 * listed, cancelled, failed. The query worker runs them (job-run.ts) one
 * queue message per entity chunk (a row group of an entity Parquet object
 * or a byte range of CSV/NDJSON); no HTTP request waits on a job.
 */
export interface JobSpec {
  groups: DatasetGroup[];
  entityGroups: EntityGroupSpec[];
  timestampColumn: string;
  options: DatasetOptions;
  format: JobFormat;
  source: EntitySource;
  /** Declared types of the feature output columns: [column, definition]. */
  featureTypes: [string, FeatureDefinition][];
}

export interface JobMessage {
  jobId: string;
  /** The entity chunk this message runs; absent on the job's own message (sizing, chunk 0, the result). */
  chunk?: number;
}

export type JobState = "queued" | "running" | "succeeded" | "failed" | "cancelled";

/** States a job can still leave; only these may be cancelled or moved on by a step. */
export const UNFINISHED: JobState[] = ["queued", "running"];

export interface JobDeps {
  db: CatalogDb;
  bucket: R2Bucket;
  /** Data keys of groups whose offline objects are encrypted (SSE-C). */
  keys: DataKeyLookup;
  queue: Pick<Queue<JobMessage>, "send" | "sendBatch">;
  now?: () => number;
  /** Result cells one step may produce; MAX_STEP_CELLS unless a test splits small chunks. */
  stepCells?: number;
  /** How long an invocation keeps taking steps; STEP_BUDGET_MS unless a test takes one at a time. */
  stepBudgetMs?: number;
}

export interface JobView {
  id: string;
  state: JobState;
  format: JobFormat;
  progress: {
    chunksTotal: number | null;
    /** Chunks whose every step is done (a wide chunk takes several steps). */
    chunksDone: number;
    /** Steps done: each joined part of a chunk and wrote it as a part of the result. */
    stepsDone: number;
    entitiesTotal: number | null;
    entitiesProcessed: number;
    filesRead: number;
    bytesRead: number;
    rowsWritten: number;
  };
  /** What knowledge time excluded so far (see dataset.ts KnowledgeReport). */
  knowledgeTime: KnowledgeReport;
  /** Present when knowledge time left entity rows without features. */
  warnings?: string[];
  result?: { key: string; bytes: number; contentType: string };
  error?: string;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
}

export type JobRow = typeof datasetJobs.$inferSelect;

export function jobView(row: JobRow): JobView {
  const format = row.format as JobFormat;
  const knowledge = { rowsWithExcludedVersions: row.knowledgeExcludedRows, rowsEmptied: row.knowledgeEmptiedRows };
  const warning = knowledgeWarning(knowledge);
  return {
    id: row.id,
    state: row.state as JobState,
    format,
    progress: {
      chunksTotal: row.chunksTotal,
      chunksDone: row.chunksDone,
      stepsDone: row.partsWritten,
      entitiesTotal: row.entitiesTotal,
      entitiesProcessed: row.entitiesProcessed,
      filesRead: row.filesRead,
      bytesRead: row.bytesRead,
      rowsWritten: row.rowsWritten,
    },
    knowledgeTime: knowledge,
    ...(warning ? { warnings: [warning] } : {}),
    ...(row.resultKey && row.state === "succeeded" ? { result: { key: row.resultKey, bytes: row.resultBytes ?? 0, contentType: CONTENT_TYPES[format] } } : {}),
    ...(row.error ? { error: row.error } : {}),
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
    ...(row.finishedAt ? { finishedAt: new Date(row.finishedAt).toISOString() } : {}),
  };
}

export async function getJob(db: CatalogDb, id: string): Promise<JobRow | undefined> {
  return db.select().from(datasetJobs).where(eq(datasetJobs.id, id)).get();
}

const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A job by the id a client sent: anything but a job id finds nothing, without a query. */
export async function findJob(db: CatalogDb, id: string): Promise<JobView | undefined> {
  const row = JOB_ID.test(id) ? await getJob(db, id) : undefined;
  return row ? jobView(row) : undefined;
}

/** The feature groups a job joins (none for an unknown id): reading its progress or result needs each. */
export async function jobFeatureGroups(db: CatalogDb, id: string): Promise<string[]> {
  const row = JOB_ID.test(id) ? await getJob(db, id) : undefined;
  return row ? (JSON.parse(row.spec) as { groups: { featureGroup: string }[] }).groups.map((g) => g.featureGroup) : [];
}

/** Cancels the job a client named; undefined when there is no such job. */
export async function cancelJobById(deps: Pick<JobDeps, "db" | "now">, id: string): Promise<{ cancelled: boolean; job: JobView } | undefined> {
  return JOB_ID.test(id) ? cancelJob(deps, id) : undefined;
}

/** A job's place in the newest-first list: creation time, then id. */
export interface JobPlace {
  createdAt: number;
  id: string;
}

/**
 * Jobs newest first with the groups each joins (the web catalog lists
 * them): the newest, the ones just older than a place (`after`), or the ones
 * just newer (`before`, still newest first).
 */
export async function recentJobs(db: CatalogDb, limit: number, cursor: { after?: JobPlace } | { before: JobPlace } = {}): Promise<{ job: JobView; featureGroups: string[]; createdAt: number }[]> {
  const c = datasetJobs;
  const newer = "before" in cursor;
  const place = "before" in cursor ? cursor.before : cursor.after;
  const beyond = place === undefined ? undefined : newer ? or(gt(c.createdAt, place.createdAt), and(eq(c.createdAt, place.createdAt), gt(c.id, place.id))) : or(lt(c.createdAt, place.createdAt), and(eq(c.createdAt, place.createdAt), lt(c.id, place.id)));
  const rows = await db
    .select()
    .from(c)
    .where(beyond)
    .orderBy(...(newer ? [asc(c.createdAt), asc(c.id)] : [desc(c.createdAt), desc(c.id)]))
    .limit(limit)
    .all();
  return (newer ? rows.reverse() : rows).map((row) => ({ job: jobView(row), featureGroups: (JSON.parse(row.spec) as { groups: { featureGroup: string }[] }).groups.map((g) => g.featureGroup), createdAt: row.createdAt }));
}

export async function createJob(deps: JobDeps, spec: JobSpec): Promise<JobView> {
  const now = (deps.now ?? Date.now)();
  const id = crypto.randomUUID();
  const row = { id, state: "queued", format: spec.format, spec: JSON.stringify(spec), createdAt: now, updatedAt: now };
  await deps.db.insert(datasetJobs).values(row);
  await deps.queue.send({ jobId: id });
  return jobView((await getJob(deps.db, id))!);
}

export function describeFailure(failure: Failure): string {
  if (failure.reason === "invalid_field") return `${failure.field} ${failure.rule}`;
  if (failure.reason === "feature_group_not_found") return `feature group ${failure.featureGroup} no longer exists`;
  return failure.reason;
}

export async function failJob(deps: JobDeps, id: string, error: string): Promise<void> {
  const now = (deps.now ?? Date.now)();
  await deps.db.update(datasetJobs).set({ state: "failed", error, updatedAt: now, finishedAt: now }).where(and(eq(datasetJobs.id, id), inArray(datasetJobs.state, UNFINISHED)));
}

/**
 * A job whose message the queue gave up on (its retries spent, the message
 * in the dead-letter queue): failed, so it never stays "running" forever,
 * and its parts deleted. A job that succeeded in the meantime is left as it is.
 */
export async function abandonJob(deps: Pick<JobDeps, "db" | "bucket" | "now">, id: string): Promise<void> {
  const now = (deps.now ?? Date.now)();
  await deps.db
    .update(datasetJobs)
    .set({ state: "failed", error: "a step of the job failed on every retry (an internal error; the query worker's logs have it)", updatedAt: now, finishedAt: now })
    .where(and(eq(datasetJobs.id, id), inArray(datasetJobs.state, UNFINISHED)));
  if ((await getJob(deps.db, id))?.state !== "succeeded") await deleteParts(deps.bucket, id);
}

/**
 * Cancels a job that has not finished: it ends as "cancelled" and writes no
 * result. A step running at that moment finishes its part, finds the job
 * cancelled and deletes the parts written so far. Undefined when there is
 * no such job; a finished job comes back as it is, for the caller to refuse.
 */
export async function cancelJob(deps: Pick<JobDeps, "db" | "now">, id: string): Promise<{ cancelled: boolean; job: JobView } | undefined> {
  const now = (deps.now ?? Date.now)();
  const changed = await deps.db
    .update(datasetJobs)
    .set({ state: "cancelled", error: "cancelled on request", updatedAt: now, finishedAt: now })
    .where(and(eq(datasetJobs.id, id), inArray(datasetJobs.state, UNFINISHED)))
    .returning({ id: datasetJobs.id });
  const row = await getJob(deps.db, id);
  return row ? { cancelled: changed.length > 0, job: jobView(row) } : undefined;
}
