import { and, asc, count, eq, inArray, lt, sql, sum, type AnyColumn } from "drizzle-orm";
import { MAX_SEND_MESSAGES } from "../offline/message";
import { putInParts } from "../offline/parquet-stream";
import { FooterMemo, ObjectGone } from "../parquet";
import { addStats, emptyStats, type ReadStats } from "../query/row-groups";
import { datasetColumns, joinEntities, knowledgeReport } from "./dataset";
import { describeFailure, failJob, getJob, UNFINISHED, type JobDeps, type JobMessage, type JobRow, type JobSpec, type JobState } from "./dataset-jobs";
import { fitsEntityType, inferEntityTypes, type EntityTypeName } from "./encode";
import { parseEntities } from "./entities";
import { MAX_CHUNK_ROWS, readChunk, sourceLayout, type EntityChunk } from "./entity-source";
import { encodePart } from "./job-parts";
import { assemble, deleteParts, partKey } from "./job-result";
import { datasetJobChunks, datasetJobs, PROGRESS_KEYS, type ProgressKey } from "./schema";

/**
 * Running a dataset job: one queue message per entity chunk, so chunks run
 * in parallel on as many consumer invocations as the queue grants.
 *
 * The job's own message ({jobId}) sizes the entity list and runs chunk 0,
 * which fixes the entity columns' types; then it sends one message per
 * further chunk ({jobId, chunk}). Each message takes steps of its chunk for
 * a while and sends itself again until the chunk is done. A step joins as
 * many of the chunk's rows as make at most MAX_STEP_CELLS result cells,
 * writes them as part (chunk, step) and records progress in the chunk's
 * row. The message that finds every chunk done sends the job's message
 * once more, which concatenates the parts into the result.
 *
 * Delivery is at least once: a message that comes again finds its step
 * counted (the update is guarded by the chunk's steps_done) or writes the
 * same part again (steps are fixed by the chunk's progress and the data);
 * fan-out and the final message may go twice, and the second finds
 * nothing left to do.
 */

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

type ChunkRow = typeof datasetJobChunks.$inferSelect;
type StepDeps = JobDeps & { footers: FooterMemo };

interface EntityColumns {
  columns: string[];
  types: Record<string, EntityTypeName>;
}

/** The chunk the invocation's last step read: the next step of the same chunk takes it from here. */
interface HeldChunk {
  n: number;
  chunk: EntityChunk;
}

async function chunkProgress(deps: JobDeps, jobId: string, n: number): Promise<Pick<ChunkRow, "rowsDone" | "stepsDone" | "done">> {
  const row = await deps.db.select().from(datasetJobChunks).where(and(eq(datasetJobChunks.jobId, jobId), eq(datasetJobChunks.chunk, n))).get();
  return row ?? { rowsDone: 0, stepsDone: 0, done: false };
}

/**
 * Runs one message of a job for up to STEP_BUDGET_MS (or INVOCATION_READS
 * offline reads); sends it again if its work is not finished.
 */
export async function runJobMessage(deps: JobDeps, message: JobMessage): Promise<void> {
  const started = Date.now();
  const reads = emptyStats();
  const stepDeps: StepDeps = { ...deps, footers: new FooterMemo() };
  const id = message.jobId;
  const n = message.chunk ?? 0;
  let held: HeldChunk | undefined;
  // A job that ends without a result keeps no parts.
  const fail = async (error: string) => {
    await failJob(deps, id, error);
    await deleteParts(deps.bucket, id);
  };
  for (;;) {
    const job = await getJob(deps.db, id);
    if (!job || job.state === "succeeded") return;
    // Another message may have written a part since the job ended: whichever message finds it so deletes them.
    if (job.state === "cancelled" || job.state === "failed") return deleteParts(deps.bucket, id);
    const spec = JSON.parse(job.spec) as JobSpec;
    try {
      if (job.chunksTotal === null) {
        const layout = await sourceLayout(deps.bucket, spec.source);
        if (!layout.ok) return fail(describeFailure(layout.failure));
        await deps.db
          .update(datasetJobs)
          .set({ state: "running", chunksTotal: layout.value.chunks, entitiesTotal: layout.value.rows ?? null, updatedAt: (deps.now ?? Date.now)() })
          .where(and(eq(datasetJobs.id, id), inArray(datasetJobs.state, UNFINISHED)));
        continue;
      }
      const jobMessage = message.chunk === undefined;
      if (jobMessage && job.chunksDone === job.chunksTotal) return finish(deps, job, spec);
      const progress = await chunkProgress(deps, id, n);
      if (progress.done) {
        if (jobMessage) return fanOut(deps, job);
        // Whichever chunk message finds them all done hands the result to the job's message.
        if (job.chunksDone === job.chunksTotal) await deps.queue.send({ jobId: id });
        return;
      }
      if (held?.n !== n) {
        const layout = await sourceLayout(deps.bucket, spec.source);
        if (!layout.ok) return fail(describeFailure(layout.failure));
        const read = await readChunk(deps.bucket, spec.source, layout.value, n);
        if (!read.ok) return fail(describeFailure(read.failure));
        held = { n, chunk: read.value };
      }
      const failure = await takeStep(stepDeps, job, spec, n, progress, held.chunk, reads);
      if (failure !== undefined) return fail(failure);
    } catch (error) {
      if (error instanceof ObjectGone) return fail(`entities.object ${error.key.replace(/^uploads\//, "")} does not exist (upload it with PUT /v1/uploads/{name})`);
      // Anything else (R2 or D1 failing for a moment, a bug) goes to the queue, which delivers the message again; every step is safe to repeat, and the dead-letter queue ends the job if it keeps failing.
      throw error;
    }
    if (Date.now() - started >= (deps.stepBudgetMs ?? STEP_BUDGET_MS) || reads.filesRead + reads.rowGroupsRead > INVOCATION_READS) {
      await deps.queue.send(message);
      return;
    }
  }
}

/**
 * An unfinished job that has not moved for this long has lost its messages:
 * a local queue lives in memory, so a restarted `wrangler dev` forgets what
 * it had not delivered. A step updates the job within seconds, and an
 * invocation hands over after STEP_BUDGET_MS.
 */
export const STALLED_MS = 5 * 60_000;

/**
 * Sends a stalled job's messages again: the job's own and one per queued
 * chunk not yet done. Every message is safe to run twice. The first caller
 * to move the job's updated_at wins, so clients polling together send them
 * once. Returns whether it sent them.
 */
export async function resumeStalledJob(deps: JobDeps, id: string): Promise<boolean> {
  const now = (deps.now ?? Date.now)();
  const job = await getJob(deps.db, id);
  if (!job || !UNFINISHED.includes(job.state as JobState) || now - job.updatedAt < STALLED_MS) return false;
  const claimed = await deps.db
    .update(datasetJobs)
    .set({ updatedAt: now })
    .where(and(eq(datasetJobs.id, id), eq(datasetJobs.updatedAt, job.updatedAt), inArray(datasetJobs.state, UNFINISHED)))
    .returning({ id: datasetJobs.id });
  if (claimed.length === 0) return false;
  const done = new Set((await deps.db.select({ chunk: datasetJobChunks.chunk }).from(datasetJobChunks).where(and(eq(datasetJobChunks.jobId, id), eq(datasetJobChunks.done, true))).all()).map((r) => r.chunk));
  const queued = Math.min(job.chunksQueued, job.chunksTotal ?? 0);
  await deps.queue.send({ jobId: id });
  await sendChunks(deps, id, chunkRange(1, queued).filter((n) => !done.has(n)));
  return true;
}

const chunkRange = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);

/** One message per chunk, at most MAX_SEND_MESSAGES to a sendBatch. */
async function sendChunks(deps: JobDeps, jobId: string, chunks: readonly number[]): Promise<void> {
  for (let i = 0; i < chunks.length; i += MAX_SEND_MESSAGES) await deps.queue.sendBatch(chunks.slice(i, i + MAX_SEND_MESSAGES).map((chunk) => ({ body: { jobId, chunk } })));
}

/** Stalled jobs one sweep resumes, oldest first; the next sweep takes the rest. */
const RESUMED_PER_SWEEP = 20;

/** Resumes the jobs that stalled (see resumeStalledJob), for a cron trigger: whoever polls them, or nobody. Returns how many. */
export async function resumeStalledJobs(deps: JobDeps): Promise<number> {
  const now = (deps.now ?? Date.now)();
  const stalled = await deps.db
    .select({ id: datasetJobs.id })
    .from(datasetJobs)
    .where(and(inArray(datasetJobs.state, UNFINISHED), lt(datasetJobs.updatedAt, now - STALLED_MS)))
    .orderBy(asc(datasetJobs.updatedAt))
    .limit(RESUMED_PER_SWEEP)
    .all();
  let resumed = 0;
  for (const { id } of stalled) if (await resumeStalledJob(deps, id)) resumed += 1;
  return resumed;
}

/** Sends one message per chunk after 0 that has none yet; chunks_queued remembers how far it got. */
async function fanOut(deps: JobDeps, job: JobRow): Promise<void> {
  const total = job.chunksTotal ?? 0;
  for (let from = job.chunksQueued; from < total; from += MAX_SEND_MESSAGES) {
    const to = Math.min(total, from + MAX_SEND_MESSAGES);
    await sendChunks(deps, job.id, chunkRange(from, to));
    await deps.db.update(datasetJobs).set({ chunksQueued: to }).where(eq(datasetJobs.id, job.id));
  }
}

/** Concatenates every chunk's parts, in chunk then step order, into the result. */
async function finish(deps: JobDeps, job: JobRow, spec: JobSpec): Promise<void> {
  const chunks = await deps.db.select({ chunk: datasetJobChunks.chunk, steps: datasetJobChunks.stepsDone }).from(datasetJobChunks).where(eq(datasetJobChunks.jobId, job.id)).orderBy(asc(datasetJobChunks.chunk)).all();
  const parts = chunks.flatMap(({ chunk, steps }) => Array.from({ length: steps }, (_, step) => partKey(job.id, chunk, step)));
  const result = await assemble(deps.bucket, job.id, spec.format, parts);
  const at = (deps.now ?? Date.now)();
  await deps.db
    .update(datasetJobs)
    .set({ state: "succeeded", resultKey: result.key, resultBytes: result.bytes, entitiesTotal: job.entitiesProcessed, updatedAt: at, finishedAt: at })
    .where(and(eq(datasetJobs.id, job.id), inArray(datasetJobs.state, UNFINISHED)));
  await deleteParts(deps.bucket, job.id);
  // Cancelled while assembling: the result is not the job's, so it goes too.
  if ((await getJob(deps.db, job.id))?.state === "cancelled") await deps.bucket.delete(result.key);
}

/**
 * One step: the next rows of chunk n, as many as make at most `stepCells`
 * result cells, joined and written as part (n, stepsDone). The chunk's
 * progress moves in one upsert guarded by steps_done, and the job's totals
 * are summed again from its chunks, so a redelivered step that lost the
 * race changes nothing. Returns why the job fails, if it does.
 */
async function takeStep(deps: StepDeps, job: JobRow, spec: JobSpec, n: number, progress: Pick<ChunkRow, "rowsDone" | "stepsDone">, chunk: EntityChunk, reads: ReadStats): Promise<string | undefined> {
  if (chunk.count > MAX_CHUNK_ROWS) return `entities.object chunk ${n} holds ${chunk.count} rows; at most ${MAX_CHUNK_ROWS} per chunk`;
  const fixed: EntityColumns | undefined = job.entityTypes ? (JSON.parse(job.entityTypes) as EntityColumns) : undefined;
  const entityColumns = fixed?.columns ?? chunk.columns;
  if (!entityColumns.includes(spec.timestampColumn)) return `entities.object has no column ${spec.timestampColumn} (timestampColumn)`;
  const outputColumns = datasetColumns(spec.groups, entityColumns, spec.options);
  const twice = outputColumns.find((c, i) => outputColumns.indexOf(c) !== i);
  if (twice !== undefined) return `the output column ${twice} would appear twice (an entity column has a feature's prefixed name): choose another prefix`;
  // Chunk 0 fixes the types from all its rows, whatever part of it the first step joins; later chunks run only after it.
  const types = fixed?.types ?? inferEntityTypes(entityColumns, chunk.column);
  const from = progress.rowsDone;
  const to = Math.min(chunk.count, from + stepRows(deps.stepCells ?? MAX_STEP_CELLS, spec.options.mostRecent, outputColumns.length));
  const entityRows = chunk.rows(from, to);
  for (const column of entityColumns) {
    if ((spec.format === "parquet" || spec.format === "arrow") && !fitsEntityType(types[column]!, entityRows.map((r) => r[column]))) {
      return `entities column ${column} was ${types[column]} in the first rows but not in rows from ${chunk.rowName(from)}: a typed result (${spec.format}) needs one type per column`;
    }
  }
  const entities = parseEntities(entityRows, (i) => chunk.rowName(from + i), spec.timestampColumn, spec.entityGroups);
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
    first: n === 0 && from === 0,
    ...(chunk.table ? { entityTable: chunk.table.slice(from, to) } : {}),
  });
  await putInParts(deps.bucket, partKey(job.id, n, progress.stepsDone), part.stream, {});
  const knowledge = knowledgeReport(joined.value);
  const c = datasetJobChunks;
  const added: Record<ProgressKey, number> = {
    entitiesProcessed: to - from,
    filesRead: stats.filesRead,
    bytesRead: stats.bytesRead,
    rowsWritten: part.rows,
    knowledgeExcludedRows: knowledge.rowsWithExcludedVersions,
    knowledgeEmptiedRows: knowledge.rowsEmptied,
  };
  const position = { rowsDone: to, stepsDone: progress.stepsDone + 1, done: to >= chunk.count };
  const byColumn = <T>(value: (key: ProgressKey) => T) => Object.fromEntries(PROGRESS_KEYS.map((key) => [key, value(key)])) as Record<ProgressKey, T>;
  const chunkTotal = (column: AnyColumn) => sql<number>`coalesce((${deps.db.select({ total: sum(column) }).from(c).where(eq(c.jobId, job.id))}), 0)`;
  await deps.db.batch([
    deps.db
      .insert(c)
      .values({ jobId: job.id, chunk: n, ...position, ...added })
      .onConflictDoUpdate({
        target: [c.jobId, c.chunk],
        set: { ...position, ...byColumn((key) => sql`${c[key]} + ${added[key]}`) },
        setWhere: eq(c.stepsDone, progress.stepsDone),
      }),
    deps.db
      .update(datasetJobs)
      .set({
        state: "running",
        chunksDone: sql<number>`(${deps.db.select({ done: count() }).from(c).where(and(eq(c.jobId, job.id), eq(c.done, true)))})`,
        partsWritten: chunkTotal(c.stepsDone),
        ...byColumn((key) => chunkTotal(c[key])),
        entityTypes: sql`coalesce(${datasetJobs.entityTypes}, ${JSON.stringify({ columns: entityColumns, types } satisfies EntityColumns)})`,
        updatedAt: (deps.now ?? Date.now)(),
      })
      .where(and(eq(datasetJobs.id, job.id), inArray(datasetJobs.state, UNFINISHED))),
  ]);
  return undefined;
}
