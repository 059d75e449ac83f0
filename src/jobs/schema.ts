import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * D1 tables of scheduled jobs (docs/jobs.md; example rows in
 * docs/storage-layout.md). Times are epoch milliseconds.
 */

/** A job definition: what to load, where from, into which group, and when. */
export const jobs = sqliteTable(
  "jobs",
  {
    id: text("id").primaryKey(),
    /** ingest: load files from the landing bucket; materialize: offline store → online store. */
    kind: text("kind").notNull(),
    featureGroup: text("feature_group").notNull(),
    description: text("description"),
    /** Key prefix in INGEST_BUCKET (ingest jobs only). */
    sourcePrefix: text("source_prefix"),
    /** parquet | csv | ndjson (ingest jobs only). */
    format: text("format"),
    /** online | offline | both. */
    mode: text("mode").notNull(),
    /** Five-field cron expression (UTC); null: runs only when asked to. */
    schedule: text("schedule"),
    /** Ingest jobs: the knowledge time of offline rows as JSON ({"from": "eventTime", "delay": {...}}); null: when accepted. */
    availability: text("availability"),
    enabled: integer("enabled", { mode: "boolean" }).notNull(),
    /** When the schedule next fires; null when there is no schedule. */
    nextRunAt: integer("next_run_at"),
    /** The run in progress; set and cleared conditionally so a job never runs twice at once. */
    activeRunId: text("active_run_id"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("jobs_due").on(t.enabled, t.nextRunAt)],
);

/** One run of a job: its status, counts and, for materialise, where it got to. */
export const jobRuns = sqliteTable(
  "job_runs",
  {
    id: text("id").primaryKey(),
    jobId: text("job_id").notNull(),
    /** schedule | manual. */
    trigger: text("trigger").notNull(),
    /** running | succeeded | failed | partial. */
    status: text("status").notNull(),
    filesIngested: integer("files_ingested").notNull().default(0),
    filesFailed: integer("files_failed").notNull().default(0),
    rowsRead: integer("rows_read").notNull().default(0),
    rowsWritten: integer("rows_written").notNull().default(0),
    rowsInvalid: integer("rows_invalid").notNull().default(0),
    /** Rows the event-time rule kept out of the online store (a newer record was there). */
    rowsOlderIgnored: integer("rows_older_ignored").notNull().default(0),
    /** Materialise: the last identifier done (the as-of page cursor). */
    cursor: text("cursor"),
    /** Why the run as a whole failed (JSON {code, message}), when it did. */
    error: text("error"),
    /** Only one invocation works a run at a time; the holder's lease ends here. */
    leaseUntil: integer("lease_until"),
    startedAt: integer("started_at").notNull(),
    finishedAt: integer("finished_at"),
  },
  (t) => [index("job_runs_by_job").on(t.jobId, t.startedAt)],
);

/**
 * The ingestion ledger: each source object version (key + etag) a job has
 * taken. The row is claimed before the file is read, so two invocations can
 * never both ingest it, and it is never taken again by the same job.
 */
export const jobFiles = sqliteTable(
  "job_files",
  {
    jobId: text("job_id").notNull(),
    objectKey: text("object_key").notNull(),
    etag: text("etag").notNull(),
    runId: text("run_id").notNull(),
    /** claimed | ingested | failed. */
    state: text("state").notNull(),
    size: integer("size").notNull(),
    rowsRead: integer("rows_read").notNull().default(0),
    rowsWritten: integer("rows_written").notNull().default(0),
    rowsInvalid: integer("rows_invalid").notNull().default(0),
    rowsOlderIgnored: integer("rows_older_ignored").notNull().default(0),
    /** JSON {code, message, problems?: [{row, field, rule}]} when the file failed. */
    error: text("error"),
    claimedAt: integer("claimed_at").notNull(),
    finishedAt: integer("finished_at"),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.objectKey, t.etag] }), index("job_files_by_run").on(t.runId, t.state)],
);

export type JobRow = typeof jobs.$inferSelect;
export type JobRunRow = typeof jobRuns.$inferSelect;
export type JobFileRow = typeof jobFiles.$inferSelect;
