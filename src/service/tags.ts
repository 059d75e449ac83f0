import { getFeatureGroupTags, mergeTags, removeTags, replaceFeatureGroupTags, type Tag } from "../catalog";
import { fail, ok, type Result } from "../failure";
import type { StoreContext } from "./context";

/**
 * A feature group's tags: list, add (a present key takes the new value),
 * delete. Both APIs parse their own request shapes and call these. Input is
 * already valid; what remains is the group and the 50-tag limit, which
 * depend on the stored tags.
 */

/**
 * Concurrent changes to one group's tags are rare: a writer that loses the
 * compare-and-swap waits a random while (full jitter, doubling from 5 ms,
 * at most 200 ms) so racing writers spread out, and after this many lost
 * races gives up with a retryable 503.
 */
const MAX_TAG_WRITE_ATTEMPTS = 10;
const TAG_RETRY_BASE_MS = 5;
const TAG_RETRY_MAX_MS = 200;

const jitter = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(TAG_RETRY_MAX_MS, TAG_RETRY_BASE_MS * 2 ** attempt)));

export async function listTags(ctx: StoreContext, featureGroup: string): Promise<Result<Tag[]>> {
  const stored = await getFeatureGroupTags(ctx.db, featureGroup);
  return stored ? ok(stored.tags) : fail({ reason: "feature_group_not_found", featureGroup });
}

/** @param field names the tag list in failures (the 50-tag limit). @returns every tag of the group afterwards. */
export function addTags(ctx: StoreContext, featureGroup: string, tags: readonly Tag[], field: string): Promise<Result<Tag[]>> {
  return changeTags(ctx, featureGroup, (current) => mergeTags(current, tags, field));
}

/** Keys the group does not have are ignored. @returns the tags left. */
export function deleteTags(ctx: StoreContext, featureGroup: string, keys: readonly string[]): Promise<Result<Tag[]>> {
  return changeTags(ctx, featureGroup, (current) => ok(removeTags(current, keys)));
}

const same = (a: readonly Tag[], b: readonly Tag[]) => a.length === b.length && a.every((tag, i) => tag.key === b[i]?.key && tag.value === b[i]?.value);

/** Read, change, compare-and-swap; a lost race starts over from a fresh read after a jittered wait. */
async function changeTags(ctx: StoreContext, featureGroup: string, change: (current: readonly Tag[]) => Result<Tag[]>): Promise<Result<Tag[]>> {
  for (let attempt = 0; attempt < MAX_TAG_WRITE_ATTEMPTS; attempt++) {
    const stored = await getFeatureGroupTags(ctx.db, featureGroup);
    if (!stored) return fail({ reason: "feature_group_not_found", featureGroup });
    const next = change(stored.tags);
    if (!next.ok || same(stored.tags, next.value)) return next;
    if (await replaceFeatureGroupTags(ctx.db, featureGroup, stored, next.value)) return next;
    await jitter(attempt);
  }
  return fail({ reason: "unavailable", detail: `the tags of feature group ${featureGroup} kept changing while this request applied its change; retry` });
}
