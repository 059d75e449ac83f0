// Command dispatch, help and exit codes of the CLI. Each command module
// exports its commands as plain objects (command.ts): summary, usage,
// options (node:util parseArgs spec), positionals, run.
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { Api } from "./api";
import type { Command, CommandGroup, Context, Output, ParsedValues } from "./command";
import { loadConfig, type Config } from "./config";
import { CliError, EXIT, messageOf, usage } from "./errors";
import { accessKeyCommands } from "./commands/access-keys";
import { datasetCommands } from "./commands/datasets";
import { deadLetterCommands } from "./commands/dead-letters";
import { featureGroupCommands } from "./commands/feature-groups";
import { backfillCommand, ingestCommand } from "./commands/ingest";
import { jobCommands } from "./commands/jobs";
import { auditCommand, auditsCommands } from "./commands/parity";
import { recordCommands } from "./commands/records";

/** Top-level commands: a group of subcommands, or a command of its own. */
const COMMANDS: Readonly<Record<string, Command | CommandGroup>> = {
  "feature-groups": { summary: "create, describe, list and delete feature groups", subcommands: featureGroupCommands },
  records: { summary: "read records from the online store", subcommands: recordCommands },
  ingest: ingestCommand,
  backfill: backfillCommand,
  dataset: { summary: "build point-in-time training datasets", subcommands: datasetCommands },
  "dead-letters": { summary: "offline batches the queue gave up on: list, replay", subcommands: deadLetterCommands },
  jobs: { summary: "scheduled jobs: create, list, get, run, pause, resume, runs", subcommands: jobCommands },
  audit: auditCommand,
  audits: { summary: "kept parity audit results: list, get", subcommands: auditsCommands },
  "access-keys": { summary: "access keys (admin): create, list, rotate, revoke", subcommands: accessKeyCommands },
};

const ENVIRONMENT = `Environment:
  FS_ENDPOINT            API origin (default http://127.0.0.1:$PORT, PORT default 8787)
  FS_ACCESS_KEY_ID       access key id (default: FS_ROOT_ACCESS_KEY_ID from ./.dev.vars)
  FS_SECRET_ACCESS_KEY   its secret (default: FS_ROOT_SECRET_ACCESS_KEY from ./.dev.vars)
  See docs/cli.md for the offline bucket's S3 settings and the exit codes.`;

const isGroup = (entry: Command | CommandGroup): entry is CommandGroup => "subcommands" in entry;

function topHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return `Usage: npm run fs -- <command> [options]   (or: node scripts/fs.mjs <command> ...)

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
  .join("\n")}

Run "npm run fs -- <command> --help" for a command's options.

${ENVIRONMENT}`;
}

function groupHelp(name: string, group: CommandGroup): string {
  const width = Math.max(...Object.keys(group.subcommands).map((n) => n.length));
  return `Usage: npm run fs -- ${name} <subcommand> [options]

${group.summary}

Subcommands:
${Object.entries(group.subcommands)
  .map(([sub, c]) => `  ${sub.padEnd(width)}  ${c.summary}`)
  .join("\n")}

Run "npm run fs -- ${name} <subcommand> --help" for its options.`;
}

function commandHelp(command: Command): string {
  const options = Object.entries(command.options ?? {});
  const width = Math.max(8, ...options.map(([n, o]) => `--${n}${o.type === "string" ? " <value>" : ""}`.length));
  return `Usage: npm run fs -- ${command.usage}

${command.summary}${command.description ? `\n\n${command.description}` : ""}

Options:
${[...options.map(([n, o]) => `  ${`--${n}${o.type === "string" ? " <value>" : ""}`.padEnd(width)}  ${o.help ?? ""}`), `  ${"--help".padEnd(width)}  show this help`].join("\n")}`;
}

export interface Io {
  stdout: Output;
  stderr: Output;
  env: NodeJS.ProcessEnv;
}

/** Runs one command line; returns the exit code. */
export async function main(argv: readonly string[], io: Io = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number> {
  const say = (text: string) => io.stdout.write(`${text}\n`);
  try {
    const [name, ...rest] = argv;
    if (!name || name === "--help" || name === "-h" || name === "help") {
      say(topHelp());
      return name ? EXIT.OK : EXIT.USAGE;
    }
    const entry = COMMANDS[name];
    if (!entry) throw usage(`unknown command "${name}"; run with --help for the list`);
    let command: Command;
    let args = rest;
    let label = name;
    if (isGroup(entry)) {
      const [sub, ...subArgs] = rest;
      if (!sub || sub === "--help" || sub === "-h") {
        say(groupHelp(name, entry));
        return sub ? EXIT.OK : EXIT.USAGE;
      }
      const found = entry.subcommands[sub];
      if (!found) throw usage(`unknown subcommand "${name} ${sub}"; run "${name} --help" for the list`);
      command = found;
      args = subArgs;
      label = `${name} ${sub}`;
    } else command = entry;
    if (args.includes("--help") || args.includes("-h")) {
      say(commandHelp(command));
      return EXIT.OK;
    }
    const parsed = parseCommandArgs(command, args, label);
    let config: Config | undefined;
    let api: Api | undefined;
    const ctx: Context = {
      env: io.env,
      stdout: io.stdout,
      stderr: io.stderr,
      print: (value) => say(typeof value === "string" ? value : JSON.stringify(value, null, 2)),
      get config() {
        return (config ??= loadConfig(io.env));
      },
      get api() {
        return (api ??= new Api(this.config));
      },
    };
    const code = await command.run(ctx, parsed.values, parsed.positionals);
    return typeof code === "number" ? code : EXIT.OK;
  } catch (error) {
    if (error instanceof CliError) {
      io.stderr.write(`error: ${error.message}\n`);
      return error.exitCode;
    }
    io.stderr.write(`internal error: ${(error instanceof Error ? error.stack : undefined) ?? error}\n`);
    return EXIT.INTERNAL;
  }
}

function parseCommandArgs(command: Command, args: string[], label: string): { values: ParsedValues; positionals: string[] } {
  const options: ParseArgsOptionsConfig = Object.fromEntries(
    Object.entries(command.options ?? {}).map(([n, o]) => [n, { type: o.type, ...(o.multiple ? { multiple: true } : {}), ...(o.short ? { short: o.short } : {}) }]),
  );
  let parsed: { values: ParsedValues; positionals: string[] };
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw usage(`${label}: ${messageOf(error)}`);
  }
  const [min, max] = command.positionals ?? [0, 0];
  if (parsed.positionals.length < min || parsed.positionals.length > max) {
    throw usage(`${label}: expected ${min === max ? min : `${min} to ${max === Infinity ? "any number of" : max}`} argument(s); usage: ${command.usage}`);
  }
  for (const [n, o] of Object.entries(command.options ?? {})) {
    const value = parsed.values[n];
    if (o.required && value === undefined) throw usage(`${label}: --${n} is required; usage: ${command.usage}`);
    if (o.choices && typeof value === "string" && !o.choices.includes(value)) throw usage(`${label}: --${n} must be one of ${o.choices.join(", ")}`);
  }
  return parsed;
}
