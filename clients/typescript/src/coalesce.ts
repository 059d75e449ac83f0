// Request coalescing for getRecord, DataLoader style: the reads a caller
// starts within one tick (before a zero-delay timer fires, so every
// microtask of the current task is included) go out together as batch gets
// (POST /v1/records/batch-get) instead of one request each. A tick with a
// single read sends it as a plain GetRecord, so coalescing costs a lone read
// nothing but the wait for the tick.
//
// What a batch cannot say, it is not asked: reads with different staleness
// bounds (a query parameter of the whole call) or, for one group, different
// feature lists (the answer names group and identifier, not the request)
// never share a call. Identical reads share one slot. Identifiers the
// server left `unprocessed` (past one answer's size limit) go out with the
// next tick's reads. A read's own AbortSignal ends that read only.
import { errorOfCode, FeatureStoreError } from "./errors";
import type { BatchGetRecordInput, BatchGetRecordOutput, GetRecordOutput } from "./types";

/** The limits of one batch get (MAX_BATCH_GET_GROUPS, MAX_BATCH_GET_IDENTIFIERS in src/records/limits.ts). */
export const MAX_BATCH_REQUESTS = 100;
export const MAX_BATCH_IDENTIFIERS = 100;

export interface CoalescedRead {
  featureGroup: string;
  recordIdentifier: string;
  features: string[] | undefined;
  maxStalenessMs: number;
}

export interface CoalescerDeps {
  batchGet(input: BatchGetRecordInput): Promise<BatchGetRecordOutput>;
  getOne(read: CoalescedRead): Promise<GetRecordOutput | null>;
}

interface Waiter {
  resolve(value: GetRecordOutput | null): void;
  reject(error: unknown): void;
}

/** One identifier of one call: every waiter that asked for it. */
interface Slot {
  read: CoalescedRead;
  waiters: Waiter[];
}

/**
 * The form an Integral identifier comes back in (no sign, no leading
 * zeros): batch get answers "7" for "007". String identifiers come back as
 * sent, so they match exactly first.
 */
const canonicalIdentifier = (id: string): string => (/^[+-]?\d+$/.test(id) ? BigInt(id).toString() : id);

const featuresKey = (features: string[] | undefined): string => (features ? JSON.stringify(features) : "*");

export class GetRecordCoalescer {
  #pending = new Map<string, Slot>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Batch gets sent so far (for the benchmark and tests). */
  batchCalls = 0;
  /** Plain GetRecord calls sent for ticks of one read. */
  singleCalls = 0;

  constructor(
    readonly deps: CoalescerDeps,
    readonly windowMs = 0,
  ) {}

  load(read: CoalescedRead, signal?: AbortSignal): Promise<GetRecordOutput | null> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject };
      if (signal) {
        const onAbort = () => reject(signal.reason);
        signal.addEventListener("abort", onAbort, { once: true });
        waiter.resolve = (value) => (signal.removeEventListener("abort", onAbort), resolve(value));
        waiter.reject = (error) => (signal.removeEventListener("abort", onAbort), reject(error));
      }
      this.#enqueue(read, [waiter]);
    });
  }

  #enqueue(read: CoalescedRead, waiters: Waiter[]): void {
    const key = JSON.stringify([read.maxStalenessMs, read.featureGroup, featuresKey(read.features), read.recordIdentifier]);
    const slot = this.#pending.get(key);
    if (slot) slot.waiters.push(...waiters);
    else this.#pending.set(key, { read, waiters });
    this.#timer ??= setTimeout(() => this.#flush(), this.windowMs);
  }

  #flush(): void {
    this.#timer = undefined;
    const slots = [...this.#pending.values()];
    this.#pending.clear();
    if (slots.length === 1) {
      const [slot] = slots as [Slot];
      this.singleCalls += 1;
      this.deps.getOne(slot.read).then(
        (value) => slot.waiters.forEach((w) => w.resolve(value)),
        (error: unknown) => slot.waiters.forEach((w) => w.reject(error)),
      );
      return;
    }
    for (const call of planCalls(slots)) void this.#send(call);
  }

  async #send(call: PlannedCall): Promise<void> {
    this.batchCalls += 1;
    let answer: BatchGetRecordOutput;
    try {
      answer = await this.deps.batchGet(call.input);
    } catch (error) {
      for (const slot of call.slots.values()) slot.waiters.forEach((w) => w.reject(error));
      return;
    }
    const settle = (featureGroup: string, id: string, outcome: (slot: Slot) => void) => {
      const slot = call.slots.get(slotKey(featureGroup, id)) ?? call.slots.get(slotKey(featureGroup, canonicalIdentifier(id)));
      if (!slot || !call.remaining.delete(slot)) return;
      outcome(slot);
    };
    for (const hit of answer.records) {
      const value: GetRecordOutput = { record: hit.record, ...(hit.expiresAt !== undefined ? { expiresAt: hit.expiresAt } : {}), ageMs: hit.ageMs };
      settle(hit.featureGroup, hit.recordIdentifier, (slot) => slot.waiters.forEach((w) => w.resolve(value)));
    }
    for (const miss of answer.misses) settle(miss.featureGroup, miss.recordIdentifier, (slot) => slot.waiters.forEach((w) => w.resolve(null)));
    for (const { featureGroup, recordIdentifier, error } of answer.errors) {
      const fail = (slot: Slot) => slot.waiters.forEach((w) => w.reject(errorOfCode(error.code, error.message, error.field ? { field: error.field } : {})));
      if (recordIdentifier !== undefined) settle(featureGroup, recordIdentifier, fail);
      // An error without an identifier is about the group (not found, not allowed): every read of it fails.
      else for (const slot of [...call.remaining].filter((s) => s.read.featureGroup === featureGroup)) settle(featureGroup, slot.read.recordIdentifier, fail);
    }
    for (const request of answer.unprocessed) {
      for (const id of request.recordIdentifiers) settle(request.featureGroup, id, (slot) => this.#enqueue(slot.read, slot.waiters));
    }
    // The answer accounts for every identifier; one it does not name is a contract breach, not a miss.
    for (const slot of call.remaining) {
      const error = new FeatureStoreError(`batch get answered nothing for ${slot.read.featureGroup}/${slot.read.recordIdentifier}`, { code: "client_error" });
      slot.waiters.forEach((w) => w.reject(error));
    }
  }
}

interface PlannedCall {
  input: BatchGetRecordInput;
  /** By group and identifier as sent, then by canonical form where no identifier was sent in that form. */
  slots: Map<string, Slot>;
  /** Slots the answer has not settled yet. */
  remaining: Set<Slot>;
}

const slotKey = (featureGroup: string, id: string) => `${featureGroup}\u0000${id}`;

/** Batch-get calls for a tick's reads: one partition per staleness bound and feature list, at most 100 × 100 identifiers a call. */
function planCalls(slots: readonly Slot[]): PlannedCall[] {
  const partitions = new Map<string, Map<string, Slot[]>>();
  for (const slot of slots) {
    const key = JSON.stringify([slot.read.maxStalenessMs, featuresKey(slot.read.features)]);
    const groups = partitions.get(key) ?? new Map<string, Slot[]>();
    partitions.set(key, groups);
    groups.set(slot.read.featureGroup, [...(groups.get(slot.read.featureGroup) ?? []), slot]);
  }
  const calls: PlannedCall[] = [];
  for (const groups of partitions.values()) {
    let current: PlannedCall | undefined;
    for (const [featureGroup, groupSlots] of groups) {
      for (let start = 0; start < groupSlots.length; start += MAX_BATCH_IDENTIFIERS) {
        const chunk = groupSlots.slice(start, start + MAX_BATCH_IDENTIFIERS);
        if (!current || current.input.requests.length === MAX_BATCH_REQUESTS) {
          const first = chunk[0]!.read;
          current = { input: { requests: [], ...(first.maxStalenessMs > 0 ? { maxStalenessMs: first.maxStalenessMs } : {}) }, slots: new Map(), remaining: new Set() };
          calls.push(current);
        }
        const features = chunk[0]!.read.features;
        current.input.requests.push({ featureGroup, recordIdentifiers: chunk.map((s) => s.read.recordIdentifier), ...(features ? { features } : {}) });
        for (const slot of chunk) {
          current.slots.set(slotKey(featureGroup, slot.read.recordIdentifier), slot);
          current.remaining.add(slot);
        }
      }
    }
  }
  for (const call of calls) {
    for (const slot of call.remaining) {
      const canonical = slotKey(slot.read.featureGroup, canonicalIdentifier(slot.read.recordIdentifier));
      if (!call.slots.has(canonical)) call.slots.set(canonical, slot);
    }
  }
  return calls;
}
