import { fail, type Failure, type Result } from "../failure";
import { forgetServingGroup, reloadServingGroup, servingGroup, type FeatureGroup, type ServingGroup } from "../catalog";
import { shardName, type RecordShard } from "../online";
import type { StoreContext } from "./context";
import { loadShardKeys } from "./keys";

/** Deriving an id hashes the name; ids are plain values, safe to keep per isolate. */
const shardIds = new Map<string, DurableObjectId>();
const MAX_CACHED_IDS = 10_000;

export function shardStub(ctx: StoreContext, generation: string, index: number): DurableObjectStub<RecordShard> {
  const name = shardName(generation, index);
  let id = shardIds.get(name);
  if (!id) {
    if (shardIds.size >= MAX_CACHED_IDS) shardIds.clear();
    id = ctx.shards.idFromName(name);
    shardIds.set(name, id);
  }
  return ctx.shards.get(id);
}

/** A shard refused the call: the cached definition must be reloaded. */
export const RETRY: unique symbol = Symbol("retry");
export type Attempt<T> = Result<T> | typeof RETRY;

type Accepted<R> = Exclude<R, { refused: unknown }>;

/** A shard could not decrypt a stored value: thrown by fromShard, answered by withServingGroup as the failure it carries. */
class ShardKeyFailure extends Error {
  constructor(readonly failure: Failure) {
    super(failure.reason);
  }
}

/** Unwraps a shard reply, turning a refusal into RETRY (or, for values that do not decrypt, a 503 failure). */
export function fromShard<R extends object>(reply: R): Accepted<R> | typeof RETRY {
  if (!("refused" in reply)) return reply as Accepted<R>;
  const refusal = reply as { refused: string; detail?: unknown };
  if (refusal.refused === "data_key") throw new ShardKeyFailure({ reason: "unavailable", detail: `stored values cannot be decrypted with this feature group's data keys (${String(refusal.detail)}); the master keyring or data keys may have been changed` });
  return RETRY;
}

/**
 * Runs an operation against a group's cached definition. When a shard says
 * the definition is stale (or its generation dropped), reloads it from D1 and
 * runs once more; a second refusal means the catalog is changing right now.
 */
export async function withServingGroup<T>(ctx: StoreContext, name: string, run: (serving: ServingGroup) => Promise<Attempt<T>>): Promise<Result<T>> {
  let serving = await servingGroup(ctx.db, name, ctx.now);
  for (let attempt = 0; ; attempt++) {
    if (!serving) return fail({ reason: "feature_group_not_found", featureGroup: name });
    const keys = await loadShardKeys(ctx, serving);
    if (!keys.ok) return keys;
    let result: Attempt<T>;
    try {
      result = await run(serving);
    } catch (error) {
      if (error instanceof ShardKeyFailure) return fail(error.failure);
      throw error;
    }
    if (result !== RETRY) return result;
    if (attempt >= 1) return fail({ reason: "unavailable", detail: `feature group ${name} is being changed; retry the request` });
    serving = await reloadServingGroup(ctx.db, name, ctx.now);
  }
}

const FAN_OUT_ATTEMPTS = 3;

/**
 * Calls every shard of a group (catalog changes). Retries each shard a few
 * times; shards that still fail are reported so the caller can answer 503
 * and the client can repeat the idempotent change.
 */
export async function onEveryShard(ctx: StoreContext, group: FeatureGroup, call: (stub: DurableObjectStub<RecordShard>) => Promise<void>): Promise<Result<void>> {
  forgetServingGroup(group.name);
  const failures = await Promise.all(
    Array.from({ length: group.shardCount }, async (_, index) => {
      for (let attempt = 1; ; attempt++) {
        try {
          await call(shardStub(ctx, group.generation, index));
          return 0;
        } catch (error) {
          if (attempt >= FAN_OUT_ATTEMPTS) {
            console.error("shard fan-out failed", { featureGroup: group.name, shard: index, error: String(error) });
            return 1;
          }
        }
      }
    }),
  );
  const failed = failures.reduce<number>((a, b) => a + b, 0);
  const failure: Failure = { reason: "unavailable", detail: `${failed} of ${group.shardCount} shards of ${group.name} did not confirm the change; repeat the request` };
  return failed === 0 ? { ok: true, value: undefined } : fail(failure);
}
