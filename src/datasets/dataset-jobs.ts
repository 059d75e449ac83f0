import { and, asc, desc, eq, gt, inArray, lt, or } from "drizzle-orm";
import type { CatalogDb } from "../catalog";
import type { DataKeyLookup } from "../crypto/offline-objects";
import type { Failure } from "../failure";
import { putInParts } from "../offline/parquet-stream";
import { FooterMemo, ObjectGone } from "../parquet";
import type { FeatureDefinition } from "../records";
import { datasetColumns, joinEntities, knowledgeReport, knowledgeWarning, type DatasetGroup, type DatasetOptions, type KnowledgeReport } from "./dataset";
import { fitsEntityType, inferEntityTypes, type EntityTypeName } from "./encode";
import { parseEntities, type EntityGroupSpec } from "./entities";
import { MAX_CHUNK_ROWS, readChunk, sourceLayout, type EntityChunk, type EntitySource } from "./entity-source";
import { encodePart, type JobFormat } from "./job-parts";
import { assemble, CONTENT_TYPES, deleteParts, partKey } from "./job-result";
import { addStats, emptyStats, type ReadStats } from "../query/row-groups";
import { datasetJobs } from "./schema";

export { CONTENT_TYPES, JOBS_PREFIX } from "./job-result";
export type { JobFormat } from "./job-parts";

/**
 * Asynchronous dataset jobs. The query worker runs a job as a chain of
 * queue messages: each invocation takes steps for a while, then sends the
 * next message. A step joins part of one entity chunk (a row group of an
 * entity Parquet object or a byte range of CSV/NDJSON): as many of its rows
 * as make at most MAX_STEP_CELLS result cells, so a wide chunk takes
 * several steps. It streams the feature row groups its rows' identifiers
 * may be in, writes the rows as a part object, and records progress in D1;
 * the last step concatenates the parts into one result object (a multipart
 * upload of fixed-size parts). No step holds more than one chunk's entity
 * columns and one step's versions, and no HTTP request waits on a job.
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
}

export type JobState = "queued" | "running" | "succeeded" | "failed" | "cancelled";

/** States a job can still leave; only these may be cancelled or moved on by a step. */
const UNFINISHED: JobState[] = ["queued", "running"];

/** One invocation keeps taking steps for this long, then hands over to the next message. */
const STEP_BUDGET_MS = 20_000;
/**
 * Offline R2 reads (files and row groups) after which an invocation hands
 * over, whatever the time: an invocation may make 10,000 subrequests, and
 * each step of a wide chunk reads its files again.
 */
const INVOCATION_READS = 5_000;
/**
 * Result cells (entity rows × mostRecent × result columns) one step may
 * produce. 150,000 entity rows of a 50-feature group with mostRecent 3 made
 * 23 Mi cells in one step: 626 % of the isolate's 128 MB; steps of 2 Mi
 * cells still took 97 % (docs/limits.md).
 */
export const MAX_STEP_CELLS = 1024 * 1024;

/** Entity rows of one step: result rows are at most rows × mostRecent. */
export const stepRows = (cells: number, mostRecent: number, columns: number): number => Math.max(1, Math.floor(cells / (Math.max(1, mostRecent) * Math.max(1, columns))));

export interface JobDeps {
  db: CatalogDb;
  bucket: R2Bucket;
  /** Data keys of groups whose offline objects are encrypted (SSE-C). */
  keys: DataKeyLookup;
  queue: Pick<Queue<JobMessage>, "send">;
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

type JobRow = typeof datasetJobs.$inferSelect;

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

function describeFailure(failure: Failure): string {
  if (failure.reason === "invalid_field") return `${failure.field} ${failure.rule}`;
  if (failure.reason === "feature_group_not_found") return `feature group ${failure.featureGroup} no longer exists`;
  return failure.reason;
}

async function failJob(deps: JobDeps, id: string, error: string): Promise<void> {
  const now = (deps.now ?? Date.now)();
  await deps.db.update(datasetJobs).set({ state: "failed", error, updatedAt: now, finishedAt: now }).where(and(eq(datasetJobs.id, id), inArray(datasetJobs.state, UNFINISHED)));
}

/**
 * A job whose step the queue gave up on (its retries spent, the message in
 * the dead-letter queue): failed, so it never stays "running" forever.
 * A job that finished in the meantime is left as it is.
 */
export async function abandonJob(deps: Pick<JobDeps, "db" | "now">, id: string): Promise<void> {
  const now = (deps.now ?? Date.now)();
  await deps.db
    .update(datasetJobs)
    .set({ state: "failed", error: "a step of the job failed on every retry (an internal error; the query worker's logs have it)", updatedAt: now, finishedAt: now })
    .where(and(eq(datasetJobs.id, id), inArray(datasetJobs.state, UNFINISHED)));
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


interface EntityColumns {
  columns: string[];
  types: Record<string, EntityTypeName>;
}

/** The chunk the invocation's last step read: the next step of the same chunk takes it from here. */
interface ReadChunk {
  n: number;
  chunk: EntityChunk;
}

/**
 * Runs a job for up to STEP_BUDGET_MS (or INVOCATION_READS offline reads);
 * sends the next message if it is not finished.
 */
export async function runJobStep(deps: JobDeps, id: string): Promise<void> {
  const started = Date.now();
  const now = () => (deps.now ?? Date.now)();
  const reads = emptyStats();
  const stepDeps = { ...deps, footers: new FooterMemo() };
  let held: ReadChunk | undefined;
  for (;;) {
    const job = await getJob(deps.db, id);
    if (!job || job.state === "succeeded" || job.state === "failed") return;
    // Parts are numbered from 0; a step may have written the one after the last counted.
    if (job.state === "cancelled") return deleteParts(deps.bucket, id, Math.max(job.chunksTotal ?? 0, job.partsWritten) + 1);
    const spec = JSON.parse(job.spec) as JobSpec;
    try {
      const layout = await sourceLayout(deps.bucket, spec.source);
      if (!layout.ok) return failJob(deps, id, describeFailure(layout.failure));
      if (job.chunksTotal === null) {
        await deps.db
          .update(datasetJobs)
          .set({ state: "running", chunksTotal: layout.value.chunks, entitiesTotal: layout.value.rows ?? null, updatedAt: now() })
          .where(and(eq(datasetJobs.id, id), inArray(datasetJobs.state, UNFINISHED)));
      } else if (job.chunksDone < job.chunksTotal) {
        const n = job.chunksDone;
        if (held?.n !== n) {
          held = undefined;
          const read = await readChunk(deps.bucket, spec.source, layout.value, n);
          if (!read.ok) return failJob(deps, id, describeFailure(read.failure));
          held = { n, chunk: read.value };
        }
        const failure = await takeStep(stepDeps, job, spec, held.chunk, reads);
        if (failure !== undefined) return failJob(deps, id, failure);
      } else {
        const result = await assemble(deps.bucket, id, spec.format, job.partsWritten);
        const at = now();
        await deps.db
          .update(datasetJobs)
          .set({ state: "succeeded", resultKey: result.key, resultBytes: result.bytes, entitiesTotal: job.entitiesProcessed, updatedAt: at, finishedAt: at })
          .where(and(eq(datasetJobs.id, id), inArray(datasetJobs.state, UNFINISHED)));
        await deleteParts(deps.bucket, id, job.partsWritten);
        // Cancelled while assembling: the result is not the job's, so it goes too.
        if ((await getJob(deps.db, id))?.state === "cancelled") await deps.bucket.delete(result.key);
        return;
      }
    } catch (error) {
      if (error instanceof ObjectGone) return failJob(deps, id, `entities.object ${error.key.replace(/^uploads\//, "")} does not exist (upload it with PUT /v1/uploads/{name})`);
      return failJob(deps, id, `internal error: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (Date.now() - started > (deps.stepBudgetMs ?? STEP_BUDGET_MS) || reads.filesRead + reads.rowGroupsRead > INVOCATION_READS) {
      await deps.queue.send({ jobId: id });
      return;
    }
  }
}

/**
 * One step: the next rows of the job's current chunk, as many as make at
 * most `stepCells` result cells, joined and written as part number
 * `partsWritten`. Progress moves in one update guarded by parts_written, so
 * a redelivered message that lost the race changes nothing, and a step
 * retried after its part was put writes the same part again (steps are
 * fixed by the job's state, and their rows by the data). Returns why the
 * job fails, if it does.
 */
async function takeStep(deps: JobDeps & { footers: FooterMemo }, job: JobRow, spec: JobSpec, chunk: EntityChunk, reads: ReadStats): Promise<string | undefined> {
  const n = job.chunksDone;
  if (chunk.count > MAX_CHUNK_ROWS) return `entities.object chunk ${n} holds ${chunk.count} rows; at most ${MAX_CHUNK_ROWS} per chunk`;
  const fixed: EntityColumns | undefined = job.entityTypes ? (JSON.parse(job.entityTypes) as EntityColumns) : undefined;
  const entityColumns = fixed?.columns ?? chunk.columns;
  if (!entityColumns.includes(spec.timestampColumn)) return `entities.object has no column ${spec.timestampColumn} (timestampColumn)`;
  const outputColumns = datasetColumns(spec.groups, entityColumns, spec.options);
  const twice = outputColumns.find((c, i) => outputColumns.indexOf(c) !== i);
  if (twice !== undefined) return `the output column ${twice} would appear twice (an entity column has a feature's prefixed name): choose another prefix`;
  // The first chunk fixes the types from all its rows, whatever part of it the first step joins.
  const types = fixed?.types ?? inferEntityTypes(entityColumns, chunk.column);
  const from = job.chunkRowsDone;
  const to = Math.min(chunk.count, from + stepRows(deps.stepCells ?? MAX_STEP_CELLS, spec.options.mostRecent, outputColumns.length));
  const entityRows = chunk.rows(from, to);
  for (const column of entityColumns) {
    if ((spec.format === "parquet" || spec.format === "arrow") && !fitsEntityType(types[column]!, entityRows.map((r) => r[column]))) {
      return `entities column ${column} was ${types[column]} in the first rows but not in rows from ${job.entitiesProcessed}: a typed result (${spec.format}) needs one type per column`;
    }
  }
  const entities = parseEntities(entityRows, job.entitiesProcessed, spec.timestampColumn, spec.entityGroups);
  if (!entities.ok) return describeFailure(entities.failure);
  const stats = emptyStats();
  const joined = await joinEntities(deps, spec.groups, entities.value, spec.options, stats);
  addStats(reads, stats);
  if (!joined.ok) return describeFailure(joined.failure);
  const part = await encodePart({
    format: spec.format,
    columns: outputColumns,
    entityColumns,
    entityTypes: types,
    featureTypes: new Map(spec.featureTypes),
    joined: joined.value,
    first: job.partsWritten === 0,
    ...(chunk.table ? { entityTable: chunk.table.slice(from, to) } : {}),
  });
  await putInParts(deps.bucket, partKey(job.id, job.partsWritten), part.stream, {});
  const knowledge = knowledgeReport(joined.value);
  const chunkDone = to >= chunk.count;
  await deps.db
    .update(datasetJobs)
    .set({
      state: "running",
      partsWritten: job.partsWritten + 1,
      chunksDone: chunkDone ? n + 1 : n,
      chunkRowsDone: chunkDone ? 0 : to,
      entitiesProcessed: job.entitiesProcessed + (to - from),
      filesRead: job.filesRead + stats.filesRead,
      bytesRead: job.bytesRead + stats.bytesRead,
      rowsWritten: job.rowsWritten + part.rows,
      knowledgeExcludedRows: job.knowledgeExcludedRows + knowledge.rowsWithExcludedVersions,
      knowledgeEmptiedRows: job.knowledgeEmptiedRows + knowledge.rowsEmptied,
      entityTypes: JSON.stringify({ columns: entityColumns, types } satisfies EntityColumns),
      updatedAt: (deps.now ?? Date.now)(),
    })
    .where(and(eq(datasetJobs.id, job.id), eq(datasetJobs.partsWritten, job.partsWritten), inArray(datasetJobs.state, UNFINISHED)));
  return undefined;
}
