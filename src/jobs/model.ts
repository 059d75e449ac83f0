import { z } from "zod";
import { fromZod, type FeatureGroup } from "../catalog";
import { invalid, ok, type Result } from "../failure";
import { availabilityJson, parseAvailability, type Availability } from "../records";
import { parseCron } from "./cron";

/**
 * Job definitions as clients write them, and the rules that check them:
 * shape first (zod), then the cron expression, then the target group.
 */
export const JOB_KINDS = ["ingest", "materialize", "parity-audit"] as const;
export const JOB_MODES = ["online", "offline", "both"] as const;
export const SOURCE_FORMATS = ["parquet", "csv", "ndjson"] as const;
export const RUN_STATUSES = ["running", "succeeded", "failed", "partial"] as const;

export type JobKind = (typeof JOB_KINDS)[number];
export type JobMode = (typeof JOB_MODES)[number];
export type SourceFormat = (typeof SOURCE_FORMATS)[number];
export type RunStatus = (typeof RUN_STATUSES)[number];
export type RunTrigger = "schedule" | "manual";

/** What a client chooses about a job. */
export interface JobSpec {
  kind: JobKind;
  featureGroup: string;
  description?: string;
  /** Ingest jobs: objects under this key prefix of INGEST_BUCKET. */
  source?: { prefix: string };
  format?: SourceFormat;
  mode: JobMode;
  /** Five-field UTC cron expression; null: the job runs only when asked to. */
  schedule: string | null;
  enabled: boolean;
  /**
   * Ingest jobs writing the offline store: each row's knowledge time
   * (records/order.ts). Absent: when the store accepted the file's rows.
   */
  availability?: Availability;
}

export interface Job extends JobSpec {
  id: string;
  nextRunAt: number | null;
  activeRunId: string | null;
  createdAt: number;
  updatedAt: number;
}

/** R2 keys are at most 1,024 bytes. */
const MAX_PREFIX_CHARS = 1024;

const specFieldsShape = {
  featureGroup: z.string().min(1, "is required"),
  description: z.string().max(256).optional(),
  source: z.strictObject({ prefix: z.string().min(1, "must not be empty").max(MAX_PREFIX_CHARS) }).optional(),
  format: z.enum(SOURCE_FORMATS).optional(),
  mode: z.enum(JOB_MODES).optional(),
  schedule: z.string().nullable().optional().describe("A cron expression (UTC, 5 fields); null or absent: run only on demand."),
  availability: z.unknown().optional().describe('Knowledge time of offline rows: {"from": "accepted"} or {"from": "eventTime", "delay": "2h"}.'),
};

/** A job definition: a create, or the merged result of an update. */
export const jobSpecSchema = z.strictObject({ kind: z.enum(JOB_KINDS).default("ingest"), ...specFieldsShape, enabled: z.boolean().default(true) });

/** An update's fields, before merging (PATCH) or the job's kind is added (PUT): no defaults, which would overwrite the job's. */
export const jobUpdateSchema = z.strictObject({ kind: z.enum(JOB_KINDS).optional(), ...specFieldsShape, featureGroup: specFieldsShape.featureGroup.optional(), enabled: z.boolean().optional() });

/** Parses a job definition (create, or the merged result of an update); rules that need the catalog come later. */
export function parseJobSpec(raw: unknown): Result<JobSpec> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return invalid("body", "must be a JSON object");
  const parsed = fromZod(jobSpecSchema.safeParse(raw), "");
  if (!parsed.ok) return parsed;
  const v = parsed.value;
  const schedule = v.schedule ?? null;
  if (schedule !== null) {
    const cron = parseCron(schedule, "schedule");
    if (!cron.ok) return cron;
  }
  const base = { featureGroup: v.featureGroup, ...(v.description !== undefined ? { description: v.description } : {}), schedule, enabled: v.enabled };
  if (v.kind === "parity-audit") {
    const what = "a parity-audit job (it reads both stores of the group and writes neither)";
    if (v.source !== undefined) return invalid("source", `must be absent for ${what}`);
    if (v.format !== undefined) return invalid("format", `must be absent for ${what}`);
    if (v.mode !== undefined && v.mode !== "both") return invalid("mode", `must be both (or absent) for ${what}`);
    if (v.availability !== undefined) return invalid("availability", `must be absent for ${what}`);
    return ok({ kind: "parity-audit", ...base, mode: "both" });
  }
  if (v.kind === "materialize") {
    if (v.source !== undefined) return invalid("source", "must be absent for a materialize job (it reads the group's offline store)");
    if (v.format !== undefined) return invalid("format", "must be absent for a materialize job");
    if (v.mode !== undefined && v.mode !== "online") return invalid("mode", "must be online for a materialize job (it writes the online store only)");
    if (v.availability !== undefined) return invalid("availability", "must be absent for a materialize job (it writes no offline rows)");
    return ok({ kind: "materialize", ...base, mode: "online" });
  }
  if (!v.source) return invalid("source.prefix", "is required for an ingest job (the key prefix in the landing bucket)");
  if (!v.format) return invalid("format", `is required for an ingest job: one of ${SOURCE_FORMATS.join(", ")}`);
  if (!v.mode) return invalid("mode", `is required for an ingest job: one of ${JOB_MODES.join(", ")}`);
  let availability: Availability | undefined;
  if (v.availability !== undefined) {
    if (v.mode === "online") return invalid("availability", "applies to offline rows; an online ingest job writes none");
    const parsed = parseAvailability("availability", v.availability);
    if (!parsed.ok) return parsed;
    availability = parsed.value;
  }
  return ok({ kind: "ingest", ...base, source: { prefix: v.source.prefix }, format: v.format, mode: v.mode, ...(availability ? { availability } : {}) });
}

/** The job's target group must exist and have the stores the mode writes. */
export function checkTargetGroup(spec: JobSpec, group: FeatureGroup | null): Result<FeatureGroup> {
  if (!group || group.status !== "Created") return invalid("featureGroup", `names no feature group (${spec.featureGroup})`);
  const online = spec.mode !== "offline";
  const offline = spec.mode !== "online";
  if (spec.kind === "materialize" || spec.kind === "parity-audit") {
    const what = spec.kind === "materialize" ? "to materialize" : "to audit their parity";
    if (!group.onlineStore.enabled || !group.offlineStore.enabled) return invalid("featureGroup", `must have both an online and an offline store ${what}; ${group.name} does not`);
    return ok(group);
  }
  if (online && !group.onlineStore.enabled) return invalid("mode", `${spec.mode} writes the online store, but feature group ${group.name} has none`);
  if (offline && !group.offlineStore.enabled) return invalid("mode", `${spec.mode} writes the offline store, but feature group ${group.name} has none`);
  return ok(group);
}

/** The fields a client may send, as a plain object: an update is merged onto these and parsed again. */
export function specFields(job: Job): Record<string, unknown> {
  return {
    kind: job.kind,
    featureGroup: job.featureGroup,
    ...(job.description !== undefined ? { description: job.description } : {}),
    ...(job.source ? { source: job.source } : {}),
    ...(job.format ? { format: job.format } : {}),
    mode: job.mode,
    schedule: job.schedule,
    enabled: job.enabled,
    ...(job.availability ? { availability: availabilityJson(job.availability) } : {}),
  };
}
