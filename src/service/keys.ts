import type { ServingGroup } from "../catalog";
import { groupDataKeys } from "../crypto/data-keys";
import type { DataKeyMaterial } from "../crypto/values";
import { ok, type Result } from "../failure";
import type { StoreContext } from "./context";

/**
 * The online data keys a group's shard calls carry. Loaded next to the
 * serving definition and refreshed with it: a data key rotation bumps the
 * group's catalog version, so shards refuse callers holding older keys and
 * the caller reloads both.
 */
const loaded = new WeakMap<ServingGroup, DataKeyMaterial | null>();

/** Loads (or finds cached) the serving group's online keys; a 503 when an encrypted group's keys cannot be unwrapped. */
export async function loadShardKeys(ctx: StoreContext, serving: ServingGroup): Promise<Result<void>> {
  if (loaded.has(serving)) return ok(undefined);
  const keys = await groupDataKeys(ctx.db, ctx.secrets, serving.group.generation, ctx.now, serving.loadedAt);
  if (!keys.ok) return keys;
  loaded.set(serving, keys.value.online ?? null);
  return ok(undefined);
}

/** `{ keys }` to spread into a shard command, or nothing for an unencrypted group. */
export function shardKeysOf(serving: ServingGroup): { keys?: DataKeyMaterial } {
  const keys = loaded.get(serving);
  // Never fall back to writing plaintext for a definition whose keys were not looked up.
  if (keys === undefined) throw new Error(`data keys of ${serving.group.name} were not loaded before a shard call`);
  return keys ? { keys } : {};
}
