import { z } from "zod";
import { invalid, ok, type Result } from "../failure";
import type { Tag } from "./model";

/**
 * Tag rules and tag-list arithmetic, pure. The rules are SageMaker's (the
 * service model's Tag, AddTags and DeleteTags shapes, and AWS's tagging
 * rules): a key is 1-128 characters, a value 0-256, both drawn from letters,
 * separators, numbers and `_.:/=+-@`; a resource holds at most 50 tags; keys
 * are case-sensitive; the `aws:` prefix (any case) is AWS's own, so clients
 * may neither add nor delete such keys. Lengths count UTF-16 code units, as
 * the service (Java strings) does.
 */

export const MAX_TAGS_PER_RESOURCE = 50;
export const MAX_TAG_KEY_CHARS = 128;
export const MAX_TAG_VALUE_CHARS = 256;

const TAG_CHARACTERS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const CHARACTER_RULE = "must use only letters, spaces, numbers and _ . : / = + - @ (^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$)";
const RESERVED_PREFIX = "aws:";

const tagKey = z
  .string()
  .min(1, `must be 1-${MAX_TAG_KEY_CHARS} characters`)
  .max(MAX_TAG_KEY_CHARS, `must be 1-${MAX_TAG_KEY_CHARS} characters`)
  .regex(TAG_CHARACTERS, CHARACTER_RULE)
  .refine((key) => !key.toLowerCase().startsWith(RESERVED_PREFIX), "must not start with aws: (reserved for AWS)");

const tagValue = z.string().max(MAX_TAG_VALUE_CHARS, `must be 0-${MAX_TAG_VALUE_CHARS} characters`).regex(TAG_CHARACTERS, CHARACTER_RULE);

const tagSchema = z.strictObject({ key: tagKey, value: tagValue });

/** A list of tags as clients send it: at most 50, each key once (which of two values was meant is not ours to guess). */
export const tagListSchema = z
  .array(tagSchema)
  .max(MAX_TAGS_PER_RESOURCE, `must hold at most ${MAX_TAGS_PER_RESOURCE} tags`)
  .superRefine((tags, ctx) => {
    const seen = new Set<string>();
    for (const [i, tag] of tags.entries()) {
      if (seen.has(tag.key)) ctx.addIssue({ code: "custom", path: [i, "key"], message: `must be unique in the request; ${tag.key} is given twice` });
      seen.add(tag.key);
    }
  });

/** Keys to delete: 1-50 of them, each a key a client could have added. */
export const tagKeyListSchema = z.array(tagKey).min(1, `must list 1-${MAX_TAGS_PER_RESOURCE} keys`).max(MAX_TAGS_PER_RESOURCE, `must list 1-${MAX_TAGS_PER_RESOURCE} keys`);

/**
 * The group's tags after adding `added`: a key already present takes the new
 * value in place, new keys follow in request order.
 */
export function mergeTags(current: readonly Tag[], added: readonly Tag[], field: string): Result<Tag[]> {
  const byKey = new Map(added.map((tag) => [tag.key, tag.value]));
  const merged = current.map((tag) => (byKey.has(tag.key) ? { key: tag.key, value: byKey.get(tag.key) ?? "" } : tag));
  const present = new Set(current.map((tag) => tag.key));
  const fresh = added.filter((tag) => !present.has(tag.key));
  if (merged.length + fresh.length > MAX_TAGS_PER_RESOURCE) {
    return invalid(field, `would give the feature group ${merged.length + fresh.length} tags; it may hold at most ${MAX_TAGS_PER_RESOURCE} (it has ${current.length})`);
  }
  return ok([...merged, ...fresh.map((tag) => ({ key: tag.key, value: tag.value }))]);
}

/** The group's tags without `keys`; keys it does not have are ignored, as SageMaker does. */
export function removeTags(current: readonly Tag[], keys: readonly string[]): Tag[] {
  const gone = new Set(keys);
  return current.filter((tag) => !gone.has(tag.key));
}
