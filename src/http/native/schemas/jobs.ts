import { z } from "zod";
import { JOB_KINDS, JOB_MODES, RUN_STATUSES, SOURCE_FORMATS } from "../../../jobs";
import { VERDICTS } from "../../../parity";
import { itemError, named, timestamp } from "./common";

/** Answers of the scheduled-job and parity-audit routes (jobs.ts and parity.ts render them). */

const counts = z.object({ read: z.number().int(), written: z.number().int(), invalid: z.number().int(), olderEventTimeIgnored: z.number().int() });

export const job = named(
  "Job",
  z.object({
    id: z.string(),
    kind: z.enum(JOB_KINDS),
    featureGroup: z.string(),
    description: z.string().optional(),
    source: z.object({ bucket: z.literal("INGEST_BUCKET"), prefix: z.string() }).optional(),
    format: z.enum(SOURCE_FORMATS).optional(),
    mode: z.enum(JOB_MODES),
    availability: z.record(z.string(), z.unknown()).optional(),
    schedule: z.string().nullable().describe("A cron expression (UTC), or null for a job run only on demand."),
    enabled: z.boolean(),
    status: z.enum(["enabled", "paused"]),
    nextRunAt: timestamp.nullable(),
    activeRunId: z.string().nullable(),
    createdAt: timestamp.nullable(),
    updatedAt: timestamp.nullable(),
  }),
);

export const jobRun = named(
  "JobRun",
  z.object({
    id: z.string(),
    jobId: z.string(),
    trigger: z.enum(["schedule", "manual"]),
    status: z.enum(RUN_STATUSES),
    startedAt: timestamp.nullable(),
    finishedAt: timestamp.nullable(),
    files: z.object({ ingested: z.number().int(), failed: z.number().int() }),
    rows: counts,
    error: itemError.optional(),
    fileReports: z
      .array(
        z.object({
          key: z.string(),
          etag: z.string(),
          size: z.number().int(),
          status: z.string(),
          rows: counts,
          error: itemError.extend({ problems: z.array(z.unknown()).optional() }).optional(),
        }),
      )
      .optional()
      .describe("In GET of one run: its files, failed first (at most 1,000)."),
  }),
);

export const jobList = named("JobList", z.object({ jobs: z.array(job), nextAfter: z.string().optional() }));
export const jobRunList = named("JobRunList", z.object({ runs: z.array(jobRun) }));
export const jobWithRun = named("JobWithRun", z.object({ job, run: jobRun }));

export const parityAudit = named(
  "ParityAudit",
  z.object({
    id: z.string(),
    featureGroup: z.string(),
    jobId: z.string(),
    trigger: z.enum(["schedule", "manual"]).nullable(),
    status: z.enum(RUN_STATUSES),
    startedAt: timestamp.nullable(),
    finishedAt: timestamp.nullable(),
    progress: z.object({ identifiers: z.number().int(), pages: z.number().int(), pageIdentifiers: z.number().int(), lastIdentifier: z.string().nullable() }),
    counts: z.object(Object.fromEntries(VERDICTS.map((v) => [v, z.number().int()])) as Record<(typeof VERDICTS)[number], z.ZodNumber>),
    differences: z.number().int(),
    maxExamplesPerKind: z.number().int(),
    examples: z.array(z.record(z.string(), z.unknown())).describe("Up to maxExamplesPerKind records of each kind of difference, both stores' sides."),
    error: itemError.optional(),
  }),
);

export const startedParityAudit = named("StartedParityAudit", parityAudit.extend({ job }));
export const parityAuditList = named("ParityAuditList", z.object({ audits: z.array(parityAudit), nextAfter: z.string().optional() }));
