import { z } from "zod";
import { createFeatureGroupSchema, type FeatureGroup, getFeatureMetadata, listFeatureGroups, parseUpdateFeatureMetadata, updateFeatureGroupSchema, updateFeatureMetadata, updateFeatureMetadataSchema } from "../../catalog";
import { invalid, orThrow } from "../../failure";
import { isoFromEpochMs, MAX_CONTROL_BODY_BYTES } from "../../records";
import { createFeatureGroup, deleteFeatureGroup, describeFeatureGroup, encryptionView, groupFreshness, offlineStoreOf, updateFeatureGroup, type OutboxSummary } from "../../service";
import { fromBase64Url, toBase64Url } from "../../crypto";
import { bodyGroups, groupParam } from "../resources";
import type { AppContext } from "../context";
import { RouteGroup } from "../route";
import { groupPath, intQuery, named, pathParam, stringQuery } from "./schemas/common";
import { featureGroup, featureGroupList, featureMetadata, groupFreshnessView, offlineStoreDescription } from "./schemas/catalog";
import { featureGroupArn, featureGroupSummaryView, featureGroupView, featureMetadataView } from "./views";

/** Feature group and feature metadata routes, under /v1/feature-groups. */
export const featureGroupRoutes = new RouteGroup("/feature-groups");

/** A page token is the base64url of the last name listed. */
const decodeToken = (token: string): string => {
  const bytes = fromBase64Url(token);
  return bytes ? new TextDecoder().decode(bytes) : orThrow(invalid("nextToken", "must be a token returned by a previous page"));
};
const encodeToken = (name: string): string => toBase64Url(new TextEncoder().encode(name));

const TAG = "Feature groups";
const featurePath = groupPath.extend({ feature: pathParam("The feature's name.") });
const groupWithEncryption = async (c: AppContext, group: FeatureGroup) => ({ ...featureGroupView(group, featureGroupArn(c.env, group.name)), encryption: await encryptionView(c.get("store"), group) });

const exampleGroup = {
  name: "users",
  recordIdentifierFeature: "user_id",
  eventTimeFeature: "event_time",
  features: [
    { name: "user_id", type: "String" },
    { name: "event_time", type: "String" },
    { name: "age", type: "Integral" },
    { name: "city", type: "String" },
  ],
  onlineStore: { enabled: true, ttl: { unit: "Days", value: 30 } },
  offlineStore: { enabled: true },
  tags: [{ key: "team", value: "growth" }],
};

featureGroupRoutes.add(
  {
    method: "post",
    path: "/",
    operationId: "createFeatureGroup",
    summary: "Create a feature group",
    tag: TAG,
    action: "sagemaker:CreateFeatureGroup",
    groups: bodyGroups(MAX_CONTROL_BODY_BYTES, (b) => [b.name]),
    body: { schema: named("CreateFeatureGroupRequest", createFeatureGroupSchema), maxBytes: MAX_CONTROL_BODY_BYTES },
    responses: [{ status: 201, description: "The new group.", schema: featureGroup }],
    example: { body: exampleGroup },
  },
  async (c, { body }) => {
    const group = orThrow(await createFeatureGroup(c.get("store"), body));
    return c.json(await groupWithEncryption(c, group), 201);
  },
);

featureGroupRoutes.add(
  {
    method: "get",
    path: "/",
    operationId: "listFeatureGroups",
    summary: "List feature groups by name, a page at a time",
    tag: TAG,
    action: "sagemaker:ListFeatureGroups",
    query: z.object({
      limit: intQuery(1, 100, 50, "Groups per page."),
      nextToken: stringQuery("The token of the previous page."),
      nameContains: stringQuery("Only groups whose name contains this text."),
      tagKey: stringQuery("Only groups with a tag of this key."),
      tagValue: stringQuery("With tagKey: only groups whose tag of that key has this value."),
    }),
    responses: [{ status: 200, description: "A page of groups the key may see.", schema: featureGroupList }],
    example: { query: { nameContains: "user", tagKey: "team", tagValue: "growth" } },
  },
  async (c, { query }) => {
    const { limit, nextToken: token, nameContains, tagKey, tagValue } = query;
    if (tagValue !== undefined && tagKey === undefined) orThrow(invalid("tagValue", "needs tagKey: it filters by the value of that key"));
    const page = await listFeatureGroups(c.get("store").db, {
      limit,
      ...(nameContains ? { nameContains } : {}),
      ...(tagKey !== undefined ? { tagKey, ...(tagValue !== undefined ? { tagValue } : {}) } : {}),
      ...(token ? { after: decodeToken(token) } : {}),
    });
    return c.json({
      featureGroups: page.groups.filter((g) => c.get("visibleGroup")?.(g.name) ?? true).map((g) => featureGroupSummaryView(g, featureGroupArn(c.env, g.name))),
      ...(page.last !== undefined ? { nextToken: encodeToken(page.last) } : {}),
    });
  },
);

featureGroupRoutes.add(
  {
    method: "get",
    path: "/:name",
    operationId: "describeFeatureGroup",
    summary: "Describe a feature group",
    tag: TAG,
    action: "sagemaker:DescribeFeatureGroup",
    groups: groupParam,
    params: groupPath,
    responses: [{ status: 200, description: "The group.", schema: featureGroup }],
    example: { params: { name: "users" } },
  },
  async (c, { params }) => c.json(await groupWithEncryption(c, orThrow(await describeFeatureGroup(c.get("store"), params.name)))),
);

featureGroupRoutes.add(
  {
    method: "patch",
    path: "/:name",
    operationId: "updateFeatureGroup",
    summary: "Add features, change the online TTL or the description",
    tag: TAG,
    action: "sagemaker:UpdateFeatureGroup",
    groups: groupParam,
    params: groupPath,
    body: { schema: named("UpdateFeatureGroupRequest", updateFeatureGroupSchema), maxBytes: MAX_CONTROL_BODY_BYTES },
    responses: [{ status: 200, description: "The group after the change.", schema: featureGroup }],
    example: { params: { name: "users" }, body: { addFeatures: [{ name: "tier", type: "String" }], onlineStore: { ttl: null } } },
  },
  async (c, { params, body }) => c.json(await groupWithEncryption(c, orThrow(await updateFeatureGroup(c.get("store"), params.name, body)))),
);

featureGroupRoutes.add(
  {
    method: "delete",
    path: "/:name",
    operationId: "deleteFeatureGroup",
    summary: "Delete a feature group and its records",
    tag: TAG,
    action: "sagemaker:DeleteFeatureGroup",
    groups: groupParam,
    params: groupPath,
    responses: [{ status: 204, description: "Deleted (online shards and offline files are cleared in the background)." }],
    example: { params: { name: "users" } },
  },
  async (c, { params }) => {
    orThrow(await deleteFeatureGroup(c.get("store"), params.name));
    return c.body(null, 204);
  },
);

featureGroupRoutes.add(
  {
    method: "get",
    path: "/:name/features/:feature",
    operationId: "describeFeatureMetadata",
    summary: "Read a feature's description and parameters",
    tag: TAG,
    action: "sagemaker:DescribeFeatureMetadata",
    groups: groupParam,
    params: featurePath,
    responses: [{ status: 200, description: "The feature's metadata.", schema: featureMetadata }],
    example: { params: { name: "users", feature: "age" } },
  },
  async (c, { params }) => {
    const store = c.get("store");
    const group = orThrow(await describeFeatureGroup(store, params.name));
    return c.json(featureMetadataView(orThrow(await getFeatureMetadata(store.db, group, params.feature))));
  },
);

featureGroupRoutes.add(
  {
    method: "patch",
    path: "/:name/features/:feature",
    operationId: "updateFeatureMetadata",
    summary: "Change a feature's description and parameters",
    tag: TAG,
    action: "sagemaker:UpdateFeatureMetadata",
    groups: groupParam,
    params: featurePath,
    body: { schema: named("UpdateFeatureMetadataRequest", updateFeatureMetadataSchema), maxBytes: MAX_CONTROL_BODY_BYTES },
    responses: [{ status: 200, description: "The feature's metadata after the change.", schema: featureMetadata }],
    example: { params: { name: "users", feature: "age" }, body: { description: "age in years", addParameters: { unit: "years" }, removeParameters: ["source"] } },
  },
  async (c, { params, body }) => {
    const store = c.get("store");
    const group = orThrow(await describeFeatureGroup(store, params.name));
    const update = orThrow(parseUpdateFeatureMetadata(body));
    return c.json(featureMetadataView(orThrow(await updateFeatureMetadata(store.db, group, params.feature, update, store.now))));
  },
);

const isoOrNull = (ms: number | null) => (ms === null ? null : isoFromEpochMs(ms));
const outboxJson = (outbox: OutboxSummary) => ({ ...outbox, oldestAt: isoOrNull(outbox.oldestAt), oldestSentAt: isoOrNull(outbox.oldestSentAt) });

featureGroupRoutes.add(
  {
    method: "get",
    path: "/:name/freshness",
    operationId: "describeFreshness",
    summary: "How current the group's online and offline stores are: last online write, last offline file, rows pending, offline lag",
    tag: TAG,
    action: "sagemaker:DescribeFeatureGroup",
    groups: groupParam,
    params: groupPath,
    responses: [{ status: 200, description: "The group's freshness (one call per shard; no records read).", schema: groupFreshnessView }],
    example: { params: { name: "users" } },
  },
  async (c, { params }) => {
    const freshness = orThrow(await groupFreshness(c.get("store"), params.name));
    return c.json({
      featureGroup: freshness.featureGroup,
      online: { lastWriteAt: isoOrNull(freshness.lastOnlineWriteAt) },
      ...(freshness.offline
        ? { offline: { lastFileWriteAt: isoOrNull(freshness.offline.lastFileWriteAt), pending: outboxJson(freshness.offline.pending), lagMs: freshness.offline.lagMs } }
        : {}),
    });
  },
);

featureGroupRoutes.add(
  {
    method: "get",
    path: "/:name/offline-store",
    operationId: "describeOfflineStore",
    summary: "Where the offline store's Parquet files are, with SQL for DuckDB, Athena and Spark",
    tag: "Offline store",
    action: "featurestore:ReadOfflineStore",
    groups: groupParam,
    params: groupPath,
    responses: [{ status: 200, description: "Location, files, columns, SQL, and rows not yet in a file.", schema: offlineStoreDescription }],
    example: { params: { name: "users" } },
  },
  async (c, { params }) => {
    const store = c.get("store");
    const { pending: outbox, ...description } = orThrow(await offlineStoreOf(store, c.env, params.name));
    return c.json({
      ...description,
      // Rows acknowledged but not yet confirmed in a registered file: waiting, sent and awaiting registration, or being retried.
      pending: outboxJson(outbox),
    });
  },
);
