import { Hono } from "hono";
import { getFeatureMetadata, listFeatureGroups, parseUpdateFeatureMetadata, updateFeatureMetadata } from "../../catalog";
import { invalid, orThrow } from "../../failure";
import { isoFromEpochMs, MAX_CONTROL_BODY_BYTES } from "../../records";
import { createFeatureGroup, deleteFeatureGroup, describeFeatureGroup, outboxSummary, updateFeatureGroup } from "../../service";
import { describeOfflineStore } from "../../offline/external";
import { activeFiles } from "../../offline/manifest";
import { externalReadNotes } from "../../crypto/offline-objects";
import { fromBase64Url, toBase64Url } from "../../crypto/base64url";
import { encryptionView } from "../../service/encryption";
import { readJsonBody } from "../body";
import { authorize } from "../authorize";
import { bodyGroups, groupParam } from "../resources";
import type { AppEnv } from "../context";
import { intParam } from "../query";
import { featureGroupArn, featureGroupSummaryView, featureGroupView, featureMetadataView } from "./views";

/** Feature group and feature metadata routes, under /v1/feature-groups. */
export const featureGroupRoutes = new Hono<AppEnv>();

/** A page token is the base64url of the last name listed. */
const decodeToken = (token: string): string => {
  const bytes = fromBase64Url(token);
  return bytes ? new TextDecoder().decode(bytes) : orThrow(invalid("nextToken", "must be a token returned by a previous page"));
};
const encodeToken = (name: string): string => toBase64Url(new TextEncoder().encode(name));

featureGroupRoutes.post("/", authorize("sagemaker:CreateFeatureGroup", bodyGroups(MAX_CONTROL_BODY_BYTES, (b) => [b.name])), async (c) => {
  const body = orThrow(await readJsonBody(c.req.raw, MAX_CONTROL_BODY_BYTES));
  const group = orThrow(await createFeatureGroup(c.get("store"), body));
  return c.json({ ...featureGroupView(group, featureGroupArn(c.env, group.name)), encryption: await encryptionView(c.get("store"), group) }, 201);
});

featureGroupRoutes.get("/", authorize("sagemaker:ListFeatureGroups"), async (c) => {
  const limit = orThrow(intParam(c, "limit", 1, 100, 50));
  const token = c.req.query("nextToken");
  const nameContains = c.req.query("nameContains");
  const tagKey = c.req.query("tagKey");
  const tagValue = c.req.query("tagValue");
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
});

featureGroupRoutes.get("/:name", authorize("sagemaker:DescribeFeatureGroup", groupParam), async (c) => {
  const group = orThrow(await describeFeatureGroup(c.get("store"), c.req.param("name")));
  return c.json({ ...featureGroupView(group, featureGroupArn(c.env, group.name)), encryption: await encryptionView(c.get("store"), group) });
});

featureGroupRoutes.patch("/:name", authorize("sagemaker:UpdateFeatureGroup", groupParam), async (c) => {
  const body = orThrow(await readJsonBody(c.req.raw, MAX_CONTROL_BODY_BYTES));
  const group = orThrow(await updateFeatureGroup(c.get("store"), c.req.param("name"), body));
  return c.json({ ...featureGroupView(group, featureGroupArn(c.env, group.name)), encryption: await encryptionView(c.get("store"), group) });
});

featureGroupRoutes.delete("/:name", authorize("sagemaker:DeleteFeatureGroup", groupParam), async (c) => {
  orThrow(await deleteFeatureGroup(c.get("store"), c.req.param("name")));
  return c.body(null, 204);
});

featureGroupRoutes.get("/:name/features/:feature", authorize("sagemaker:DescribeFeatureMetadata", groupParam), async (c) => {
  const store = c.get("store");
  const group = orThrow(await describeFeatureGroup(store, c.req.param("name")));
  const metadata = orThrow(await getFeatureMetadata(store.db, group, c.req.param("feature")));
  return c.json(featureMetadataView(metadata));
});

featureGroupRoutes.patch("/:name/features/:feature", authorize("sagemaker:UpdateFeatureMetadata", groupParam), async (c) => {
  const store = c.get("store");
  const body = orThrow(await readJsonBody(c.req.raw, MAX_CONTROL_BODY_BYTES));
  const group = orThrow(await describeFeatureGroup(store, c.req.param("name")));
  const update = orThrow(parseUpdateFeatureMetadata(body));
  const metadata = orThrow(await updateFeatureMetadata(store.db, group, c.req.param("feature"), update, store.now));
  return c.json(featureMetadataView(metadata));
});

featureGroupRoutes.get("/:name/offline-store", authorize("featurestore:ReadOfflineStore", groupParam), async (c) => {
  const store = c.get("store");
  const group = orThrow(await describeFeatureGroup(store, c.req.param("name")));
  if (!group.offlineStore.enabled) orThrow(invalid("name", `feature group ${group.name} has no offline store`));
  const [files, outbox, encryption] = await Promise.all([activeFiles(store.db, group.generation), outboxSummary(store, group), encryptionView(store, group)]);
  const description = describeOfflineStore(c.env, group, files);
  const sse = encryption.offline.activeKeyVersion;
  return c.json({
    ...description,
    ...(sse !== undefined
      ? {
          encryption: externalReadNotes(sse),
          sql: Object.fromEntries(Object.entries(description.sql).map(([engine, text]) => [engine, `-- objects are SSE-C encrypted: see encryption.engines.${engine}\n${text}`])),
        }
      : {}),
    // Rows acknowledged but not yet confirmed in a registered file: waiting, sent and awaiting registration, or being retried.
    pending: {
      ...outbox,
      oldestAt: outbox.oldestAt === null ? null : isoFromEpochMs(outbox.oldestAt),
      oldestSentAt: outbox.oldestSentAt === null ? null : isoFromEpochMs(outbox.oldestSentAt),
    },
  });
});
