import { compareIdentifiers, type FeatureValue } from "../records";

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

const byIdentifier = (a: RecordVersion, b: RecordVersion) => compareIdentifiers(a.recordIdentifier, b.recordIdentifier);

/**
 * The winning version per identifier for the `capacity` smallest
 * identifiers offered, so one page of a snapshot costs memory for the page,
 * not for the whole group: while streaming it holds at most twice
 * `capacity` identifiers, then drops the largest and ignores everything
 * above the largest it kept (`ceiling`).
 */
export class LatestPage {
  readonly #latest = new Map<string, RecordVersion>();
  #ceiling: string | undefined;

  constructor(readonly capacity: number) {}

  /** Whether versions of this identifier can still be kept (callers skip decoding the rest). */
  admits(recordIdentifier: string): boolean {
    return this.#ceiling === undefined || compareIdentifiers(recordIdentifier, this.#ceiling) <= 0;
  }

  /** Keeps the version if it wins for its identifier (compareVersions). */
  offer(version: RecordVersion): void {
    const id = version.recordIdentifier;
    if (!this.admits(id)) return;
    const current = this.#latest.get(id);
    if (current) {
      if (compareVersions(version, current) > 0) this.#latest.set(id, version);
      return;
    }
    this.#latest.set(id, version);
    if (this.#latest.size > 2 * this.capacity) this.#trim();
  }

  #trim(): void {
    const ids = [...this.#latest.keys()].sort(compareIdentifiers);
    for (const id of ids.slice(this.capacity)) this.#latest.delete(id);
    this.#ceiling = ids[this.capacity - 1];
  }

  /**
   * The kept winners (deletions included) in identifier order, and, when
   * larger identifiers were dropped, the largest one kept: every identifier
   * up to it is complete, the ones after it are not in this page.
   */
  result(): { versions: RecordVersion[]; coveredThrough?: string } {
    if (this.#latest.size > this.capacity) this.#trim();
    const versions = [...this.#latest.values()].sort(byIdentifier);
    return { versions, ...(this.#ceiling !== undefined ? { coveredThrough: this.#ceiling } : {}) };
  }
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
