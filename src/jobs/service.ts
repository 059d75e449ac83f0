import { getFeatureGroup } from "../catalog";
import { fail, invalid, ok, type Result } from "../failure";
import type { StoreContext } from "../service";
import { nextFireAfter, parseCron } from "./cron";
import { checkTargetGroup, parseJobSpec, specFields, type Job, type JobSpec } from "./model";
import { deleteJob, getJob, insertJob, listJobs, saveJob } from "./repository";
import { auditableGroup, beginAudit, type ParityOptions } from "../parity";
import { DEFAULT_SLICE_POLICY, runJobNow, type JobsEnv } from "./runner";
import type { JobRunRow } from "./schema";

/** Job control-plane operations the HTTP layer calls. */

function nextRunOf(spec: JobSpec, now: number): number | null {
  if (!spec.enabled || spec.schedule === null) return null;
  const cron = parseCron(spec.schedule, "schedule");
  return cron.ok ? nextFireAfter(cron.value, now) : null;
}

async function checked(ctx: StoreContext, raw: unknown): Promise<Result<JobSpec>> {
  const spec = parseJobSpec(raw);
  if (!spec.ok) return spec;
  const group = checkTargetGroup(spec.value, await getFeatureGroup(ctx.db, spec.value.featureGroup));
  return group.ok ? spec : group;
}

export async function createJob(ctx: StoreContext, body: unknown): Promise<Result<Job>> {
  const spec = await checked(ctx, body);
  if (!spec.ok) return spec;
  const job: Job = { ...spec.value, id: crypto.randomUUID(), nextRunAt: nextRunOf(spec.value, ctx.now), activeRunId: null, createdAt: ctx.now, updatedAt: ctx.now };
  await insertJob(ctx.db, job);
  return ok(job);
}

export async function findJob(ctx: StoreContext, id: string): Promise<Result<Job>> {
  const job = await getJob(ctx.db, id);
  return job ? ok(job) : fail({ reason: "resource_not_found", kind: "job", name: id });
}

export { listJobs };

/**
 * PATCH merges the given fields onto the job; PUT replaces the definition
 * (absent fields take their defaults). Either way the result is checked as
 * a whole, and the kind cannot change.
 */
export async function updateJob(ctx: StoreContext, id: string, body: unknown, how: "merge" | "replace"): Promise<Result<Job>> {
  const found = await findJob(ctx, id);
  if (!found.ok) return found;
  if (typeof body !== "object" || body === null || Array.isArray(body)) return invalid("body", "must be a JSON object");
  const current = found.value;
  const raw = how === "merge" ? { ...specFields(current), ...body } : { kind: current.kind, ...body };
  const spec = await checked(ctx, raw);
  if (!spec.ok) return spec;
  if (spec.value.kind !== current.kind) return invalid("kind", `cannot change (this job is ${current.kind}); create a new job`);
  const { source: _s, format: _f, description: _d, ...kept } = current;
  const job: Job = { ...kept, ...spec.value, nextRunAt: nextRunOf(spec.value, ctx.now), updatedAt: ctx.now };
  await saveJob(ctx.db, job);
  return ok(job);
}

/** Pause stops scheduled runs (a run in progress still finishes); resume schedules from now, without catching up. */
export async function setJobEnabled(ctx: StoreContext, id: string, enabled: boolean): Promise<Result<Job>> {
  const found = await findJob(ctx, id);
  if (!found.ok) return found;
  const spec = { ...found.value, enabled };
  const job: Job = { ...spec, nextRunAt: nextRunOf(spec, ctx.now), updatedAt: ctx.now };
  await saveJob(ctx.db, job);
  return ok(job);
}

export async function removeJob(ctx: StoreContext, id: string): Promise<Result<void>> {
  const found = await findJob(ctx, id);
  if (!found.ok) return found;
  await deleteJob(ctx.db, id);
  return ok(undefined);
}

/**
 * Audits a group's parity now: runs the group's on-demand parity-audit job
 * (created on first use, no schedule) with these options. Returns the job
 * and its run; the audit's result shares the run's id.
 */
export async function parityAuditNow(env: JobsEnv, ctx: StoreContext, featureGroup: string, options: ParityOptions): Promise<Result<{ job: Job; run: JobRunRow }>> {
  const group = auditableGroup(await getFeatureGroup(ctx.db, featureGroup), featureGroup);
  if (!group.ok) return group;
  const existing = (await listJobs(ctx.db, { featureGroup, limit: 1_000 })).find((j) => j.kind === "parity-audit" && j.schedule === null);
  let job = existing;
  if (!job) {
    const created = await createJob(ctx, { kind: "parity-audit", featureGroup, description: "on-demand parity audit (POST /v1/feature-groups/{name}/audit)" });
    if (!created.ok) return created;
    job = created.value;
  }
  const run = await runJobNow(env, job, DEFAULT_SLICE_POLICY, (started) => beginAudit(ctx, started, group.value, options));
  return run.ok ? ok({ job, run: run.value }) : run;
}

/**
 * Materialises a group now: runs the group's on-demand materialize job
 * (created on first use, no schedule). Returns the job and its run.
 */
export async function materializeNow(env: JobsEnv, ctx: StoreContext, featureGroup: string): Promise<Result<{ job: Job; run: JobRunRow }>> {
  const group = await getFeatureGroup(ctx.db, featureGroup);
  if (!group || group.status !== "Created") return fail({ reason: "feature_group_not_found", featureGroup });
  const existing = (await listJobs(ctx.db, { featureGroup, limit: 1_000 })).find((j) => j.kind === "materialize" && j.schedule === null);
  let job = existing;
  if (!job) {
    const created = await createJob(ctx, { kind: "materialize", featureGroup, description: "on-demand materialize (POST /v1/feature-groups/{name}/materialize)" });
    if (!created.ok) return created;
    job = created.value;
  }
  const run = await runJobNow(env, job);
  return run.ok ? ok({ job, run: run.value }) : run;
}
