import type { FeatureValue } from "../records";
import { TextMemo } from "../query/arrow-cells";
import type { RowGroupRows } from "../query/row-groups";

/**
 * The common point-in-time join (one version per entity row, the latest
 * write per event time) without materialising versions: per entity row it
 * keeps the best version's sort key in typed arrays and its values in
 * per-feature cells, copied once per record batch.
 *
 * A feature row qualifies for the entity rows of its identifier whose event
 * key is ≥ its own and, leak-free, whose time is ≥ its knowledge time
 * (available_time). Entity rows sorted by time are sorted by both, so the
 * qualifying rows are a suffix: the row is offered only to the first of
 * them, and `finish` sweeps each identifier's rows in order, carrying the
 * best forward. With a lookback window the qualifying rows are a range
 * instead, and each gets the offer. The order is versions.ts's: event time,
 * write sequence, invocation time, put before delete, then the values' JSON.
 *
 * The rows between the first the event time qualifies for and the first the
 * knowledge time does are those the version was kept from only by knowledge
 * time: they are marked as a range (a difference array over each
 * identifier's rows, summed in `finish`), so a dataset can say how many
 * entity rows lost candidates that way.
 */
export interface JoinEntity {
  eventKey: string;
  timeMs: number;
}

export interface LatestJoinOptions {
  eventTimeOnly: boolean;
  /** Per entity row, the smallest event key in its lookback window. */
  lowerKeys?: readonly string[];
}

/** An event key split into numbers that order like it: whole seconds since year 0 and nanoseconds. */
export interface EventOrder {
  key: string;
  seconds: number;
  nanos: number;
}

export const eventOrderOf = (key: string): EventOrder => ({ key, seconds: Number(key.slice(0, 12)), nanos: Number(key.slice(13)) });

/** A feature row's event time: its order and the value the row holds. */
export interface RowEvent extends EventOrder {
  raw: FeatureValue;
}

/** The group's features, and how to give back the two key features without storing them per row. */
export interface GroupFeatures {
  /** Every feature, in schema order (the tie-break JSON's key order). */
  all: readonly string[];
  identifier: string;
  eventTime: string;
  /** The identifier feature's value for an identifier as the index holds it. */
  identifierValue: (id: string) => FeatureValue;
}

/** What a group's join gave each entity row: up to a few versions, newest first. */
export interface GroupResult {
  /** How many versions entity row n joined (each makes an output row). */
  count(n: number): number;
  /** Feature f of entity row n's k-th version; null when absent. */
  value(n: number, k: number, feature: string): FeatureValue | null;
  isDeleted(n: number, k: number): boolean | null;
  /** Whether some version entity row n's event time (and lookback) admits was left out only by knowledge time. */
  knowledgeExcluded(n: number): boolean;
}

export class LatestJoin {
  private readonly n: number;
  private readonly seconds: Float64Array;
  private readonly nanos: Float64Array;
  private readonly times: Float64Array;
  /** Best version so far per entity row; has[n] = 0: none. */
  private readonly has: Uint8Array;
  private readonly bestSeconds: Float64Array;
  private readonly bestNanos: Float64Array;
  private readonly bestSequence: Float64Array;
  private readonly bestInvocation: Float64Array;
  private readonly bestDeleted: Uint8Array;
  /**
   * Values of the best version per feature name, set when its batch ends;
   * the identifier's is the entity row's own and the event time's is kept
   * from the row's event, so neither is decoded per winner.
   */
  private readonly cells = new Map<string, (FeatureValue | undefined)[]>();
  private readonly bestEventRaw: (FeatureValue | undefined)[];
  private readonly identifierOf: string[];
  /** Row of the current batch holding an entity row's best, −1 when it is in `cells`. */
  private readonly pendingRow: Int32Array;
  private pending: number[] = [];
  /** Per entity row: +1 where a range of rows a version was kept from only by knowledge time starts, −1 where it ends. */
  private readonly excludedDiff: Int32Array;
  private readonly eventMemo = new TextMemo<RowEvent | undefined>();

  constructor(
    private readonly entities: readonly JoinEntity[],
    /** Entity positions per identifier, each list in event-key order. */
    private readonly index: ReadonlyMap<string, readonly number[]>,
    private readonly features: GroupFeatures,
    private readonly options: LatestJoinOptions,
  ) {
    this.n = entities.length;
    this.seconds = new Float64Array(this.n);
    this.nanos = new Float64Array(this.n);
    this.times = new Float64Array(this.n);
    entities.forEach((e, i) => {
      const order = eventOrderOf(e.eventKey);
      this.seconds[i] = order.seconds;
      this.nanos[i] = order.nanos;
      this.times[i] = e.timeMs;
    });
    this.has = new Uint8Array(this.n);
    this.bestSeconds = new Float64Array(this.n);
    this.bestNanos = new Float64Array(this.n);
    this.bestSequence = new Float64Array(this.n);
    this.excludedDiff = new Int32Array(this.n);
    this.bestInvocation = new Float64Array(this.n);
    this.bestDeleted = new Uint8Array(this.n);
    this.pendingRow = new Int32Array(this.n).fill(-1);
    for (const name of features.all) if (name !== features.identifier && name !== features.eventTime) this.cells.set(name, new Array<FeatureValue | undefined>(this.n));
    this.bestEventRaw = new Array<FeatureValue | undefined>(this.n);
    this.identifierOf = new Array<string>(this.n);
    for (const [id, slots] of index) for (const n of slots) this.identifierOf[n] = id;
  }

  /** Offers every row of one record batch; `eventOf` parses a row's event time (undefined: unusable). */
  addBatch(rows: RowGroupRows, eventOf: (raw: unknown) => RowEvent | undefined): void {
    const { lowerKeys, eventTimeOnly } = this.options;
    let slots: readonly number[] | undefined;
    for (let i = 0; i < rows.count; i++) {
      if (!rows.sameIdentifierAsPrevious(i)) {
        const id = rows.identifier(i);
        slots = id === undefined ? undefined : this.index.get(id);
      }
      if (!slots) continue;
      const event = rows.eventTimeOf(i, this.eventMemo, eventOf);
      if (!event) continue;
      let from = this.firstAtOrAfterEvent(slots, event);
      if (from === slots.length) continue;
      if (!eventTimeOnly) {
        const available = rows.availableTimeMs(i);
        if (this.times[slots[from]!]! < available) {
          const known = this.times[slots[slots.length - 1]!]! < available ? slots.length : this.firstAtOrAfterTime(slots, available, from);
          this.markExcluded(slots, from, known, event);
          if (known === slots.length) continue;
          from = known;
        }
      }
      const sequence = rows.writeSequence(i);
      const invocation = rows.apiInvocationTimeMs(i);
      const deleted = rows.isDeleted(i);
      if (!lowerKeys) {
        this.offer(slots[from]!, rows, i, event, sequence, invocation, deleted);
        continue;
      }
      for (let s = from; s < slots.length && event.key >= lowerKeys[slots[s]!]!; s++) this.offer(slots[s]!, rows, i, event, sequence, invocation, deleted);
    }
    this.settle(rows);
  }

  /**
   * Per entity row, what it joined, after every batch was added. A deletion
   * as the best version joins nothing unless deletions are included.
   */
  finish(includeDeleted: boolean): GroupResult {
    const excluded = new Uint8Array(this.n);
    for (const slots of this.index.values()) {
      let open = 0;
      for (const n of slots) {
        open += this.excludedDiff[n]!;
        if (open > 0) excluded[n] = 1;
      }
    }
    const winner = new Int32Array(this.n).fill(-1);
    if (this.options.lowerKeys) {
      // Each entity row's own offers already cover its window.
      for (let n = 0; n < this.n; n++) if (this.has[n]) winner[n] = n;
    } else {
      for (const slots of this.index.values()) {
        let best = -1;
        for (const n of slots) {
          if (this.has[n] && (best === -1 || this.compareSlots(n, best) > 0)) best = n;
          winner[n] = best;
        }
      }
    }
    if (!includeDeleted) for (let n = 0; n < this.n; n++) if (winner[n] !== -1 && this.bestDeleted[winner[n]!]) winner[n] = -1;
    const { bestDeleted } = this;
    return {
      count: (n) => (winner[n] === -1 ? 0 : 1),
      value: (n, _k, feature) => (winner[n] === -1 ? null : (this.storedValue(winner[n]!, feature) ?? null)),
      isDeleted: (n) => (winner[n] === -1 ? null : bestDeleted[winner[n]!] === 1),
      knowledgeExcluded: (n) => excluded[n] === 1,
    };
  }

  /**
   * Marks positions [from, to) of an identifier's entity rows as having a
   * version excluded only by knowledge time; with a lookback, only those
   * whose window still holds the event.
   */
  private markExcluded(slots: readonly number[], from: number, to: number, event: EventOrder): void {
    const lowerKeys = this.options.lowerKeys;
    if (lowerKeys) {
      let end = from;
      while (end < to && event.key >= lowerKeys[slots[end]!]!) end += 1;
      to = end;
    }
    if (to <= from) return;
    this.excludedDiff[slots[from]!]! += 1;
    if (to < slots.length) this.excludedDiff[slots[to]!]! -= 1;
  }

  private offer(n: number, rows: RowGroupRows, i: number, event: RowEvent, sequence: number, invocation: number, deleted: boolean): void {
    if (this.has[n]) {
      const order =
        event.seconds - this.bestSeconds[n]! ||
        event.nanos - this.bestNanos[n]! ||
        sequence - this.bestSequence[n]! ||
        invocation - this.bestInvocation[n]! ||
        Number(deleted) - this.bestDeleted[n]!;
      if (order < 0) return;
      if (order === 0 && compareText(JSON.stringify(rows.values(i)), JSON.stringify(this.valuesOf(n, rows))) <= 0) return;
    }
    this.has[n] = 1;
    this.bestSeconds[n] = event.seconds;
    this.bestNanos[n] = event.nanos;
    this.bestSequence[n] = sequence;
    this.bestInvocation[n] = invocation;
    this.bestDeleted[n] = deleted ? 1 : 0;
    this.bestEventRaw[n] = event.raw;
    if (this.pendingRow[n] === -1) this.pending.push(n);
    this.pendingRow[n] = i;
  }

  /** Copies the values of the bests found in this batch into the cells: the batch is about to go. */
  private settle(rows: RowGroupRows): void {
    const columns = rows.features.map((f, index) => ({ index, cells: this.cells.get(f.name) }));
    const absent = [...this.cells].filter(([name]) => !rows.features.some((f) => f.name === name)).map(([, cells]) => cells);
    for (const n of this.pending) {
      const i = this.pendingRow[n]!;
      for (const { index, cells } of columns) if (cells) cells[n] = rows.featureValue(index, i);
      for (const cells of absent) cells[n] = undefined;
      this.pendingRow[n] = -1;
    }
    this.pending = [];
  }

  private valuesOf(n: number, rows: RowGroupRows): Record<string, FeatureValue> {
    return this.pendingRow[n] === -1 ? this.storedValues(n) : rows.values(this.pendingRow[n]!);
  }

  /** The stored values as rows.values builds them: schema order, nulls left out. */
  private storedValues(n: number): Record<string, FeatureValue> {
    const values: Record<string, FeatureValue> = {};
    for (const name of this.features.all) {
      const value = this.storedValue(n, name);
      if (value !== undefined) values[name] = value;
    }
    return values;
  }

  private storedValue(n: number, feature: string): FeatureValue | undefined {
    if (feature === this.features.identifier) return this.features.identifierValue(this.identifierOf[n]!);
    if (feature === this.features.eventTime) return this.bestEventRaw[n];
    return this.cells.get(feature)?.[n];
  }

  private compareSlots(a: number, b: number): number {
    const order =
      this.bestSeconds[a]! - this.bestSeconds[b]! ||
      this.bestNanos[a]! - this.bestNanos[b]! ||
      this.bestSequence[a]! - this.bestSequence[b]! ||
      this.bestInvocation[a]! - this.bestInvocation[b]! ||
      this.bestDeleted[a]! - this.bestDeleted[b]!;
    return order !== 0 ? order : compareText(JSON.stringify(this.storedValues(a)), JSON.stringify(this.storedValues(b)));
  }

  /** First position in slots whose entity event key is ≥ the event's. */
  private firstAtOrAfterEvent(slots: readonly number[], event: EventOrder): number {
    let lo = 0;
    let hi = slots.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const n = slots[mid]!;
      if (this.seconds[n]! < event.seconds || (this.seconds[n] === event.seconds && this.nanos[n]! < event.nanos)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First position ≥ from whose entity time is ≥ ms. */
  private firstAtOrAfterTime(slots: readonly number[], ms: number, from: number): number {
    let lo = from;
    let hi = slots.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.times[slots[mid]!]! < ms) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

const compareText = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);
