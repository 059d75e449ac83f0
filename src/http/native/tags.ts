import { z } from "zod";
import { MAX_TAGS_PER_RESOURCE, tagKeyListSchema, tagListSchema } from "../../catalog";
import { orThrow } from "../../failure";
import { MAX_CONTROL_BODY_BYTES } from "../../records";
import { addTags, deleteTags, listTags } from "../../service";
import { groupParam } from "../resources";
import { RouteGroup } from "../route";
import { groupPath, named } from "./schemas/common";
import { tagsResponse } from "./schemas/catalog";

/**
 * A feature group's tags, under /v1/feature-groups/{name}/tags: the native
 * AddTags, ListTags and DeleteTags. Every answer is the group's tags
 * afterwards, in the order they were first added.
 */
export const tagRoutes = new RouteGroup("/feature-groups");

const addBody = named("AddTagsRequest", z.strictObject({ tags: tagListSchema.min(1, `must hold 1-${MAX_TAGS_PER_RESOURCE} tags`) }));
const TAG = "Feature groups";

tagRoutes.add(
  {
    method: "get",
    path: "/:name/tags",
    operationId: "listTags",
    summary: "List a feature group's tags",
    tag: TAG,
    action: "sagemaker:ListTags",
    groups: groupParam,
    params: groupPath,
    responses: [{ status: 200, description: "The group's tags.", schema: tagsResponse }],
    example: { params: { name: "users" } },
  },
  async (c, { params }) => c.json({ featureGroup: params.name, tags: orThrow(await listTags(c.get("store"), params.name)) }),
);

tagRoutes.add(
  {
    method: "put",
    path: "/:name/tags",
    operationId: "addTags",
    summary: "Add tags to a feature group (a key given again takes the new value)",
    tag: TAG,
    action: "sagemaker:AddTags",
    groups: groupParam,
    params: groupPath,
    body: { schema: addBody, maxBytes: MAX_CONTROL_BODY_BYTES },
    responses: [{ status: 200, description: "The group's tags afterwards.", schema: tagsResponse }],
    example: { params: { name: "users" }, body: { tags: [{ key: "team", value: "growth" }] } },
  },
  async (c, { params, body }) => c.json({ featureGroup: params.name, tags: orThrow(await addTags(c.get("store"), params.name, body.tags, "tags")) }),
);

tagRoutes.add(
  {
    method: "delete",
    path: "/:name/tags",
    operationId: "deleteTags",
    summary: "Remove tags from a feature group by key",
    tag: TAG,
    action: "sagemaker:DeleteTags",
    groups: groupParam,
    params: groupPath,
    // Absent keys are an empty list, which the list's own rule refuses (prefault validates it; default would not).
    query: z.object({ keys: tagKeyListSchema.prefault([]).describe("The tag keys to remove. Repeat the parameter or separate keys with commas.") }),
    responses: [{ status: 200, description: "The group's tags afterwards.", schema: tagsResponse }],
    example: { params: { name: "users" }, query: { keys: ["team"] } },
  },
  async (c, { params, query }) => c.json({ featureGroup: params.name, tags: orThrow(await deleteTags(c.get("store"), params.name, query.keys)) }),
);
