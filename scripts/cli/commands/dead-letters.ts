import { defineCommand } from "../command";
import { usage } from "../errors";
import { call } from "./passthrough";

/** /v1/offline/dead-letters: batches the offline queue gave up on, and their replay. */
export const deadLetterCommands = {
  list: call("list dead letters of the offline queue, newest first", "dead-letters list [--limit n]", "GET", () => "/offline/dead-letters", { query: { limit: "how many (1 to 1000, default 100)" } }),
  replay: defineCommand({
    summary: "send dead letters back to the offline queue (idempotent)",
    usage: "dead-letters replay [--message-id id ...] [--limit n]",
    description:
      "Without --message-id, replays up to --limit dead letters never replayed (oldest first).\n" +
      "A batch the offline store already holds is not sent again; replaying twice is safe.",
    options: {
      "message-id": { type: "string", multiple: true, help: "replay this dead letter (repeatable), even if replayed before" },
      limit: { type: "string", help: "how many never-replayed dead letters to replay (1 to 1000, default 100)" },
    },
    positionals: [0, 0],
    run: async (ctx, o) => {
      if (o["message-id"] && o.limit !== undefined) throw usage("dead-letters replay: --limit cannot be combined with --message-id");
      const limit = o.limit === undefined ? undefined : Number(o.limit);
      if (limit !== undefined && !Number.isSafeInteger(limit)) throw usage("dead-letters replay: --limit must be an integer");
      const json = o["message-id"] ? { messageIds: o["message-id"] } : { limit: limit ?? 100 };
      ctx.print(await ctx.api.request("POST", "/offline/dead-letters/replay", { json }));
    },
  }),
};
