import { seg } from "../api";
import { defineCommand } from "../command";

export const recordCommands = {
  get: defineCommand({
    summary: "read one record from the online store",
    usage: "records get <group> <record-identifier> [--features a,b]",
    positionals: [2, 2],
    options: { features: { type: "string", help: "comma-separated feature names to return (default: all)" } },
    run: async (ctx, o, [group, id]) => {
      const query = o.features ? `?${new URLSearchParams({ features: o.features })}` : "";
      ctx.print(await ctx.api.request("GET", `/feature-groups/${seg(group)}/records/${seg(id)}${query}`));
    },
  }),
};
