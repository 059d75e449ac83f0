import type { Env } from "../env";
import { fail, ok, type Result } from "../failure";
import { storeContext, type StoreContext } from "../service";
import { nextFireAfter, parseCron } from "./cron";
import { ingestObject } from "./ingest-object";
import { materializeSlice } from "./materialize";
import { PAGE_IDENTIFIERS, paritySlice } from "../parity";
import type { Job, RunTrigger } from "./model";
import {
  addRunProgress,
  claimFile,
  dueJobs,
  failAbandonedClaims,
  finishFile,
  finishRun,
  getJob,
  getRunById,
  leaseRun,
  ledgerVersions,
  releaseRun,
  runsToContinue,
  setRunCursor,
  startRun,
  takeTick,
  totalRunFromLedger,
} from "./repository";
import type { JobRunRow } from "./schema";

/**
 * Runs jobs in bounded slices. A cron tick (every minute) first continues
 * runs still in progress, then starts the jobs whose schedule is due. A
 * slice stops after `filesPerSlice` files, `bytesPerSlice` bytes,
 * `rowsPerSlice` rows or `sliceMs` of wall time (materialise: `materializePages` pages), records
 * where it got to on the run, and hands the run back; the next tick goes
 * on from there. So no invocation has to outlast the Workers CPU and
 * subrequest limits, however much has landed.
 */
export type JobsEnv = Pick<Env, "DB" | "RECORD_SHARD" | "OFFLINE_BUCKET" | "INGEST_BUCKET" | "QUERY" | "OFFLINE_PREFIX" | "OFFLINE_BUCKET_NAME">;

export interface SlicePolicy {
  filesPerSlice: number;
  bytesPerSlice: number;
  /**
   * Rows written per slice. Bulk ingest sends 500 rows per shard RPC, and
   * every RPC is a subrequest (1,000 per invocation): 100,000 rows stay near
   * 200 RPCs plus one partial chunk per shard and file.
   */
  rowsPerSlice: number;
  sliceMs: number;
  /** R2 list pages (1,000 keys each) one slice may scan. */
  listPages: number;
  materializePages: number;
  /** Parity audits: pages per slice (fewer for groups of many shards), and identifiers per page. */
  parityPages: number;
  parityPageIdentifiers: number;
  /** Runs in progress continued per tick, and due jobs started per tick. */
  runsPerTick: number;
  dueJobsPerTick: number;
  /** How long a slice may hold a run; a holder gone longer is presumed dead. */
  leaseMs: number;
}

export const DEFAULT_SLICE_POLICY: SlicePolicy = {
  filesPerSlice: 20,
  bytesPerSlice: 64 * 1024 * 1024,
  rowsPerSlice: 100_000,
  sliceMs: 60_000,
  listPages: 10,
  materializePages: 4,
  parityPages: 10,
  parityPageIdentifiers: PAGE_IDENTIFIERS,
  runsPerTick: 5,
  dueJobsPerTick: 20,
  leaseMs: 15 * 60_000,
};

export interface TickReport {
  continued: number;
  started: number;
}

/** The cron entry point: continue runs in progress, then start due jobs. */
export async function runJobsTick(env: JobsEnv, scheduledTime: number, policy: SlicePolicy = DEFAULT_SLICE_POLICY): Promise<TickReport> {
  const db = storeContext(env, Date.now()).db;
  const report: TickReport = { continued: 0, started: 0 };
  for (const run of await runsToContinue(db, Date.now(), policy.runsPerTick)) {
    const job = await getJob(db, run.jobId);
    if (!job) continue;
    await workRun(env, job, run, policy);
    report.continued += 1;
  }
  for (const job of await dueJobs(db, scheduledTime, policy.dueJobsPerTick)) {
    const cron = job.schedule !== null ? parseCron(job.schedule, "schedule") : null;
    const next = cron?.ok ? nextFireAfter(cron.value, scheduledTime) : null;
    // Missed fire times collapse into this one; of two overlapping ticks only one takes it.
    if (job.nextRunAt === null || !(await takeTick(db, job.id, job.nextRunAt, next))) continue;
    // A run still in progress lists the source again as it goes, so it takes the new files too.
    if (job.activeRunId !== null) continue;
    const run = await beginRun(env, job, "schedule");
    if (run.ok) {
      await workRun(env, job, run.value, policy);
      report.started += 1;
    }
  }
  return report;
}

async function beginRun(env: JobsEnv, job: Job, trigger: RunTrigger): Promise<Result<JobRunRow>> {
  const db = storeContext(env, Date.now()).db;
  const runId = crypto.randomUUID();
  if (!(await startRun(db, job.id, runId, trigger, Date.now()))) {
    const current = await getJob(db, job.id);
    return fail({ reason: "conflict", detail: `job ${job.id} already has run ${current?.activeRunId ?? "(finishing)"} in progress; wait for it, or poll it` });
  }
  const run = await getRunById(db, runId);
  return run ? ok(run) : fail({ reason: "resource_not_found", kind: "job run", name: runId });
}

/**
 * "Run now": starts a run and works its first slice before answering; later slices run on the cron tick.
 * `prepare` records what the run needs before its first slice (a parity audit's options).
 */
export async function runJobNow(env: JobsEnv, job: Job, policy: SlicePolicy = DEFAULT_SLICE_POLICY, prepare?: (run: JobRunRow) => Promise<void>): Promise<Result<JobRunRow>> {
  const run = await beginRun(env, job, "manual");
  if (!run.ok) return run;
  await prepare?.(run.value);
  await workRun(env, job, run.value, policy);
  const after = await getRunById(storeContext(env, Date.now()).db, run.value.id);
  return after ? ok(after) : fail({ reason: "resource_not_found", kind: "job run", name: run.value.id });
}

/** Works one slice of a run, if no other invocation holds it. */
async function workRun(env: JobsEnv, job: Job, run: JobRunRow, policy: SlicePolicy): Promise<void> {
  const started = Date.now();
  const store = storeContext(env, started);
  if (!(await leaseRun(store.db, run.id, started, started + policy.leaseMs))) return;
  try {
    if (job.kind === "materialize") await materializeRun(env, store, job, run, policy);
    else if (job.kind === "parity-audit") await parityAuditRun(env, store, job, run, policy, started);
    else await ingestRun(env, store, job, run, policy, started);
  } catch (error) {
    // Unexpected (storage down, a bug): end the run rather than retry a poison slice forever.
    console.error("job run failed", { jobId: job.id, runId: run.id, error: error instanceof Error ? error.stack ?? error.message : String(error) });
    await failAbandonedClaims(store.db, run.id, Date.now());
    await totalRunFromLedger(store.db, run.id);
    await finishRun(store.db, run, "failed", { reason: "unavailable", detail: "the run stopped on an unexpected error; the worker's logs name it by run id" }, Date.now());
  }
}

async function ingestRun(env: JobsEnv, store: StoreContext, job: Job, run: JobRunRow, policy: SlicePolicy, started: number): Promise<void> {
  const db = store.db;
  // Claims left by a holder that stopped are reported, never retried: at most once.
  await failAbandonedClaims(db, run.id, Date.now());
  const deps = { store, source: env.INGEST_BUCKET, offline: { bucket: env.OFFLINE_BUCKET, location: env } };
  let after = run.cursor;
  let files = 0;
  let bytes = 0;
  let rows = 0;
  const exhausted = () => files >= policy.filesPerSlice || bytes >= policy.bytesPerSlice || rows >= policy.rowsPerSlice || Date.now() - started >= policy.sliceMs;
  let done = false;
  scan: for (let page = 0; page < policy.listPages; page++) {
    const listing = await env.INGEST_BUCKET.list({ prefix: job.source!.prefix, ...(after !== null ? { startAfter: after } : {}), limit: 1000 });
    const known = await ledgerVersions(db, job.id, listing.objects.map((o) => o.key));
    for (const object of listing.objects) {
      if (exhausted()) break scan;
      // Keys ending in "/" are folder markers some tools create, not data.
      if (!object.key.endsWith("/") && !known.get(object.key)?.has(object.etag)) {
        const landed = { key: object.key, etag: object.etag, size: object.size };
        if (await claimFile(db, { jobId: job.id, objectKey: landed.key, etag: landed.etag, size: landed.size, runId: run.id }, Date.now())) {
          const outcome = await ingestObject({ ...deps, store: storeContext(env, Date.now()) }, job, landed, Date.now());
          await finishFile(db, { jobId: job.id, objectKey: landed.key, etag: landed.etag }, outcome, Date.now());
          files += 1;
          bytes += landed.size;
          rows += outcome.rowsRead;
        }
      }
      after = object.key;
    }
    if (!listing.truncated) {
      done = true;
      break;
    }
  }
  await totalRunFromLedger(db, run.id);
  if (!done) {
    await setRunCursor(db, run.id, after);
    await releaseRun(db, run.id);
    return;
  }
  const totals = await getRunById(db, run.id);
  const ingested = totals?.filesIngested ?? 0;
  const failed = totals?.filesFailed ?? 0;
  await finishRun(db, run, failed === 0 ? "succeeded" : ingested === 0 ? "failed" : "partial", null, Date.now());
}

async function materializeRun(env: JobsEnv, store: StoreContext, job: Job, run: JobRunRow, policy: SlicePolicy): Promise<void> {
  const { progress, done, failure } = await materializeSlice(env, store, job.featureGroup, run.cursor, policy.materializePages);
  await addRunProgress(store.db, run.id, progress);
  if (!done) {
    await releaseRun(store.db, run.id);
    return;
  }
  const totals = await getRunById(store.db, run.id);
  const status = failure ? ((totals?.rowsWritten ?? 0) > 0 ? "partial" : "failed") : (totals?.rowsInvalid ?? 0) > 0 ? "partial" : "succeeded";
  await finishRun(store.db, run, status, failure ?? null, Date.now());
}

/** A parity audit's result is its own (src/parity); the run counts the identifiers compared as rows read. */
async function parityAuditRun(env: JobsEnv, store: StoreContext, job: Job, run: JobRunRow, policy: SlicePolicy, started: number): Promise<void> {
  const slice = await paritySlice(env, store, run, job.featureGroup, { pages: policy.parityPages, pageIdentifiers: policy.parityPageIdentifiers, deadline: started + policy.sliceMs });
  await addRunProgress(store.db, run.id, { rowsRead: slice.identifiers, rowsWritten: 0, rowsInvalid: 0, rowsOlderIgnored: 0, cursor: null });
  if (!slice.done) {
    await releaseRun(store.db, run.id);
    return;
  }
  await finishRun(store.db, run, slice.failure ? "failed" : "succeeded", slice.failure ?? null, Date.now());
}
