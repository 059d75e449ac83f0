import type { FeatureValue } from "../records";

/**
 * Versions of records as the offline store holds them, and the order that
 * decides between them. Pure: no I/O, no clock.
 *
 * The order (records/order.ts, docs/time-travel.md): versions are ordered by
 * event time, then write sequence (the order in which the store accepted
 * the writes; rows from before sequences existed rank by write_time), then
 * api_invocation_time (which only separates those older rows); at a full
 * tie a deletion sorts after a put (a delete written together with data
 * hides it), and finally the record's canonical JSON decides, so the result
 * never depends on file or row order. write_time does not order versions.
 */
export interface RecordVersion {
  recordIdentifier: string;
  /** Sortable event key (see records/event-time.ts). */
  eventKey: string;
  writeTimeMs: number;
  apiInvocationTimeMs: number;
  writeSequence: number;
  /** Knowledge time: when the version became available to a model, epoch ms. */
  availableTimeMs: number;
  isDeleted: boolean;
  values: Record<string, FeatureValue>;
}

export function compareVersions(a: RecordVersion, b: RecordVersion): number {
  if (a.eventKey !== b.eventKey) return a.eventKey < b.eventKey ? -1 : 1;
  if (a.writeSequence !== b.writeSequence) return a.writeSequence - b.writeSequence;
  if (a.apiInvocationTimeMs !== b.apiInvocationTimeMs) return a.apiInvocationTimeMs - b.apiInvocationTimeMs;
  if (a.isDeleted !== b.isDeleted) return a.isDeleted ? 1 : -1;
  const [x, y] = [JSON.stringify(a.values), JSON.stringify(b.values)];
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The clocks of a time-travel read: what had happened by E, as held by the offline store at K, as available to a model at A. */
export interface AsOf {
  /** Largest event key included (event time ≤ E); undefined: no bound. */
  eventKeyAtMost?: string;
  /** Largest write time included (write_time ≤ K), epoch ms; undefined: no bound. */
  writeTimeAtMostMs?: number;
  /** Largest knowledge time included (available_time ≤ A), epoch ms; undefined: no bound. */
  availableAtMostMs?: number;
}

export function visibleAt(version: RecordVersion, asOf: AsOf): boolean {
  return (
    (asOf.eventKeyAtMost === undefined || version.eventKey <= asOf.eventKeyAtMost) &&
    (asOf.writeTimeAtMostMs === undefined || version.writeTimeMs <= asOf.writeTimeAtMostMs) &&
    (asOf.availableAtMostMs === undefined || version.availableTimeMs <= asOf.availableAtMostMs)
  );
}

/** The winning version per identifier among those visible; a winner may be a deletion. */
export function latestVersions(versions: Iterable<RecordVersion>, asOf: AsOf): Map<string, RecordVersion> {
  const latest = new Map<string, RecordVersion>();
  for (const version of versions) {
    if (!visibleAt(version, asOf)) continue;
    const current = latest.get(version.recordIdentifier);
    if (!current || compareVersions(version, current) > 0) latest.set(version.recordIdentifier, version);
  }
  return latest;
}

/** The as-of snapshot: the live record per identifier, deleted ones excluded, by identifier. */
export function asOfSnapshot(versions: Iterable<RecordVersion>, asOf: AsOf): RecordVersion[] {
  return [...latestVersions(versions, asOf).values()]
    .filter((v) => !v.isDeleted)
    .sort((a, b) => (a.recordIdentifier < b.recordIdentifier ? -1 : a.recordIdentifier > b.recordIdentifier ? 1 : 0));
}

/** Every version of one identifier within an event-key range, in version order. */
export function historyOf(versions: Iterable<RecordVersion>, recordIdentifier: string, range: { fromKey?: string; toKey?: string }): RecordVersion[] {
  const out: RecordVersion[] = [];
  for (const v of versions) {
    if (v.recordIdentifier !== recordIdentifier) continue;
    if (range.fromKey !== undefined && v.eventKey < range.fromKey) continue;
    if (range.toKey !== undefined && v.eventKey > range.toKey) continue;
    out.push(v);
  }
  return out.sort(compareVersions);
}
