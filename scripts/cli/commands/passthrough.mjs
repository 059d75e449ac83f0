// Thin commands over JSON resources: the CLI sends what the user gives and
// prints what the API answers, so it follows the API's shapes as they are.
import { seg } from "../api.mjs";
import { readJsonFile } from "./files.mjs";

/** A command that sends an optional JSON body from --file and prints the answer. */
export function call(summary, usage, method, path, { body = "none", query = {} } = {}) {
  const options = {};
  if (body !== "none") options.file = { type: "string", required: body === "required", help: "JSON request body" };
  for (const [name, help] of Object.entries(query)) options[name] = { type: "string", help };
  const ids = (usage.match(/<[^>]+>/g) ?? []).length;
  return {
    summary,
    usage,
    options,
    positionals: [ids, ids],
    run: async (ctx, o, positionals) => {
      const params = new URLSearchParams();
      for (const name of Object.keys(query)) if (o[name] !== undefined) params.set(name.replace(/-([a-z])/g, (_, c) => c.toUpperCase()), o[name]);
      const resolved = path(...positionals.map(seg)) + (params.size ? `?${params}` : "");
      const json = o.file !== undefined ? readJsonFile(o.file) : body === "empty" ? {} : undefined;
      ctx.print((await ctx.api.request(method, resolved, json !== undefined ? { json } : {})) ?? { ok: true });
    },
  };
}
