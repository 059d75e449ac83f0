import { and, asc, desc, eq, gt, gte, lt, lte, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { auditLog } from "./schema";

/**
 * The audit log: who (access key id) did what (action) to which group or
 * key, when, with what result, from where. It never holds secrets or
 * request bodies. Rows older than the retention are swept by the cron.
 */
export type AuditResult = "allowed" | "denied" | "failed";
export const AUDIT_RESULTS = ["allowed", "denied", "failed"] as const satisfies readonly AuditResult[];
export const DEFAULT_AUDIT_RETENTION_DAYS = 90;
const DAY_MS = 24 * 3600 * 1000;

export interface AuditEntry {
  at: number;
  requestId: string;
  accessKeyId: string;
  action: string;
  featureGroup: string | null;
  targetKeyId: string | null;
  result: AuditResult;
  sourceIp: string | null;
}

export interface AuditQuery {
  from?: number;
  to?: number;
  accessKeyId?: string;
  action?: string;
  featureGroup?: string;
  result?: AuditResult;
  limit: number;
  /** The id of the last entry of the previous page (entries come newest first). */
  before?: number;
  /** The web catalog's Previous: the entries just newer than this id, still newest first (`more`: newer ones remain). */
  after?: number;
}

export async function recordAudit(db: D1Database, entries: AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await drizzle(db).insert(auditLog).values(entries);
}

export async function queryAudit(db: D1Database, query: AuditQuery): Promise<{ entries: (AuditEntry & { id: number })[]; last?: number; more: boolean }> {
  const conditions: SQL[] = [];
  if (query.from !== undefined) conditions.push(gte(auditLog.at, query.from));
  if (query.to !== undefined) conditions.push(lte(auditLog.at, query.to));
  if (query.accessKeyId !== undefined) conditions.push(eq(auditLog.accessKeyId, query.accessKeyId));
  if (query.action !== undefined) conditions.push(eq(auditLog.action, query.action));
  if (query.featureGroup !== undefined) conditions.push(eq(auditLog.featureGroup, query.featureGroup));
  if (query.result !== undefined) conditions.push(eq(auditLog.result, query.result));
  if (query.before !== undefined) conditions.push(lt(auditLog.id, query.before));
  if (query.after !== undefined) conditions.push(gt(auditLog.id, query.after));
  // Newer entries are read nearest first, then put back newest first.
  const newer = query.after !== undefined;
  const rows = await drizzle(db)
    .select()
    .from(auditLog)
    .where(and(...conditions))
    .orderBy(newer ? asc(auditLog.id) : desc(auditLog.id))
    .limit(query.limit + 1)
    .all();
  const nearest = rows.slice(0, query.limit).map((r) => ({ ...r, result: r.result as AuditResult }));
  const more = rows.length > query.limit;
  if (newer) return { entries: nearest.reverse(), more };
  return { entries: nearest, more, ...(more ? { last: nearest[nearest.length - 1]!.id } : {}) };
}

/** Retention in days from FS_AUDIT_RETENTION_DAYS (a positive integer), else the default. */
export function auditRetentionDays(raw: string | undefined): number {
  const days = Number(raw);
  return raw !== undefined && /^\d+$/.test(raw) && days >= 1 ? days : DEFAULT_AUDIT_RETENTION_DAYS;
}

/** Deletes entries older than the retention; returns how many went. */
export async function sweepAudit(db: D1Database, retentionDays: number, now: number): Promise<number> {
  const result = await drizzle(db).delete(auditLog).where(lt(auditLog.at, now - retentionDays * DAY_MS)).run();
  return result.meta.changes ?? 0;
}
