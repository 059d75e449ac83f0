import { Hono } from "hono";
import { fromZod, parseUpdateFeatureMetadata, tagKeyListSchema, tagListSchema, updateFeatureMetadata } from "../catalog";
import { orThrow } from "../failure";
import { authorize } from "../http/authorize";
import type { AppEnv } from "../http/context";
import { groupParam } from "../http/resources";
import { addTags, deleteTags, describeFeatureGroup, updateFeatureGroup } from "../service";
import { readForm } from "./guard";
import { groupPath } from "./group-page";

/**
 * The changes a group page makes. Each goes through the same action,
 * policy check, validation, service call and audit entry as its API route;
 * the CSRF check (src/ui/guard.ts) has already run. Each answers with a
 * redirect back to the page (POST, redirect, GET), so a reload repeats
 * nothing.
 */
export const groupEditRoutes = new Hono<AppEnv>();

const back = (name: string, saved: string) => `${groupPath(name)}?saved=${saved}`;

groupEditRoutes.post("/feature-groups/:name/description", authorize("sagemaker:UpdateFeatureGroup", groupParam), async (c) => {
  const form = await readForm(c);
  const name = c.req.param("name");
  orThrow(await updateFeatureGroup(c.get("store"), name, { description: form.get("description") ?? "" }));
  return c.redirect(back(name, "description"), 303);
});

groupEditRoutes.post("/feature-groups/:name/tags", authorize("sagemaker:AddTags", groupParam), async (c) => {
  const form = await readForm(c);
  const name = c.req.param("name");
  const tags = orThrow(fromZod(tagListSchema.safeParse([{ key: form.get("key") ?? "", value: form.get("value") ?? "" }]), "tag"));
  orThrow(await addTags(c.get("store"), name, tags, "tag"));
  return c.redirect(back(name, "tags"), 303);
});

groupEditRoutes.post("/feature-groups/:name/tags/remove", authorize("sagemaker:DeleteTags", groupParam), async (c) => {
  const form = await readForm(c);
  const name = c.req.param("name");
  const keys = orThrow(fromZod(tagKeyListSchema.safeParse([form.get("key") ?? ""]), "key"));
  orThrow(await deleteTags(c.get("store"), name, keys));
  return c.redirect(back(name, "tags"), 303);
});

groupEditRoutes.post("/feature-groups/:name/features/:feature", authorize("sagemaker:UpdateFeatureMetadata", groupParam), async (c) => {
  const form = await readForm(c);
  const name = c.req.param("name");
  const store = c.get("store");
  const parameterKey = (form.get("parameterKey") ?? "").trim();
  const update = orThrow(
    parseUpdateFeatureMetadata({
      description: form.get("description") ?? "",
      ...(parameterKey ? { addParameters: { [parameterKey]: form.get("parameterValue") ?? "" } } : {}),
    }),
  );
  const group = orThrow(await describeFeatureGroup(store, name));
  orThrow(await updateFeatureMetadata(store.db, group, c.req.param("feature"), update, store.now));
  return c.redirect(back(name, "feature"), 303);
});
