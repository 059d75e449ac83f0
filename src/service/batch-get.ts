import { servingGroup, type ServingGroup } from "../catalog";
import { fail, ok, type Failure } from "../failure";
import { shardIndexOf, type GetOutcome, type StoredRecord } from "../online";
import { parseFeatureSubset, parseRecordIdentifier } from "../records";
import type { StoreContext } from "./context";
import { shardKeysOf } from "./keys";
import { fromShard, RETRY, shardStub, withServingGroup, type Attempt } from "./shards";

export interface BatchGetRequest {
  featureGroup: string;
  recordIdentifiers: string[];
  features: string[];
}

export interface BatchGetResult {
  found: { featureGroup: string; record: StoredRecord }[];
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

/** Shard calls for `unique` identifiers over `shardCount` shards, at most. */
const shardCallsFor = (unique: number, shardCount: number): number => Math.min(unique, shardCount + Math.floor(unique / MAX_IDS_PER_SHARD_CALL));

/**
 * Reads many identifiers from many groups: one call per shard touched, all
 * in parallel. Each group succeeds or fails on its own. Groups are taken in
 * request order while their shard calls fit the invocation's budget; the
 * rest come back as unprocessed (SageMaker's UnprocessedIdentifiers), for
 * the client to send again, as the SDKs' batch helpers do.
 */
export async function batchGetRecords(ctx: StoreContext, requests: readonly BatchGetRequest[], fieldPrefix: (index: number) => string): Promise<BatchGetResult> {
  const servings = await Promise.all(requests.map((req) => servingGroup(ctx.db, req.featureGroup, ctx.now)));
  const result: BatchGetResult = { found: [], unprocessed: [], misses: [], errors: [] };
  const admitted: { req: BatchGetRequest; index: number }[] = [];
  let budget = MAX_SHARD_CALLS_PER_BATCH;
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
      const outcome = await withServingGroup(ctx, req.featureGroup, async (serving) => batchGetGroup(ctx, serving, req, fieldPrefix(index), result));
      if (!outcome.ok) result.errors.push({ featureGroup: req.featureGroup, failure: outcome.failure });
    }),
  );
  return result;
}

async function batchGetGroup(ctx: StoreContext, serving: ServingGroup, req: BatchGetRequest, field: string, result: BatchGetResult): Promise<Attempt<void>> {
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
          ...(subset.value ? { features: subset.value } : {}),
        }),
      ),
    })),
  );
  if (replies.some((r) => r.reply === RETRY)) return RETRY;
  result.errors.push(...invalidIds);
  for (const { ids, reply } of replies) {
    if (reply === RETRY) continue;
    const hits = new Set<string>();
    for (const record of reply.records) {
      hits.add(record.recordIdentifier);
      result.found.push({ featureGroup: group.name, record });
    }
    for (const id of ids) if (!hits.has(id)) result.misses.push({ featureGroup: group.name, recordIdentifier: id });
  }
  return ok(undefined);
}
