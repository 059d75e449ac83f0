import { servingGroup, type ServingGroup } from "../catalog";
import { fail, ok, type Failure } from "../failure";
import { shardIndexOf, type StoredRecord } from "../online";
import { parseFeatureSubset, parseRecordIdentifier } from "../records";
import type { StoreContext } from "./context";
import { shardKeysOf } from "./keys";
import { fromShard, RETRY, shardStub, withServingGroup, type Attempt } from "./shards";
import { cachedRecord, rememberRecord, type CachedRecord } from "./read-cache";
import { mayUseReadCache, subsetOf } from "./records";
import { MAX_BATCH_GET_REPLY_CHARS } from "../records/limits";

export interface BatchGetRequest {
  featureGroup: string;
  recordIdentifiers: string[];
  features: string[];
}

export interface BatchGetResult {
  /** Each record with the age of what was served (0: read from its shard by this request). */
  found: { featureGroup: string; record: StoredRecord; ageMs: number }[];
  /** Requests left for the client to send again: they did not fit this invocation's subrequest budget. */
  unprocessed: BatchGetRequest[];
  misses: { featureGroup: string; recordIdentifier: string }[];
  errors: { featureGroup: string; recordIdentifier?: string; failure: Failure }[];
}

/**
 * Shard calls one batch get may make. Workers allow 1,000 subrequests per
 * invocation; the rest of the budget covers catalog reads.
 */
export const MAX_SHARD_CALLS_PER_BATCH = 900;

/**
 * Identifiers one shard call reads. An RPC message is at most 32 MiB
 * (developers.cloudflare.com/workers/runtime-apis/rpc/); a reply carries
 * each record's canonical JSON (at most MAX_RECORD_BYTES, 350 KB, and up to
 * twice that as V8 two-byte text), so 20 records stay under 14 MiB. A shard
 * holding more of a request's identifiers is called once per 20.
 */
export const MAX_IDS_PER_SHARD_CALL = 20;

/**
 * Identifiers of one batch get that may be looked up in the colo cache
 * (read-cache.ts), over all its groups; the rest go to their shards. Cache
 * operations may count as subrequests, and the invocation's budget belongs
 * to the shard calls; 100 lookups plus as many fills stay well inside the
 * room MAX_SHARD_CALLS_PER_BATCH leaves.
 */
export const MAX_CACHE_LOOKUPS_PER_BATCH = 100;

/** Bounded-staleness options of a batch get (see GetRecordRequest.maxStalenessMs). */
export interface BatchGetOptions {
  maxStalenessMs?: number;
}

/**
 * What one shard call may answer (a record larger than this still comes,
 * alone). Every call in flight reserves it from the request's reply budget,
 * so at most MAX_BATCH_GET_REPLY_CHARS / MAX_CHARS_PER_SHARD_CALL = 24
 * calls run at once.
 */
export const MAX_CHARS_PER_SHARD_CALL = 256 * 1024;

/** Shard calls for `unique` identifiers over `shardCount` shards, at most (before follow-ups for capped replies). */
const shardCallsFor = (unique: number, shardCount: number): number => Math.min(unique, shardCount + Math.floor(unique / MAX_IDS_PER_SHARD_CALL));

/**
 * The request's reply budget: shard calls reserve MAX_CHARS_PER_SHARD_CALL
 * before they start and give back what their reply did not use; a call
 * waits while the budget is reserved by others, and gets nothing (its
 * identifiers become unprocessed) once it is spent. Also counts the
 * invocation's shard calls, follow-ups included.
 */
class ReplyBudget {
  #free = MAX_BATCH_GET_REPLY_CHARS;
  #inFlight = 0;
  #waiting: (() => void)[] = [];
  calls: number;

  constructor(calls: number) {
    this.calls = calls;
  }

  async acquire(): Promise<boolean> {
    for (;;) {
      if (this.calls <= 0) return false;
      if (this.#free >= MAX_CHARS_PER_SHARD_CALL) break;
      if (this.#inFlight === 0) return false;
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    this.#free -= MAX_CHARS_PER_SHARD_CALL;
    this.#inFlight += 1;
    this.calls -= 1;
    return true;
  }

  release(usedChars: number): void {
    this.#free += MAX_CHARS_PER_SHARD_CALL - usedChars;
    this.#inFlight -= 1;
    for (const wake of this.#waiting.splice(0)) wake();
  }
}

/**
 * Reads many identifiers from many groups, in parallel within the reply
 * budget. Each group succeeds or fails on its own. Groups are taken in
 * request order while their shard calls fit the invocation's budget; the
 * rest, and identifiers past the reply budget, come back as unprocessed
 * (SageMaker's UnprocessedIdentifiers), for the client to send again, as
 * the SDKs' batch helpers do.
 */
export async function batchGetRecords(ctx: StoreContext, requests: readonly BatchGetRequest[], fieldPrefix: (index: number) => string, options: BatchGetOptions = {}): Promise<BatchGetResult> {
  const servings = await Promise.all(requests.map((req) => servingGroup(ctx.db, req.featureGroup, ctx.now)));
  const result: BatchGetResult = { found: [], unprocessed: [], misses: [], errors: [] };
  const admitted: { req: BatchGetRequest; index: number }[] = [];
  let calls = MAX_SHARD_CALLS_PER_BATCH;
  const lookups = { left: options.maxStalenessMs ? MAX_CACHE_LOOKUPS_PER_BATCH : 0 };
  requests.forEach((req, index) => {
    const need = shardCallsFor(new Set(req.recordIdentifiers).size, servings[index]?.group.shardCount ?? 0);
    if (need > calls) {
      result.unprocessed.push(req);
      return;
    }
    calls -= need;
    admitted.push({ req, index });
  });
  // Follow-ups of capped replies may use what admission left of the call budget.
  const budget = new ReplyBudget(MAX_SHARD_CALLS_PER_BATCH);
  await Promise.all(
    admitted.map(async ({ req, index }) => {
      const outcome = await withServingGroup(ctx, req.featureGroup, async (serving) => batchGetGroup(ctx, serving, req, fieldPrefix(index), budget, result, { ...options, lookups }));
      if (!outcome.ok) result.errors.push({ featureGroup: req.featureGroup, failure: outcome.failure });
    }),
  );
  return result;
}

interface GroupReadOptions extends BatchGetOptions {
  /** Cache lookups the whole batch may still make. */
  lookups: { left: number };
}

/**
 * Looks identifiers up in the colo cache, as many as the batch's allowance
 * leaves: those with a young enough copy are taken out of `byShard`.
 * Returns the hits and the identifiers looked up (only those are filled
 * from the shard replies, to keep within the allowance).
 */
async function cachedHits(ctx: StoreContext, generation: string, byShard: Map<number, string[]>, maxStalenessMs: number, lookups: { left: number }): Promise<{ hits: CachedRecord[]; looked: Set<string> }> {
  const candidates = [...byShard.values()].flat().slice(0, Math.max(0, lookups.left));
  lookups.left -= candidates.length;
  const hits = (await Promise.all(candidates.map((id) => cachedRecord(generation, id, ctx.now, maxStalenessMs)))).filter((hit): hit is CachedRecord => hit !== null);
  const served = new Set(hits.map((hit) => hit.record.recordIdentifier));
  for (const [shard, ids] of byShard) {
    const rest = ids.filter((id) => !served.has(id));
    if (rest.length) byShard.set(shard, rest);
    else byShard.delete(shard);
  }
  return { hits, looked: new Set(candidates) };
}

async function batchGetGroup(ctx: StoreContext, serving: ServingGroup, req: BatchGetRequest, field: string, budget: ReplyBudget, result: BatchGetResult, options: GroupReadOptions): Promise<Attempt<void>> {
  const { group, schema } = serving;
  const subset = parseFeatureSubset(schema, `${field}.features`, req.features);
  if (!subset.ok) return subset;
  if (!group.onlineStore.enabled) return fail({ reason: "invalid_field", field: `${field}.featureGroup`, rule: `${group.name} has no online store` });
  const byShard = new Map<number, string[]>();
  const seen = new Set<string>();
  const invalidIds: BatchGetResult["errors"] = [];
  req.recordIdentifiers.forEach((raw, i) => {
    const id = parseRecordIdentifier(schema, `${field}.recordIdentifiers[${i}]`, raw);
    if (!id.ok) {
      invalidIds.push({ featureGroup: group.name, recordIdentifier: raw, failure: id.failure });
      return;
    }
    if (seen.has(id.value)) return;
    seen.add(id.value);
    const shard = shardIndexOf(id.value, group.shardCount);
    const ids = byShard.get(shard);
    if (ids) ids.push(id.value);
    else byShard.set(shard, [id.value]);
  });
  const cacheable = mayUseReadCache(serving, options.maxStalenessMs);
  const { hits, looked } = cacheable ? await cachedHits(ctx, group.generation, byShard, options.maxStalenessMs!, options.lookups) : { hits: [], looked: new Set<string>() };
  const calls: [number, string[]][] = [];
  for (const [shard, ids] of byShard) for (let i = 0; i < ids.length; i += MAX_IDS_PER_SHARD_CALL) calls.push([shard, ids.slice(i, i + MAX_IDS_PER_SHARD_CALL)]);
  const found: StoredRecord[] = [];
  const misses: string[] = [];
  const unprocessed: string[] = [];
  let retry = false;
  await Promise.all(
    calls.map(async ([shard, ids]) => {
      // A capped reply's unread identifiers are asked again, while the budget lasts.
      for (let pending = ids; pending.length > 0 && !retry; ) {
        if (!(await budget.acquire())) {
          unprocessed.push(...pending);
          return;
        }
        let used = 0;
        try {
          const reply = fromShard(
            await shardStub(ctx, group.generation, shard).get({
              catalogVersion: group.catalogVersion,
              ...shardKeysOf(serving),
              recordIdentifiers: pending,
              maxChars: MAX_CHARS_PER_SHARD_CALL,
              // Reads that fill the cache take whole records, so a copy serves any feature subset.
              ...(subset.value && !cacheable ? { features: subset.value } : {}),
              ...(cacheable ? { fillsCache: true } : {}),
            }),
          );
          if (reply === RETRY) {
            retry = true;
            return;
          }
          const unread = new Set(reply.unread ?? []);
          const hits = new Set<string>();
          for (const record of reply.records) {
            hits.add(record.recordIdentifier);
            used += record.body.length;
            found.push(record);
          }
          for (const id of pending) if (!hits.has(id) && !unread.has(id)) misses.push(id);
          pending = pending.filter((id) => unread.has(id));
        } finally {
          budget.release(used);
        }
      }
    }),
  );
  if (retry) return RETRY;
  result.errors.push(...invalidIds);
  for (const hit of hits) result.found.push({ featureGroup: group.name, record: subsetOf(hit.record, subset.value), ageMs: hit.ageMs });
  const fills: StoredRecord[] = [];
  for (const record of found) {
    result.found.push({ featureGroup: group.name, record: cacheable ? subsetOf(record, subset.value) : record, ageMs: 0 });
    if (looked.has(record.recordIdentifier)) fills.push(record);
  }
  for (const id of misses) result.misses.push({ featureGroup: group.name, recordIdentifier: id });
  if (unprocessed.length > 0) result.unprocessed.push({ featureGroup: req.featureGroup, recordIdentifiers: unprocessed, features: req.features });
  await Promise.all(fills.map((record) => rememberRecord(group.generation, record, ctx.now)));
  return ok(undefined);
}
