import { and, desc, eq, lt, or, sql } from "drizzle-orm";
import type { CatalogDb } from "../catalog";
import { jobRuns, type JobRunRow } from "../jobs/schema";
import { VERDICTS, type ParityCounts, type ParityExample } from "./model";
import { parityAudits, type ParityAuditRow } from "./schema";

/** D1 access for parity audit results. */

/** Records a new audit of a run; a second call for the same run keeps the first. */
export async function insertAudit(db: CatalogDb, audit: { id: string; jobId: string; featureGroup: string; generation: string; maxExamples: number; startedAt: number }): Promise<void> {
  await db.insert(parityAudits).values(audit).onConflictDoNothing().run();
}

export async function getAudit(db: CatalogDb, id: string): Promise<ParityAuditRow | null> {
  return (await db.select().from(parityAudits).where(eq(parityAudits.id, id)).get()) ?? null;
}

export interface PageProgress {
  /** The last identifier compared; null when the audit has compared everything. */
  cursor: string | null;
  identifiers: number;
  counts: ParityCounts;
  /** The examples kept so far (replacing the stored ones). */
  examples: ParityExample[];
}

/**
 * Adds one page's counts and moves the cursor in one statement, so a page
 * is counted once even when the invocation stops right after it.
 */
export async function savePage(db: CatalogDb, id: string, page: PageProgress): Promise<void> {
  await db
    .update(parityAudits)
    .set({
      cursor: page.cursor,
      pages: sql`${parityAudits.pages} + 1`,
      identifiers: sql`${parityAudits.identifiers} + ${page.identifiers}`,
      matching: sql`${parityAudits.matching} + ${page.counts.matching}`,
      differing: sql`${parityAudits.differing} + ${page.counts.differing}`,
      onlineOnly: sql`${parityAudits.onlineOnly} + ${page.counts.onlineOnly}`,
      offlineOnly: sql`${parityAudits.offlineOnly} + ${page.counts.offlineOnly}`,
      pending: sql`${parityAudits.pending} + ${page.counts.pending}`,
      examples: JSON.stringify(page.examples),
    })
    .where(eq(parityAudits.id, id))
    .run();
}

export function countsOf(row: ParityAuditRow): ParityCounts {
  return Object.fromEntries(VERDICTS.map((v) => [v, row[v]])) as ParityCounts;
}

export function examplesOf(row: ParityAuditRow): ParityExample[] {
  return JSON.parse(row.examples) as ParityExample[];
}

/** An audit with its run (status, end, error). */
export interface AuditWithRun {
  audit: ParityAuditRow;
  run: JobRunRow | null;
}

export async function findAudit(db: CatalogDb, featureGroup: string, id: string): Promise<AuditWithRun | null> {
  const row = await db
    .select({ audit: parityAudits, run: jobRuns })
    .from(parityAudits)
    .leftJoin(jobRuns, eq(jobRuns.id, parityAudits.id))
    .where(and(eq(parityAudits.featureGroup, featureGroup), eq(parityAudits.id, id)))
    .get();
  return row ?? null;
}

/** A group's audits, newest first; `after` (an audit id) continues a listing after that audit. */
export async function listAudits(db: CatalogDb, featureGroup: string, options: { limit: number; after?: ParityAuditRow }): Promise<AuditWithRun[]> {
  const after = options.after;
  return db
    .select({ audit: parityAudits, run: jobRuns })
    .from(parityAudits)
    .leftJoin(jobRuns, eq(jobRuns.id, parityAudits.id))
    .where(
      and(
        eq(parityAudits.featureGroup, featureGroup),
        after ? or(lt(parityAudits.startedAt, after.startedAt), and(eq(parityAudits.startedAt, after.startedAt), lt(parityAudits.id, after.id))) : undefined,
      ),
    )
    .orderBy(desc(parityAudits.startedAt), desc(parityAudits.id))
    .limit(options.limit)
    .all();
}
