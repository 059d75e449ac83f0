import { seg } from "../api";
import { defineCommand } from "../command";
import { readJsonFile } from "./files";

/** One page of GET /v1/feature-groups (docs/api.md); the groups are printed as the API gives them. */
interface FeatureGroupPage {
  featureGroups: unknown[];
  nextToken?: string;
}

/** feature-groups create | describe | list | delete: the native API's feature group calls. */
export const featureGroupCommands = {
  create: defineCommand({
    summary: "create a feature group from a JSON definition (the body of POST /v1/feature-groups)",
    usage: "feature-groups create --file def.json",
    options: { file: { type: "string", required: true, help: "JSON definition: name, recordIdentifierFeature, eventTimeFeature, features, onlineStore, offlineStore, ..." } },
    run: async (ctx, o) => ctx.print(await ctx.api.request("POST", "/feature-groups", { json: readJsonFile(o.file) })),
  }),
  describe: defineCommand({
    summary: "show a feature group's definition and status",
    usage: "feature-groups describe <name>",
    positionals: [1, 1],
    run: async (ctx, _o, [name]) => ctx.print(await ctx.api.request("GET", `/feature-groups/${seg(name)}`)),
  }),
  list: defineCommand({
    summary: "list feature groups (all pages unless --limit is given)",
    usage: "feature-groups list [--name-contains text] [--limit n]",
    options: {
      "name-contains": { type: "string", help: "only groups whose name contains this text" },
      limit: { type: "string", help: "at most this many groups (default: all)" },
    },
    run: async (ctx, o) => {
      const wanted = o.limit === undefined ? Infinity : Number(o.limit);
      const groups: unknown[] = [];
      let token: string | undefined;
      do {
        const query = new URLSearchParams({ limit: String(Math.min(100, wanted - groups.length)) });
        if (o["name-contains"]) query.set("nameContains", o["name-contains"]);
        if (token) query.set("nextToken", token);
        const page = await ctx.api.request<FeatureGroupPage>("GET", `/feature-groups?${query}`);
        groups.push(...page.featureGroups);
        token = page.nextToken;
      } while (token && groups.length < wanted);
      ctx.print({ featureGroups: groups });
    },
  }),
  delete: defineCommand({
    summary: "delete a feature group and its records",
    usage: "feature-groups delete <name>",
    positionals: [1, 1],
    run: async (ctx, _o, [name]) => {
      await ctx.api.request("DELETE", `/feature-groups/${seg(name)}`);
      ctx.print({ deleted: name });
    },
  }),
};
