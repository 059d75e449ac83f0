import { compareVersions, type RecordVersion } from "../query/versions";

/**
 * Point-in-time-correct join of entity rows with feature versions. Pure.
 *
 * For each entity row (an identifier and a timestamp T) and each feature
 * group, the feature row taken is the newest version with event time ≤ T
 * and, unless `eventTimeOnly`, knowledge time (available_time) ≤ T: a value
 * that became available after T (a late correction, a live write of an old
 * event time) was not known at T and would leak. Several
 * versions of one (identifier, event time) resolve to the latest write. If
 * the newest version is a deletion, the row gets no features. Ties break as
 * in versions.ts, so results never depend on file or row order.
 */
export interface EntityRow {
  recordIdentifier: string;
  /** The entity timestamp as an event key, and in epoch ms. */
  eventKey: string;
  timeMs: number;
}

export interface JoinOptions {
  /** SageMaker's semantics: ignore knowledge time (may leak values that became available later). */
  eventTimeOnly: boolean;
  /** Only versions with event time ≥ T − lookback (epoch ms window). */
  lookbackMs?: number;
  /** Keep deletions as rows (with is_deleted) instead of hiding data. */
  includeDeleted: boolean;
  /** Keep every write of one (identifier, event time), not just the latest. */
  includeDuplicates: boolean;
  /** Return up to N most recent qualifying versions per entity row (default 1). */
  mostRecent: number;
}

/** Versions grouped by identifier, each list in version order. */
export function indexVersions(versions: Iterable<RecordVersion>): Map<string, RecordVersion[]> {
  const index = new Map<string, RecordVersion[]>();
  for (const v of versions) {
    const list = index.get(v.recordIdentifier);
    if (list) list.push(v);
    else index.set(v.recordIdentifier, [v]);
  }
  for (const list of index.values()) list.sort(compareVersions);
  return index;
}

/** Keeps, per event time, only its latest write (lists in version order). */
function latestPerEventTime(versions: readonly RecordVersion[]): RecordVersion[] {
  const out: RecordVersion[] = [];
  for (const v of versions) {
    if (out.length > 0 && out[out.length - 1]!.eventKey === v.eventKey) out[out.length - 1] = v;
    else out.push(v);
  }
  return out;
}

/**
 * The versions an entity row joins with, newest first: at most
 * `mostRecent`, none when the newest qualifying version is a deletion
 * (unless deletions are included).
 */
/** Whether some version the entity row's event time (and lookback) admits is left out only by knowledge time. */
export function knowledgeExcludes(entity: EntityRow, versions: readonly RecordVersion[] | undefined, options: JoinOptions, eventKeyOfMs: (ms: number) => string): boolean {
  if (!versions || options.eventTimeOnly) return false;
  const lowerKey = options.lookbackMs !== undefined ? eventKeyOfMs(entity.timeMs - options.lookbackMs) : undefined;
  return versions.some((v) => v.eventKey <= entity.eventKey && (lowerKey === undefined || v.eventKey >= lowerKey) && v.availableTimeMs > entity.timeMs);
}

export function versionsFor(entity: EntityRow, versions: readonly RecordVersion[] | undefined, options: JoinOptions, eventKeyOfMs: (ms: number) => string): RecordVersion[] {
  if (!versions) return [];
  const lowerKey = options.lookbackMs !== undefined ? eventKeyOfMs(entity.timeMs - options.lookbackMs) : undefined;
  const known = versions.filter(
    (v) => v.eventKey <= entity.eventKey && (options.eventTimeOnly || v.availableTimeMs <= entity.timeMs) && (lowerKey === undefined || v.eventKey >= lowerKey),
  );
  const candidates = options.includeDuplicates ? known : latestPerEventTime(known);
  const newestFirst = [...candidates].reverse();
  if (options.includeDeleted) return newestFirst.slice(0, options.mostRecent);
  // A deletion hides everything older than it.
  const firstDelete = newestFirst.findIndex((v) => v.isDeleted);
  const live = firstDelete === -1 ? newestFirst : newestFirst.slice(0, firstDelete);
  return live.slice(0, options.mostRecent);
}
