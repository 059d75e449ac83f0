/** Scheduled jobs: ingest from a landing bucket, materialise offline → online (docs/jobs.md). */
export * from "./model";
export { parseCron, nextFireAfter } from "./cron";
export { runJobsTick, runJobNow, DEFAULT_SLICE_POLICY, type JobsEnv, type SlicePolicy, type TickReport } from "./runner";
export * from "./repository";
export * from "./service";
export type { JobRunRow, JobFileRow } from "./schema";

/** The every-minute cron trigger (wrangler.toml) that runs due jobs. */
export const JOBS_CRON = "* * * * *";
