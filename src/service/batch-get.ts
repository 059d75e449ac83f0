import { servingGroup, type ServingGroup } from "../catalog";
import { fail, ok, type Failure, type Result } from "../failure";
import { shardIndexOf, type GetOutcome, type StoredRecord } from "../online";
import { parseFeatureSubset, parseRecordIdentifier } from "../records";
import type { StoreContext } from "./context";
import { fromShard, RETRY, shardStub, withServingGroup, type Attempt } from "./shards";

export interface BatchGetRequest {
  featureGroup: string;
  recordIdentifiers: string[];
  features: string[];
}

export interface BatchGetResult {
  found: { featureGroup: string; record: StoredRecord }[];
  misses: { featureGroup: string; recordIdentifier: string }[];
  errors: { featureGroup: string; recordIdentifier?: string; failure: Failure }[];
}

/**
 * Shard calls one batch get may make. Workers allow 1,000 subrequests per
 * invocation; the rest of the budget covers catalog reads.
 */
export const MAX_SHARD_CALLS_PER_BATCH = 900;

/**
 * Reads many identifiers from many groups: one call per shard touched, all
 * in parallel. Each group succeeds or fails on its own. A request that would
 * touch more shards than one invocation may call is refused whole.
 */
export async function batchGetRecords(ctx: StoreContext, requests: readonly BatchGetRequest[], fieldPrefix: (index: number) => string): Promise<Result<BatchGetResult>> {
  const servings = await Promise.all(requests.map((req) => servingGroup(ctx.db, req.featureGroup, ctx.now)));
  const shardCalls = requests.reduce((sum, req, i) => sum + Math.min(new Set(req.recordIdentifiers).size, servings[i]?.group.shardCount ?? 0), 0);
  if (shardCalls > MAX_SHARD_CALLS_PER_BATCH) {
    return fail({ reason: "invalid_field", field: "requests", rule: `touch at most ${MAX_SHARD_CALLS_PER_BATCH} record shards per request (this one touches up to ${shardCalls}); split it` });
  }
  const result: BatchGetResult = { found: [], misses: [], errors: [] };
  await Promise.all(
    requests.map(async (req, index) => {
      const outcome = await withServingGroup(ctx, req.featureGroup, async (serving) => batchGetGroup(ctx, serving, req, fieldPrefix(index), result));
      if (!outcome.ok) result.errors.push({ featureGroup: req.featureGroup, failure: outcome.failure });
    }),
  );
  return ok(result);
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
  const replies = await Promise.all(
    [...byShard].map(async ([shard, ids]): Promise<{ ids: string[]; reply: GetOutcome | typeof RETRY }> => ({
      ids,
      reply: fromShard(
        await shardStub(ctx, group.generation, shard).get({
          catalogVersion: group.catalogVersion,
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
