import { Hono } from "hono";
import {
  allFeatureGroups,
  getFeatureMetadata,
  parseUpdateFeatureMetadata,
  updateFeatureMetadata,
  type FeatureGroup,
} from "../../catalog";
import { FailureError, invalid, orThrow, type Result } from "../../failure";
import { MAX_CONTROL_BODY_BYTES } from "../../records";
import { createFeatureGroup, deleteFeatureGroup, describeFeatureGroup, updateFeatureGroup } from "../../service";
import { asObject, readJsonBody } from "../body";
import type { AppContext, AppEnv } from "../context";
import { arnOf, nativeCreateBody, sagemakerSettingsOf, nativeUpdateBody, wireFeatureGroup, wireFeatureGroupSummary, wireFeatureMetadata, wireFieldFailure } from "./control-shapes";
import { searchCatalog } from "./search";
import { addTagsOperation, deleteTagsOperation, listTagsOperation } from "./tags";
import { sageMakerAction } from "../../access";
import { authorize } from "../authorize";
import { sageMakerBodyGroups } from "../resources";
import { featureGroupName } from "./wire";

/**
 * SageMaker's control plane (awsJson1_1): `POST /` with
 * `X-Amz-Target: SageMaker.<Operation>`. The feature store operations only.
 */
export const controlApi = new Hono<AppEnv>();

type Json = Record<string, unknown>;
type Handler = (c: AppContext, req: Json) => Promise<Json>;

/** A core Result, with native field names turned into SageMaker members. */
function wired<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  throw new FailureError(wireFieldFailure(result.failure));
}

function requiredName(req: Json, member: string): string {
  const value = req[member];
  if (typeof value !== "string" || value === "") throw new FailureError({ reason: "invalid_field", field: member, rule: "is required" });
  return value;
}

const groupOf = (c: AppContext, req: Json) => featureGroupName(requiredName(req, "FeatureGroupName"), c.env.FS_ACCOUNT_ID);


const SORT_KEYS: Record<string, (g: FeatureGroup) => string | number> = {
  Name: (g) => g.name,
  FeatureGroupStatus: (g) => g.status,
  OfflineStoreStatus: (g) => (g.offlineStore.enabled ? "Active" : "Disabled"),
  CreationTime: (g) => g.createdAt,
};

function pageOf<T>(items: T[], req: Json): { page: T[]; NextToken?: string } {
  const max = req.MaxResults ?? 10;
  if (!Number.isInteger(max) || (max as number) < 1 || (max as number) > 100) orThrow(invalid("MaxResults", "must be an integer from 1 to 100"));
  const token = req.NextToken;
  const start = token === undefined || token === "" ? 0 : Number(token);
  if (!Number.isInteger(start) || start < 0) orThrow(invalid("NextToken", "must be a token returned by a previous page"));
  const end = start + (max as number);
  return { page: items.slice(start, end), ...(end < items.length ? { NextToken: String(end) } : {}) };
}

function timeFilter(req: Json, member: string): number | undefined {
  const value = req[member];
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value)) orThrow(invalid(member, "must be a timestamp"));
  return (value as number) * 1000;
}

const handlers: Record<string, Handler> = {
  async CreateFeatureGroup(c, req) {
    const group = wired(await createFeatureGroup(c.get("store"), nativeCreateBody(req), sagemakerSettingsOf(req)));
    return { FeatureGroupArn: arnOf(c, group.name) };
  },

  async DescribeFeatureGroup(c, req) {
    const group = wired(await describeFeatureGroup(c.get("store"), groupOf(c, req)));
    // NextToken is required by the model; all definitions come in one page.
    return { ...wireFeatureGroup(c.env, group, arnOf(c, group.name)), NextToken: "" };
  },

  async ListFeatureGroups(c, req) {
    const nameContains = typeof req.NameContains === "string" ? req.NameContains.toLowerCase() : undefined;
    const after = timeFilter(req, "CreationTimeAfter");
    const before = timeFilter(req, "CreationTimeBefore");
    const sortBy = (req.SortBy as string | undefined) ?? "CreationTime";
    const key = SORT_KEYS[sortBy];
    if (!key) orThrow(invalid("SortBy", `must be one of ${Object.keys(SORT_KEYS).join(", ")}`));
    const order = req.SortOrder ?? "Descending";
    if (order !== "Ascending" && order !== "Descending") orThrow(invalid("SortOrder", "must be Ascending or Descending"));
    const visible = c.get("visibleGroup") ?? (() => true);
    const groups = (await allFeatureGroups(c.get("store").db))
      .filter((g) => visible(g.name))
      .filter((g) => nameContains === undefined || g.name.toLowerCase().includes(nameContains))
      .filter((g) => req.FeatureGroupStatusEquals === undefined || g.status === req.FeatureGroupStatusEquals)
      .filter((g) => req.OfflineStoreStatusEquals === undefined || (g.offlineStore.enabled ? "Active" : "Disabled") === req.OfflineStoreStatusEquals)
      .filter((g) => (after === undefined || g.createdAt > after) && (before === undefined || g.createdAt < before))
      .sort((a, b) => {
        const [x, y] = [key!(a), key!(b)];
        const cmp = x < y ? -1 : x > y ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
        return order === "Ascending" ? cmp : -cmp;
      });
    const { page, NextToken } = pageOf(groups, req);
    return { FeatureGroupSummaries: page.map((g) => wireFeatureGroupSummary(g, arnOf(c, g.name))), ...(NextToken ? { NextToken } : {}) };
  },

  async UpdateFeatureGroup(c, req) {
    const group = wired(await updateFeatureGroup(c.get("store"), groupOf(c, req), nativeUpdateBody(req)));
    return { FeatureGroupArn: arnOf(c, group.name) };
  },

  async DeleteFeatureGroup(c, req) {
    wired(await deleteFeatureGroup(c.get("store"), groupOf(c, req)));
    return {};
  },

  async DescribeFeatureMetadata(c, req) {
    const store = c.get("store");
    const group = wired(await describeFeatureGroup(store, groupOf(c, req)));
    const metadata = wired(await getFeatureMetadata(store.db, group, requiredName(req, "FeatureName")));
    return wireFeatureMetadata(metadata, arnOf(c, group.name));
  },

  async UpdateFeatureMetadata(c, req) {
    const store = c.get("store");
    const group = wired(await describeFeatureGroup(store, groupOf(c, req)));
    const additions = Array.isArray(req.ParameterAdditions) ? (req.ParameterAdditions as Json[]) : [];
    const update = wired(
      parseUpdateFeatureMetadata({
        ...(req.Description !== undefined ? { description: req.Description } : {}),
        ...(req.ParameterAdditions !== undefined ? { addParameters: Object.fromEntries(additions.map((p) => [p.Key, p.Value])) } : {}),
        ...(req.ParameterRemovals !== undefined ? { removeParameters: req.ParameterRemovals } : {}),
      }),
    );
    wired(await updateFeatureMetadata(store.db, group, requiredName(req, "FeatureName"), update, store.now));
    return {};
  },

  async Search(c, req) {
    return searchCatalog(c, req);
  },

  AddTags: addTagsOperation,
  ListTags: listTagsOperation,
  DeleteTags: deleteTagsOperation,
};

const operationOf = (c: AppContext): string => {
  const target = c.req.header("x-amz-target") ?? "";
  return target.startsWith("SageMaker.") ? target.slice("SageMaker.".length) : "";
};

/**
 * Every operation's action is sagemaker:<Operation>; the group is the body's
 * FeatureGroupName, or for the tag operations its ResourceArn (any other
 * resource's ARN is checked as a group of that name, which no statement
 * about feature groups matches).
 */
const authorizeOperation = authorize(
  (c) => sageMakerAction(operationOf(c)),
  sageMakerBodyGroups(MAX_CONTROL_BODY_BYTES, (body) => [body.FeatureGroupName, body.ResourceArn]),
);

controlApi.post("/", authorizeOperation, async (c) => {
  const target = c.req.header("x-amz-target") ?? "";
  const operation = operationOf(c);
  c.set("wire", { api: "control", operation });
  const handler = Object.hasOwn(handlers, operation) ? handlers[operation] : undefined;
  if (!handler) throw new FailureError({ reason: "route_not_found", method: "POST", path: `/ (X-Amz-Target: ${target || "missing"})` });
  const req = orThrow(asObject(orThrow(await readJsonBody(c.req.raw, MAX_CONTROL_BODY_BYTES)), "body"));
  const response = await handler(c, req);
  return new Response(JSON.stringify(response), { headers: { "content-type": "application/x-amz-json-1.1" } });
});
