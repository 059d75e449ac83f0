import { readJsonBody } from "./body";
import type { JsonLimits } from "../formats";
import type { GroupsOf } from "./authorize";
import type { AppContext } from "./context";
import { featureGroupName } from "./sagemaker/wire";

/**
 * How routes name the feature groups they touch, for authorize(). Bodies
 * are read from a clone (the handler reads the original) and only for
 * non-root callers or audited actions; an unreadable body names no group.
 */

/** The `:name` path parameter. */
export const groupParam: GroupsOf = (c) => [c.req.param("name") ?? ""];

/** The `:name` path parameter of the SageMaker runtime, which may be an ARN. */
export const sageMakerGroupParam: GroupsOf = (c) => [featureGroupName(c.req.param("name") ?? "", c.env.FS_ACCOUNT_ID)];

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const listOf = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Groups named in the JSON body, picked by `pick`; non-strings are dropped (the handler rejects them). */
export function bodyGroups(maxBytes: number, pick: (body: Record<string, unknown>) => unknown[], limits?: JsonLimits): GroupsOf {
  return async (c: AppContext) => {
    const body = await readJsonBody(c.req.raw.clone(), maxBytes, limits);
    if (!body.ok || !isRecord(body.value)) return [];
    return [...new Set(pick(body.value).filter((name): name is string => typeof name === "string"))];
  };
}

/** Each item's `member` of the body's list `list`. */
export const membersOf = (list: string, member: string) => (body: Record<string, unknown>) => listOf(body[list]).map((item) => (isRecord(item) ? item[member] : undefined));

/** For the SageMaker APIs: names or ARNs, reduced to names. */
export function sageMakerBodyGroups(maxBytes: number, pick: (body: Record<string, unknown>) => unknown[]): GroupsOf {
  const groups = bodyGroups(maxBytes, pick);
  return async (c) => (await groups(c)).map((name) => featureGroupName(name, c.env.FS_ACCOUNT_ID));
}
