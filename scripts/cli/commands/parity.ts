// Parity audits (/v1/feature-groups/{name}/audit[s]): start one and wait for
// its result, or read kept results. "Parity audit", not the access audit log.
import { seg } from "../api";
import { defineCommand } from "../command";
import { EXIT, usage } from "../errors";

/** How often a running audit is polled; a large group's audit moves on every cron tick (a minute). */
const POLL_MS = 2_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the CLI reads of a parity audit (docs/api.md#parity-audits); it prints the whole answer. */
interface Audit {
  id: string;
  /** A job run's status (src/jobs/model.ts RUN_STATUSES): "running" until it ends. */
  status: string;
  progress: { identifiers: number };
  differences: number;
}

function examplesOption(value: string | undefined): { examples?: number } {
  if (value === undefined) return {};
  const examples = Number(value);
  if (!/^\d+$/.test(value)) throw usage("audit: --examples must be an integer from 0 to 25");
  return { examples };
}

export const auditCommand = defineCommand({
  summary: "compare every record of the online store with the offline store (parity audit)",
  usage: "audit --group g [--examples n] [--detach]",
  description:
    "Starts a parity audit and waits for its result: counts of matching, differing, online-only,\n" +
    "offline-only and pending identifiers, with examples. Large groups go on every cron tick\n" +
    "(progress on stderr). Exits 0 when no differences were found, 8 when some were,\n" +
    "3 when the audit itself failed (its error is in the printed result).\n" +
    "Pending identifiers (rows the outbox has not delivered yet) are not differences.",
  options: {
    group: { type: "string", required: true, help: "the feature group to audit" },
    examples: { type: "string", help: "examples kept per kind of difference (0 to 25, default 10)" },
    detach: { type: "boolean", help: "print the audit as started and return without waiting" },
  },
  positionals: [0, 0],
  run: async (ctx, o) => {
    const group = seg(o.group);
    const json = examplesOption(o.examples);
    let audit = await ctx.api.request<Audit>("POST", `/feature-groups/${group}/audit`, { json });
    while (!o.detach && audit.status === "running") {
      ctx.stderr.write(`audit ${audit.id}: ${audit.progress.identifiers} identifiers compared\n`);
      await sleep(POLL_MS);
      audit = await ctx.api.request<Audit>("GET", `/feature-groups/${group}/audits/${seg(audit.id)}`);
    }
    ctx.print(audit);
    if (audit.status === "failed") return EXIT.REJECTED;
    return audit.differences > 0 ? EXIT.DIFFERENCES : EXIT.OK;
  },
});

export const auditsCommands = {
  list: defineCommand({
    summary: "list a group's parity audits, newest first",
    usage: "audits list --group g [--limit n] [--after audit-id]",
    options: {
      group: { type: "string", required: true, help: "the feature group" },
      limit: { type: "string", help: "page size (1 to 100, default 20)" },
      after: { type: "string", help: "continue after this audit id (the previous page's nextAfter)" },
    },
    positionals: [0, 0],
    run: async (ctx, o) => {
      const params = new URLSearchParams();
      if (o.limit !== undefined) params.set("limit", o.limit);
      if (o.after !== undefined) params.set("after", o.after);
      ctx.print(await ctx.api.request("GET", `/feature-groups/${seg(o.group)}/audits${params.size ? `?${params}` : ""}`));
    },
  }),
  get: defineCommand({
    summary: "show one parity audit with its counts and examples",
    usage: "audits get --group g <audit-id>",
    options: { group: { type: "string", required: true, help: "the feature group" } },
    positionals: [1, 1],
    run: async (ctx, o, [id]) => ctx.print(await ctx.api.request("GET", `/feature-groups/${seg(o.group)}/audits/${seg(id)}`)),
  }),
};
