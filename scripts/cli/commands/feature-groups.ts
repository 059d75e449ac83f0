import type { CreateFeatureGroupInput, FeatureGroupSummary } from "../../../clients/typescript/src";
import { defineCommand } from "../command";
import { readJsonFile } from "./files";

/** feature-groups create | describe | list | delete: the client's feature group calls; answers are printed as the API gives them. */
export const featureGroupCommands = {
  create: defineCommand({
    summary: "create a feature group from a JSON definition (the body of POST /v1/feature-groups)",
    usage: "feature-groups create --file def.json",
    options: { file: { type: "string", required: true, help: "JSON definition: name, recordIdentifierFeature, eventTimeFeature, features, onlineStore, offlineStore, ..." } },
    // The definition is the API's to check (a 400 names the field), so it is sent as the file holds it.
    run: async (ctx, o) => ctx.print(await ctx.api.call((client) => client.createFeatureGroup(readJsonFile(o.file) as CreateFeatureGroupInput))),
  }),
  describe: defineCommand({
    summary: "show a feature group's definition and status",
    usage: "feature-groups describe <name>",
    positionals: [1, 1],
    run: async (ctx, _o, [name]) => ctx.print(await ctx.api.call((client) => client.describeFeatureGroup(name))),
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
      const groups: FeatureGroupSummary[] = [];
      let token: string | undefined;
      do {
        const options = { limit: Math.min(100, wanted - groups.length), ...(o["name-contains"] ? { nameContains: o["name-contains"] } : {}), ...(token ? { nextToken: token } : {}) };
        const page = await ctx.api.call((client) => client.listFeatureGroups(options));
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
      await ctx.api.call((client) => client.deleteFeatureGroup(name));
      ctx.print({ deleted: name });
    },
  }),
};
