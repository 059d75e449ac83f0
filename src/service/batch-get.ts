import { servingGroup, type ServingGroup } from "../catalog";
import { fail, ok, type Failure } from "../failure";
import { shardIndexOf, type GetOutcome, type StoredRecord } from "../online";
import { parseFeatureSubset, parseRecordIdentifier } from "../records";
import type { StoreContext } from "./context";
import { shardKeysOf } from "./keys";
import { fromShard, RETRY, shardStub, withServingGroup, type Attempt } from "./shards";
import { cachedRecord, rememberRecord, type CachedRecord } from "./read-cache";
import { mayUseReadCache, subsetOf } from "./records";

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

/** Shard calls for `unique` identifiers over `shardCount` shards, at most. */
const shardCallsFor = (unique: number, shardCount: number): number => Math.min(unique, shardCount + Math.floor(unique / MAX_IDS_PER_SHARD_CALL));

/**
 * Reads many identifiers from many groups: one call per shard touched, all
 * in parallel. Each group succeeds or fails on its own. Groups are taken in
 * request order while their shard calls fit the invocation's budget; the
 * rest come back as unprocessed (SageMaker's UnprocessedIdentifiers), for
 * the client to send again, as the SDKs' batch helpers do.
 */
export async function batchGetRecords(ctx: StoreContext, requests: readonly BatchGetRequest[], fieldPrefix: (index: number) => string, options: BatchGetOptions = {}): Promise<BatchGetResult> {
  const servings = await Promise.all(requests.map((req) => servingGroup(ctx.db, req.featureGroup, ctx.now)));
  const result: BatchGetResult = { found: [], unprocessed: [], misses: [], errors: [] };
  const admitted: { req: BatchGetRequest; index: number }[] = [];
  let budget = MAX_SHARD_CALLS_PER_BATCH;
  const lookups = { left: options.maxStalenessMs ? MAX_CACHE_LOOKUPS_PER_BATCH : 0 };
  requests.forEach((req, index) => {
    const need = shardCallsFor(new Set(req.recordIdentifiers).size, servings[index]?.group.shardCount ?? 0);
    if (need > budget) {
      result.unprocessed.push(req);
      return;
    }
    budget -= need;
    admitted.push({ req, index });
  });
  await Promise.all(
    admitted.map(async ({ req, index }) => {
      const outcome = await withServingGroup(ctx, req.featureGroup, async (serving) => batchGetGroup(ctx, serving, req, fieldPrefix(index), result, { ...options, lookups }));
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

async function batchGetGroup(ctx: StoreContext, serving: ServingGroup, req: BatchGetRequest, field: string, result: BatchGetResult, options: GroupReadOptions): Promise<Attempt<void>> {
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
  const replies = await Promise.all(
    calls.map(async ([shard, ids]): Promise<{ ids: string[]; reply: GetOutcome | typeof RETRY }> => ({
      ids,
      reply: fromShard(
        await shardStub(ctx, group.generation, shard).get({
          catalogVersion: group.catalogVersion,
          ...shardKeysOf(serving),
          recordIdentifiers: ids,
          // Reads that fill the cache take whole records, so a copy serves any feature subset.
          ...(subset.value && !cacheable ? { features: subset.value } : {}),
        }),
      ),
    })),
  );
  if (replies.some((r) => r.reply === RETRY)) return RETRY;
  result.errors.push(...invalidIds);
  for (const hit of hits) result.found.push({ featureGroup: group.name, record: subsetOf(hit.record, subset.value), ageMs: hit.ageMs });
  const fills: StoredRecord[] = [];
  for (const { ids, reply } of replies) {
    if (reply === RETRY) continue;
    const found = new Set<string>();
    for (const record of reply.records) {
      found.add(record.recordIdentifier);
      result.found.push({ featureGroup: group.name, record: cacheable ? subsetOf(record, subset.value) : record, ageMs: 0 });
      if (looked.has(record.recordIdentifier)) fills.push(record);
    }
    for (const id of ids) if (!found.has(id)) result.misses.push({ featureGroup: group.name, recordIdentifier: id });
  }
  await Promise.all(fills.map((record) => rememberRecord(group.generation, record, ctx.now)));
  return ok(undefined);
}
