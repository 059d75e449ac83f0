import { Hono } from "hono";
import { z } from "zod";
import { fromZod, MAX_TAGS_PER_RESOURCE, tagKeyListSchema, tagListSchema } from "../../catalog";
import { orThrow } from "../../failure";
import { MAX_CONTROL_BODY_BYTES } from "../../records";
import { addTags, deleteTags, listTags } from "../../service";
import { authorize } from "../authorize";
import { readJsonBody } from "../body";
import type { AppEnv } from "../context";
import { listParam } from "../query";
import { groupParam } from "../resources";

/**
 * A feature group's tags, under /v1/feature-groups/{name}/tags: the native
 * AddTags, ListTags and DeleteTags. Every answer is the group's tags
 * afterwards, in the order they were first added.
 */
export const tagRoutes = new Hono<AppEnv>();

const addBody = z.strictObject({ tags: tagListSchema.min(1, `must hold 1-${MAX_TAGS_PER_RESOURCE} tags`) });

tagRoutes.get("/:name/tags", authorize("sagemaker:ListTags", groupParam), async (c) => {
  const name = c.req.param("name");
  return c.json({ featureGroup: name, tags: orThrow(await listTags(c.get("store"), name)) });
});

tagRoutes.put("/:name/tags", authorize("sagemaker:AddTags", groupParam), async (c) => {
  const name = c.req.param("name");
  const body = orThrow(fromZod(addBody.safeParse(orThrow(await readJsonBody(c.req.raw, MAX_CONTROL_BODY_BYTES))), ""));
  return c.json({ featureGroup: name, tags: orThrow(await addTags(c.get("store"), name, body.tags, "tags")) });
});

tagRoutes.delete("/:name/tags", authorize("sagemaker:DeleteTags", groupParam), async (c) => {
  const name = c.req.param("name");
  const keys = orThrow(fromZod(tagKeyListSchema.safeParse(listParam(c, "keys")), "keys"));
  return c.json({ featureGroup: name, tags: orThrow(await deleteTags(c.get("store"), name, keys)) });
});
