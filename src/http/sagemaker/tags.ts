import { fromZod, tagKeyListSchema, tagListSchema, type Tag } from "../../catalog";
import { FailureError, invalid, orThrow, type Result } from "../../failure";
import { addTags, deleteTags, listTags } from "../../service";
import type { AppContext } from "../context";
import { wireFieldFailure } from "./control-shapes";
import { featureGroupName } from "./wire";

/**
 * SageMaker's AddTags, ListTags and DeleteTags (awsJson1_1), for feature
 * group ARNs. Shapes and limits from the service model: ResourceArn at most
 * 256 characters matching `arn:aws[a-z-]*:sagemaker:[a-z0-9-]*:[0-9]{12}:.+`;
 * AddTags 0-50 Tags and returns them; ListTags MaxResults at least 50 (a
 * group holds at most 50 tags, so one page always holds them all; NextToken
 * is honoured all the same); DeleteTags 1-50 TagKeys, unknown keys ignored.
 * The operations model no errors, and SageMaker answers an ARN it does not
 * hold with ValidationException, so a missing group is one here too
 * (errors.ts).
 */

type Json = Record<string, unknown>;

const RESOURCE_ARN = /^arn:aws[a-z-]*:sagemaker:[a-z0-9-]*:[0-9]{12}:.+$/;
const MAX_ARN_CHARS = 256;
const MIN_LIST_TAGS_RESULTS = 50;

/** The operations whose missing resource is a ValidationException rather than ResourceNotFound. */
export const TAG_OPERATIONS: ReadonlySet<string> = new Set(["AddTags", "ListTags", "DeleteTags"]);

function wired<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  throw new FailureError(wireFieldFailure(result.failure));
}

/** The feature group a ResourceArn names; other resources are not held here. */
function groupOfArn(c: AppContext, req: Json): string {
  const arn = req.ResourceArn;
  if (typeof arn !== "string" || arn.length > MAX_ARN_CHARS || !RESOURCE_ARN.test(arn)) {
    orThrow(invalid("ResourceArn", `is required: a SageMaker ARN of at most ${MAX_ARN_CHARS} characters matching arn:aws[a-z-]*:sagemaker:[a-z0-9-]*:[0-9]{12}:.+`));
  }
  const name = featureGroupName(arn as string, c.env.FS_ACCOUNT_ID);
  if (name === arn) orThrow(invalid("ResourceArn", `must be the ARN of a feature group of account ${c.env.FS_ACCOUNT_ID} (arn:aws:sagemaker:<region>:${c.env.FS_ACCOUNT_ID}:feature-group/<name>); this service holds no other resources`));
  return name;
}

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);
const wireTags = (tags: readonly Tag[]) => tags.map((t) => ({ Key: t.key, Value: t.value }));

export async function addTagsOperation(c: AppContext, req: Json): Promise<Json> {
  const group = groupOfArn(c, req);
  // Required by the model; each Tag is {Key, Value}, both required.
  if (!Array.isArray(req.Tags)) orThrow(invalid("Tags", "is required: a list of 0-50 {Key, Value}"));
  const native = (req.Tags as unknown[]).map((t) => (isObject(t) ? { key: t.Key, value: t.Value } : t));
  const tags = wired(fromZod(tagListSchema.safeParse(native), "tags"));
  wired(await addTags(c.get("store"), group, tags, "tags"));
  return { Tags: wireTags(tags) };
}

export async function listTagsOperation(c: AppContext, req: Json): Promise<Json> {
  const group = groupOfArn(c, req);
  const max = req.MaxResults ?? MIN_LIST_TAGS_RESULTS;
  if (!Number.isInteger(max) || (max as number) < MIN_LIST_TAGS_RESULTS) orThrow(invalid("MaxResults", `must be an integer of at least ${MIN_LIST_TAGS_RESULTS}`));
  const token = req.NextToken;
  const start = token === undefined || token === "" ? 0 : typeof token === "string" && /^\d{1,4}$/.test(token) ? Number(token) : -1;
  if (start < 0) orThrow(invalid("NextToken", "must be a token returned by a previous page"));
  const tags = wired(await listTags(c.get("store"), group));
  const end = start + (max as number);
  return { Tags: wireTags(tags.slice(start, end)), ...(end < tags.length ? { NextToken: String(end) } : {}) };
}

export async function deleteTagsOperation(c: AppContext, req: Json): Promise<Json> {
  const group = groupOfArn(c, req);
  const keys = wired(fromZod(tagKeyListSchema.safeParse(req.TagKeys), "TagKeys"));
  wired(await deleteTags(c.get("store"), group, keys));
  return {};
}
