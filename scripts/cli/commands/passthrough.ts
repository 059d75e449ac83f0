// Thin commands over JSON resources: the CLI sends what the user gives and
// prints what the API answers, so it follows the API's shapes as they are.
import { seg } from "../api";
import type { Command, OptionSpec } from "../command";
import { readJsonFile } from "./files";

/** none: no --file; required: --file must be given; empty: --file optional, {} without it. */
type BodyRule = "none" | "required" | "empty";

/** A command that sends an optional JSON body from --file and prints the answer. */
export function call(summary: string, usage: string, method: string, path: (...ids: string[]) => string, { body = "none", query = {} }: { body?: BodyRule; query?: Record<string, string> } = {}): Command {
  const options: Record<string, OptionSpec> = {};
  if (body !== "none") options.file = { type: "string", required: body === "required", help: "JSON request body" };
  for (const [name, help] of Object.entries(query)) options[name] = { type: "string", help };
  const ids = (usage.match(/<[^>]+>/g) ?? []).length;
  return {
    summary,
    usage,
    options,
    positionals: [ids, ids],
    // The spec is built at run time, so defineCommand cannot type it: every option here is a single string.
    run: async (ctx, o, positionals) => {
      const text = (name: string) => {
        const value = o[name];
        return typeof value === "string" ? value : undefined;
      };
      const params = new URLSearchParams();
      for (const name of Object.keys(query)) {
        const value = text(name);
        if (value !== undefined) params.set(name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()), value);
      }
      const resolved = path(...positionals.map(seg)) + (params.size ? `?${params}` : "");
      const file = text("file");
      const json = file !== undefined ? readJsonFile(file) : body === "empty" ? {} : undefined;
      ctx.print((await ctx.api.request(method, resolved, json !== undefined ? { json } : {})) ?? { ok: true });
    },
  };
}
