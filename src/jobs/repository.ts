import { and, asc, desc, eq, gt, inArray, isNull, lt, lte, or, sql } from "drizzle-orm";
import type { CatalogDb } from "../catalog";
import type { Failure } from "../failure";
import { availabilityJson, parseAvailability } from "../records";
import type { RowProblem } from "../service";
import type { Job, JobKind, JobMode, RunStatus, RunTrigger, SourceFormat } from "./model";
import { jobFiles, jobRuns, jobs, type JobFileRow, type JobRow, type JobRunRow } from "./schema";

/** D1 access for jobs, runs and the ingestion ledger. */

export function jobOf(row: JobRow): Job {
  return {
    id: row.id,
    kind: row.kind as JobKind,
    featureGroup: row.featureGroup,
    ...(row.description !== null ? { description: row.description } : {}),
    ...(row.sourcePrefix !== null ? { source: { prefix: row.sourcePrefix } } : {}),
    ...(row.format !== null ? { format: row.format as SourceFormat } : {}),
    mode: row.mode as JobMode,
    schedule: row.schedule,
    enabled: row.enabled,
    ...availabilityOf(row.availability),
    nextRunAt: row.nextRunAt,
    activeRunId: row.activeRunId,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** A stored availability (written by rowOf from a parsed one). */
function availabilityOf(text: string | null): Pick<Job, "availability"> {
  if (text === null) return {};
  const parsed = parseAvailability("availability", JSON.parse(text));
  return parsed.ok ? { availability: parsed.value } : {};
}

function rowOf(job: Job): JobRow {
  return {
    id: job.id,
    kind: job.kind,
    featureGroup: job.featureGroup,
    description: job.description ?? null,
    sourcePrefix: job.source?.prefix ?? null,
    format: job.format ?? null,
    mode: job.mode,
    schedule: job.schedule,
    enabled: job.enabled,
    availability: job.availability ? JSON.stringify(availabilityJson(job.availability)) : null,
    nextRunAt: job.nextRunAt,
    activeRunId: job.activeRunId,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
  };
}

export async function insertJob(db: CatalogDb, job: Job): Promise<void> {
  await db.insert(jobs).values(rowOf(job)).run();
}

export async function getJob(db: CatalogDb, id: string): Promise<Job | null> {
  const row = await db.select().from(jobs).where(eq(jobs.id, id)).get();
  return row ? jobOf(row) : null;
}

/** Jobs in id order after a cursor, or (`before`, the web catalog's Previous) the ones just before one, optionally of one group. */
export async function listJobs(db: CatalogDb, options: { featureGroup?: string; after?: string; before?: string; limit: number }): Promise<Job[]> {
  const backwards = options.before !== undefined;
  const rows = await db
    .select()
    .from(jobs)
    .where(
      and(
        options.featureGroup !== undefined ? eq(jobs.featureGroup, options.featureGroup) : undefined,
        options.after !== undefined ? gt(jobs.id, options.after) : undefined,
        options.before !== undefined ? lt(jobs.id, options.before) : undefined,
      ),
    )
    .orderBy(backwards ? desc(jobs.id) : asc(jobs.id))
    .limit(options.limit)
    .all();
  return (backwards ? rows.reverse() : rows).map(jobOf);
}

/** Writes a job's definition and schedule state (not its active run, which only run bookkeeping changes). */
export async function saveJob(db: CatalogDb, job: Job): Promise<void> {
  const { id: _id, activeRunId: _active, createdAt: _created, ...rest } = rowOf(job);
  await db.update(jobs).set(rest).where(eq(jobs.id, job.id)).run();
}

/** Removes a job with its runs and ledger (a job re-created later starts with an empty ledger). */
export async function deleteJob(db: CatalogDb, id: string): Promise<void> {
  await db.batch([db.delete(jobFiles).where(eq(jobFiles.jobId, id)), db.delete(jobRuns).where(eq(jobRuns.jobId, id)), db.delete(jobs).where(eq(jobs.id, id))]);
}

/** Enabled jobs whose schedule fired at or before `now`. */
export async function dueJobs(db: CatalogDb, now: number, limit: number): Promise<Job[]> {
  const rows = await db.select().from(jobs).where(and(eq(jobs.enabled, true), lte(jobs.nextRunAt, now))).orderBy(asc(jobs.nextRunAt)).limit(limit).all();
  return rows.map(jobOf);
}

/**
 * Moves a job's next fire time on, only if it is still `expected`: of two
 * overlapping cron invocations exactly one takes a tick.
 */
export async function takeTick(db: CatalogDb, jobId: string, expected: number, next: number | null): Promise<boolean> {
  const result = await db.update(jobs).set({ nextRunAt: next }).where(and(eq(jobs.id, jobId), eq(jobs.nextRunAt, expected))).run();
  return result.meta.changes === 1;
}

/**
 * Starts a run unless the job already has one in progress: the job's
 * active_run_id is set conditionally and the run row is inserted only if it
 * was, in one transaction. Returns false when another run is active.
 */
export async function startRun(db: CatalogDb, jobId: string, runId: string, trigger: RunTrigger, now: number): Promise<boolean> {
  const [, inserted] = await db.$client.batch([
    db.$client.prepare("UPDATE jobs SET active_run_id = ?1 WHERE id = ?2 AND active_run_id IS NULL").bind(runId, jobId),
    db.$client
      .prepare(
        `INSERT INTO job_runs (id, job_id, trigger, status, started_at)
         SELECT ?1, ?2, ?3, 'running', ?4 WHERE (SELECT active_run_id FROM jobs WHERE id = ?2) = ?1`,
      )
      .bind(runId, jobId, trigger, now),
  ]);
  return inserted?.meta.changes === 1;
}

export async function getRun(db: CatalogDb, jobId: string, runId: string): Promise<JobRunRow | null> {
  return (await db.select().from(jobRuns).where(and(eq(jobRuns.jobId, jobId), eq(jobRuns.id, runId))).get()) ?? null;
}

/** A run's place in the newest-first list: start time, then id. */
export interface RunPlace {
  startedAt: number;
  id: string;
}

/**
 * A job's runs, newest first: before a start time, or just older than a
 * run (`older`), or just newer than one (`newer`, the web catalog's
 * Previous; still newest first).
 */
export async function listRuns(db: CatalogDb, jobId: string, options: { limit: number; before?: number; older?: RunPlace; newer?: RunPlace }): Promise<JobRunRow[]> {
  const r = jobRuns;
  const { older, newer } = options;
  const rows = await db
    .select()
    .from(r)
    .where(
      and(
        eq(r.jobId, jobId),
        options.before !== undefined ? lt(r.startedAt, options.before) : undefined,
        older ? or(lt(r.startedAt, older.startedAt), and(eq(r.startedAt, older.startedAt), lt(r.id, older.id))) : undefined,
        newer ? or(gt(r.startedAt, newer.startedAt), and(eq(r.startedAt, newer.startedAt), gt(r.id, newer.id))) : undefined,
      ),
    )
    .orderBy(...(newer ? [asc(r.startedAt), asc(r.id)] : [desc(r.startedAt), desc(r.id)]))
    .limit(options.limit)
    .all();
  return newer ? rows.reverse() : rows;
}

/** Runs still in progress whose lease has lapsed (or was never taken): work for this tick. */
export async function runsToContinue(db: CatalogDb, now: number, limit: number): Promise<JobRunRow[]> {
  return db
    .select()
    .from(jobRuns)
    .where(and(eq(jobRuns.status, "running"), or(isNull(jobRuns.leaseUntil), lt(jobRuns.leaseUntil, now))))
    .orderBy(asc(jobRuns.startedAt))
    .limit(limit)
    .all();
}

/** Takes a running run's lease until `until`, unless another invocation holds it. */
export async function leaseRun(db: CatalogDb, runId: string, now: number, until: number): Promise<boolean> {
  const result = await db
    .update(jobRuns)
    .set({ leaseUntil: until })
    .where(and(eq(jobRuns.id, runId), eq(jobRuns.status, "running"), or(isNull(jobRuns.leaseUntil), lt(jobRuns.leaseUntil, now))))
    .run();
  return result.meta.changes === 1;
}

export interface RunProgress {
  rowsRead: number;
  rowsWritten: number;
  rowsInvalid: number;
  rowsOlderIgnored: number;
  cursor: string | null;
}

/** Materialise: adds a slice's counts and moves the cursor. */
export async function addRunProgress(db: CatalogDb, runId: string, progress: RunProgress): Promise<void> {
  await db
    .update(jobRuns)
    .set({
      rowsRead: sql`${jobRuns.rowsRead} + ${progress.rowsRead}`,
      rowsWritten: sql`${jobRuns.rowsWritten} + ${progress.rowsWritten}`,
      rowsInvalid: sql`${jobRuns.rowsInvalid} + ${progress.rowsInvalid}`,
      rowsOlderIgnored: sql`${jobRuns.rowsOlderIgnored} + ${progress.rowsOlderIgnored}`,
      cursor: progress.cursor,
    })
    .where(eq(jobRuns.id, runId))
    .run();
}

/** Ingest: the run's counts are the sums over its ledger rows. */
export async function totalRunFromLedger(db: CatalogDb, runId: string): Promise<void> {
  await db.$client
    .prepare(
      `UPDATE job_runs SET
         files_ingested = (SELECT COUNT(*) FROM job_files WHERE run_id = ?1 AND state = 'ingested'),
         files_failed = (SELECT COUNT(*) FROM job_files WHERE run_id = ?1 AND state = 'failed'),
         rows_read = (SELECT COALESCE(SUM(rows_read), 0) FROM job_files WHERE run_id = ?1),
         rows_written = (SELECT COALESCE(SUM(rows_written), 0) FROM job_files WHERE run_id = ?1),
         rows_invalid = (SELECT COALESCE(SUM(rows_invalid), 0) FROM job_files WHERE run_id = ?1),
         rows_older_ignored = (SELECT COALESCE(SUM(rows_older_ignored), 0) FROM job_files WHERE run_id = ?1)
       WHERE id = ?1`,
    )
    .bind(runId)
    .run();
}

/** Ends a run and frees its job for the next one, in one transaction. */
export async function finishRun(db: CatalogDb, run: { id: string; jobId: string }, status: Exclude<RunStatus, "running">, error: Failure | null, now: number): Promise<void> {
  await db.batch([
    db.update(jobRuns).set({ status, finishedAt: now, leaseUntil: null, error: error ? JSON.stringify(error) : null }).where(eq(jobRuns.id, run.id)),
    db.update(jobs).set({ activeRunId: null }).where(and(eq(jobs.id, run.jobId), eq(jobs.activeRunId, run.id))),
  ]);
}

/** Hands the run back so the next tick continues it. */
export async function releaseRun(db: CatalogDb, runId: string): Promise<void> {
  await db.update(jobRuns).set({ leaseUntil: null }).where(eq(jobRuns.id, runId)).run();
}

/** D1 allows 100 bound parameters per statement. */
const KEYS_PER_QUERY = 90;

/** The ledger's versions (key → etags) among these keys. */
export async function ledgerVersions(db: CatalogDb, jobId: string, keys: readonly string[]): Promise<Map<string, Set<string>>> {
  const found = new Map<string, Set<string>>();
  for (let i = 0; i < keys.length; i += KEYS_PER_QUERY) {
    const rows = await db
      .select({ key: jobFiles.objectKey, etag: jobFiles.etag })
      .from(jobFiles)
      .where(and(eq(jobFiles.jobId, jobId), inArray(jobFiles.objectKey, keys.slice(i, i + KEYS_PER_QUERY))))
      .all();
    for (const row of rows) {
      const etags = found.get(row.key) ?? new Set<string>();
      etags.add(row.etag);
      found.set(row.key, etags);
    }
  }
  return found;
}

/** Claims one object version for a run; false when the job already took it (here or in another run). */
export async function claimFile(db: CatalogDb, file: { jobId: string; objectKey: string; etag: string; size: number; runId: string }, now: number): Promise<boolean> {
  const result = await db
    .insert(jobFiles)
    .values({ ...file, state: "claimed", claimedAt: now })
    .onConflictDoNothing()
    .run();
  return result.meta.changes === 1;
}

export interface FileOutcome {
  state: "ingested" | "failed";
  rowsRead: number;
  rowsWritten: number;
  rowsInvalid: number;
  rowsOlderIgnored: number;
  error: FileError | null;
}

/** Why a file failed: the failure (rendered by the HTTP layer) and, for invalid rows, which rows and why. */
export interface FileError {
  code: string;
  failure: Failure;
  problems?: RowProblem[];
}

export async function finishFile(db: CatalogDb, key: { jobId: string; objectKey: string; etag: string }, outcome: FileOutcome, now: number): Promise<void> {
  await db
    .update(jobFiles)
    .set({ ...outcome, error: outcome.error ? JSON.stringify(outcome.error) : null, finishedAt: now })
    .where(and(eq(jobFiles.jobId, key.jobId), eq(jobFiles.objectKey, key.objectKey), eq(jobFiles.etag, key.etag)))
    .run();
}

/**
 * Claims of a run left behind by an invocation that stopped (its lease ran
 * out). Such a file may be partly written, so it is reported failed and
 * never taken again: at most once, never twice.
 */
export async function failAbandonedClaims(db: CatalogDb, runId: string, now: number): Promise<number> {
  const error: FileError = {
    code: "interrupted",
    failure: {
      reason: "unavailable",
      detail: "the invocation ingesting this file stopped before it finished; some rows may have been written. Upload the object again (a new version) to ingest it again",
    },
  };
  const result = await db
    .update(jobFiles)
    .set({ state: "failed", error: JSON.stringify(error), finishedAt: now })
    .where(and(eq(jobFiles.runId, runId), eq(jobFiles.state, "claimed")))
    .run();
  return result.meta.changes;
}

/** A run's files: the failed ones first, at most `limit`. */
export async function runFiles(db: CatalogDb, runId: string, limit: number): Promise<JobFileRow[]> {
  return db
    .select()
    .from(jobFiles)
    .where(eq(jobFiles.runId, runId))
    .orderBy(sql`CASE ${jobFiles.state} WHEN 'failed' THEN 0 ELSE 1 END`, asc(jobFiles.objectKey))
    .limit(limit)
    .all();
}

/** Ingest: how far the run's listing got (R2 lists keys in order; the next slice starts after it). */
export async function setRunCursor(db: CatalogDb, runId: string, cursor: string | null): Promise<void> {
  await db.update(jobRuns).set({ cursor }).where(eq(jobRuns.id, runId)).run();
}

export async function getRunById(db: CatalogDb, runId: string): Promise<JobRunRow | null> {
  return (await db.select().from(jobRuns).where(eq(jobRuns.id, runId)).get()) ?? null;
}
