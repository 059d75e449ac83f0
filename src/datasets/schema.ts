import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** What a job's steps add up, kept per chunk and summed per job (fresh builders for each table). */
const progressColumns = () => ({
  entitiesProcessed: integer("entities_processed").notNull().default(0),
  filesRead: integer("files_read").notNull().default(0),
  bytesRead: integer("bytes_read").notNull().default(0),
  rowsWritten: integer("rows_written").notNull().default(0),
  /** Entity rows with versions excluded only by knowledge time, and those it left without some group's features (datasets/dataset.ts). */
  knowledgeExcludedRows: integer("knowledge_excluded_rows").notNull().default(0),
  knowledgeEmptiedRows: integer("knowledge_emptied_rows").notNull().default(0),
});

/** The progress columns by name: the same in dataset_jobs and dataset_job_chunks. */
export type ProgressKey = keyof ReturnType<typeof progressColumns>;
export const PROGRESS_KEYS = Object.keys(progressColumns()) as ProgressKey[];

/**
 * D1 tables of the query worker. dataset_jobs: asynchronous point-in-time
 * dataset jobs (docs/time-travel.md, "Asynchronous jobs"): what was asked,
 * how far the job got, where its result is, or why it failed.
 */
export const datasetJobs = sqliteTable(
  "dataset_jobs",
  {
    id: text("id").primaryKey(),
    /** queued, running, succeeded, failed or cancelled. */
    state: text("state").notNull(),
    format: text("format").notNull(),
    /** The validated job (groups, options, entity source), JSON. */
    spec: text("spec").notNull(),
    chunksTotal: integer("chunks_total"),
    /** Chunks whose every step is done. This and the sums below add up dataset_job_chunks after every step. */
    chunksDone: integer("chunks_done").notNull().default(0),
    /** Chunks whose message was sent: chunk 0 runs on the job's own message, the rest fan out once it is done. */
    chunksQueued: integer("chunks_queued").notNull().default(1),
    /** Steps done, each one part object (dataset-jobs/<id>/parts/<chunk>-<step>). */
    partsWritten: integer("parts_written").notNull().default(0),
    entitiesTotal: integer("entities_total"),
    ...progressColumns(),
    /** Entity column types fixed by the first chunk (Parquet and Arrow output), JSON. */
    entityTypes: text("entity_types"),
    resultKey: text("result_key"),
    resultBytes: integer("result_bytes"),
    error: text("error"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    finishedAt: integer("finished_at"),
  },
  // The every-minute sweep for stalled jobs (job-run.ts resumeStalledJobs) reads only unfinished ones.
  (t) => [index("dataset_jobs_by_state_updated").on(t.state, t.updatedAt)],
);

/**
 * One entity chunk of a dataset job: chunks run in parallel (one queue
 * message each), so each keeps its own progress. steps_done guards a
 * step's update: a redelivered step that lost the race changes nothing.
 */
export const datasetJobChunks = sqliteTable(
  "dataset_job_chunks",
  {
    jobId: text("job_id").notNull(),
    chunk: integer("chunk").notNull(),
    /** Entity rows of the chunk that its steps joined: a wide chunk takes several steps. */
    rowsDone: integer("rows_done").notNull().default(0),
    stepsDone: integer("steps_done").notNull().default(0),
    done: integer("done", { mode: "boolean" }).notNull().default(false),
    ...progressColumns(),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.chunk] })],
);
