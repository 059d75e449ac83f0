import { getFeatureGroup, type FeatureGroup } from "../catalog";
import { fail, ok, type Failure, type Result } from "../failure";
import { withServingGroup, type StoreContext } from "../service";
import { DEFAULT_PARITY_OPTIONS, VERDICTS, type ParityExample, type ParityOptions, type Verdict } from "./model";
import { auditPage, type PageEnv } from "./page";
import { examplesOf, getAudit, insertAudit, savePage } from "./repository";

/**
 * Runs a parity audit in slices, as the jobs runner runs every job (one
 * slice per invocation, continued on the next cron tick). The audit's
 * cursor, counts and examples live in its D1 row and move page by page.
 */

/** Subrequests one slice may spend on shard and query calls (each page costs about 2 × (shards + 1)), within the 1,000 of an invocation. */
const SUBREQUESTS_PER_SLICE = 500;

export interface ParitySlice {
  /** Identifiers compared in this slice. */
  identifiers: number;
  done: boolean;
  failure?: Failure;
}

/** The group must exist as the audit's incarnation, with both stores. */
export function auditableGroup(group: FeatureGroup | null, name: string): Result<FeatureGroup> {
  if (!group || group.status !== "Created") return fail({ reason: "feature_group_not_found", featureGroup: name });
  if (!group.onlineStore.enabled || !group.offlineStore.enabled) return fail({ reason: "invalid_field", field: "featureGroup", rule: `must have both an online and an offline store to audit their parity; ${group.name} does not` });
  return ok(group);
}

/** Records the audit of a run before its first page (for a scheduled run, with the default options). */
export async function beginAudit(ctx: StoreContext, run: { id: string; jobId: string; startedAt: number }, group: FeatureGroup, options: ParityOptions = DEFAULT_PARITY_OPTIONS): Promise<void> {
  await insertAudit(ctx.db, { id: run.id, jobId: run.jobId, featureGroup: group.name, generation: group.generation, maxExamples: options.examples, startedAt: run.startedAt });
}

export interface SliceLimits {
  pages: number;
  /** Identifiers per page (page.ts PAGE_IDENTIFIERS). */
  pageIdentifiers: number;
  /** Epoch ms after which no new page starts. */
  deadline: number;
}

/** Audits a slice of the run's audit: up to `limits.pages` pages, none started after the deadline. */
export async function paritySlice(env: PageEnv, ctx: StoreContext, run: { id: string; jobId: string; startedAt: number }, featureGroup: string, limits: SliceLimits): Promise<ParitySlice> {
  const group = auditableGroup(await getFeatureGroup(ctx.db, featureGroup), featureGroup);
  if (!group.ok) return { identifiers: 0, done: true, failure: group.failure };
  if (!(await getAudit(ctx.db, run.id))) await beginAudit(ctx, run, group.value);
  const audit = (await getAudit(ctx.db, run.id))!;
  if (audit.generation !== group.value.generation) return { identifiers: 0, done: true, failure: { reason: "conflict", detail: `feature group ${featureGroup} was deleted and re-created during the audit; audit it again` } };
  const pages = Math.max(1, Math.min(limits.pages, Math.floor(SUBREQUESTS_PER_SLICE / (2 * (group.value.shardCount + 1)))));
  const examples: ParityExample[] = examplesOf(audit);
  let cursor = audit.cursor;
  let identifiers = 0;
  for (let page = 0; page < pages && Date.now() < limits.deadline; page++) {
    const room = Object.fromEntries(VERDICTS.map((v) => [v, audit.maxExamples - examples.filter((e) => e.verdict === v).length])) as Record<Verdict, number>;
    const result = await withServingGroup(ctx, featureGroup, async (serving) => {
      if (serving.group.generation !== audit.generation) return fail({ reason: "conflict", detail: `feature group ${featureGroup} was deleted and re-created during the audit; audit it again` });
      return auditPage(env, ctx, serving, cursor, room, limits.pageIdentifiers);
    });
    if (!result.ok) return { identifiers, done: true, failure: result.failure };
    examples.push(...result.value.examples);
    await savePage(ctx.db, audit.id, { cursor: result.value.cursor, identifiers: result.value.identifiers, counts: result.value.counts, examples });
    identifiers += result.value.identifiers;
    if (result.value.cursor === null) return { identifiers, done: true };
    cursor = result.value.cursor;
  }
  return { identifiers, done: false };
}

