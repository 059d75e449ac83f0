// The ingest and backfill commands' work. Every input is validated whole
// first, with the service's rules; a file with invalid rows is rejected with
// a row/field report and nothing of it is written. The offline backfill
// validates and encodes column-wise in chunk workers (offline.ts); online
// ingest validates row by row and sends the rows through the bulk API.
import { writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { type Availability, parseAvailabilityText } from "../../../src/records";
import { seg } from "../api";
import type { Context, ValuesOf } from "../command";
import { DEFAULT_CHUNK_ROWS, type IngestOptions } from "../commands/ingest";
import { CliError, EXIT, type ExitCode, usage } from "../errors";
import { Checkpoint } from "./checkpoint";
import { identityOf, type Input, resolveInputs } from "./inputs";
import { ENCODED_BUDGET_BYTES, OfflineWriter } from "./offline";
import type { OnlineTotals } from "./online";
import { Progress } from "./progress";
import type { GroupView, OfflineStoreView, Problem } from "./views";

export type Mode = "online" | "offline" | "both";
type Options = ValuesOf<IngestOptions>;

/** The knowledge time declared: the rule the offline rows get, and the bulk API's query parameters for it. */
interface Declared {
  value: Availability;
  query: Record<string, string>;
}

/** What the report says of one input. */
type InputReport =
  | { name: string; status: "done-before"; rows: number }
  | { name: string; status: "rejected"; rows: number; invalidRows: number; invalid: Problem[] }
  | ({ name: string; status: "written"; rows: number; filesWritten?: number; filesAlreadyRegistered?: number } & Partial<OnlineTotals>);

interface Report {
  featureGroup: string;
  mode: Mode;
  inputs: InputReport[];
  rows: number;
  rejectedFiles: number;
}

/**
 * The knowledge time the rows declare (src/records/order.ts). An offline
 * backfill is history: by default each row became available at its event
 * time, so training sets over that history see it; --available-from
 * accepted (the run's write time) or --available-delay say otherwise.
 * Through the bulk API (--mode both) the flags pass on as its query
 * parameters, whose default is when the store accepts the rows. Returns
 * null when nothing is declared for the bulk API.
 */
function availabilityOf(o: Options, mode: Mode): Declared | null {
  const from = o["available-from"];
  const delay = o["available-delay"];
  if (mode === "online") {
    if (from !== undefined || delay !== undefined) throw usage("--available-from and --available-delay apply to offline rows; --mode online writes none");
    return null;
  }
  if (from === undefined && delay === undefined && mode !== "offline") return null;
  const parsed = parseAvailabilityText("--available-from", from ?? "eventTime", "--available-delay", delay);
  if (!parsed.ok) throw usage(parsed.failure.reason === "invalid_field" ? `${parsed.failure.field} ${parsed.failure.rule}` : parsed.failure.reason);
  return { value: parsed.value, query: { availableFrom: from ?? "eventTime", ...(delay !== undefined ? { availableDelay: delay } : {}) } };
}

/**
 * The row path of online ingest, loaded only for it: the offline backfill
 * validates in its chunk workers and never needs it on the main thread.
 */
async function rowPath() {
  const [{ decodeInput }, { sendOnline }, { recordSchemaOfView, validateRows }] = await Promise.all([import("./decode"), import("./online"), import("./validate")]);
  return { decodeInput, sendOnline, recordSchemaOfView, validateRows };
}

/** Invalid rows shown on stderr per rejected file; --report keeps them all. */
const SHOWN_PROBLEMS = 20;

function describeProblems(name: string, invalid: Problem[]): string {
  const lines = invalid.slice(0, SHOWN_PROBLEMS).map((p) => `  row ${p.row}, field ${p.field}: ${p.rule}`);
  if (invalid.length > SHOWN_PROBLEMS) lines.push(`  ... and ${invalid.length - SHOWN_PROBLEMS} more (--report FILE lists all)`);
  return `rejected ${name}: ${invalid.length} invalid row(s); nothing of it was written\n${lines.join("\n")}`;
}

/** CPU seconds (user + system) this process used since `before`: a rate that holds on a busy machine. */
function cpuSecondsSince(before: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(before);
  return Number(((used.user + used.system) / 1e6).toFixed(3));
}

/** Default threads at most: past a few, the main thread's reading and uploading is what the workers wait for. */
const MAX_DEFAULT_WORKERS = 8;

/** --workers: threads that validate and encode chunks; by default one per CPU (the main thread mostly waits on the network). */
function workersOf(o: Options): number {
  if (o.workers === undefined) return Math.min(availableParallelism(), MAX_DEFAULT_WORKERS);
  const n = Number(o.workers);
  if (!Number.isSafeInteger(n) || n < 0 || n > 64) throw usage("--workers must be an integer from 0 to 64");
  return n;
}

/** Test hook FS_CLI_ENCODED_BUDGET_BYTES: a small budget makes a test input take the re-encoding path. */
function encodedBudget(env: NodeJS.ProcessEnv): number {
  if (env.FS_CLI_ENCODED_BUDGET_BYTES === undefined) return ENCODED_BUDGET_BYTES;
  const n = Number(env.FS_CLI_ENCODED_BUDGET_BYTES);
  if (!Number.isSafeInteger(n) || n < 0) throw usage("FS_CLI_ENCODED_BUDGET_BYTES must be a non-negative integer");
  return n;
}

function stopAfterChunks(env: NodeJS.ProcessEnv): number | null {
  if (env.FS_CLI_STOP_AFTER_CHUNKS === undefined) return null;
  const n = Number(env.FS_CLI_STOP_AFTER_CHUNKS);
  if (!Number.isSafeInteger(n) || n < 1) throw usage("FS_CLI_STOP_AFTER_CHUNKS must be a positive integer");
  return n;
}

/** An input's report entry for the summary on stdout: a rejected input's rows are in stderr and --report. */
function withoutProblems(entry: InputReport) {
  if (entry.status !== "rejected") return entry;
  const { invalid: _invalid, ...rest } = entry;
  return rest;
}

/** Records a rejected input (true) when it has invalid rows. */
function rejected(report: Report, progress: Progress, input: Input, rows: number, invalid: Problem[]): boolean {
  if (invalid.length === 0) return false;
  progress.note(describeProblems(input.name, invalid));
  progress.advance({ bytes: input.size });
  report.inputs.push({ name: input.name, status: "rejected", rows, invalidRows: invalid.length, invalid });
  report.rejectedFiles += 1;
  return true;
}

/**
 * ingest and backfill: resolves the inputs, then validates and writes them
 * one at a time (offline: through the chunk pool and the checkpoint; online
 * and both: through the bulk API). Prints the summary; exit 6 when an input
 * was rejected.
 */
export async function ingest(ctx: Context, o: Options, paths: string[], mode: Mode): Promise<ExitCode> {
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const chunkRows = o["chunk-rows"] === undefined ? DEFAULT_CHUNK_ROWS : Number(o["chunk-rows"]);
  if (!Number.isSafeInteger(chunkRows) || chunkRows < 1) throw usage("--chunk-rows must be a positive integer");
  const workers = workersOf(o);
  const group: GroupView = await ctx.api.call((client) => client.describeFeatureGroup(o.group));
  const wantsOffline = mode !== "online";
  if (wantsOffline && !group.offlineStore?.enabled) throw new CliError(EXIT.REJECTED, `feature group ${group.name} has no offline store`);
  if (mode !== "offline" && !group.onlineStore?.enabled) throw new CliError(EXIT.REJECTED, `feature group ${group.name} has no online store`);
  const availability = availabilityOf(o, mode);
  const inputs = await resolveInputs(paths, o.format, ctx.config.inputS3);
  const online = mode === "offline" ? null : await rowPath();
  const progress = new Progress(ctx.stderr, { totalBytes: inputs.reduce((n, i) => n + i.size, 0), quiet: o.quiet });

  let writer: OfflineWriter | null = null;
  let checkpoint: Checkpoint | null = null;
  // availabilityOf declares a rule whenever the mode is offline.
  if (mode === "offline" && availability) {
    const store = await ctx.api.request<OfflineStoreView>("GET", `/feature-groups/${seg(group.name)}/offline-store`);
    const opened = Checkpoint.open(o.checkpoint ?? join(".fs-checkpoints", `backfill-${group.name}.json`), { featureGroup: group.name, generation: group.generation, chunkRows, now: Date.now(), availability: availability.value });
    const resumable = opened.checkpoint;
    checkpoint = resumable;
    if (opened.note) progress.note(opened.note);
    // Ctrl-C or a termination mid-run: the checkpoint is consistent after every rename, so stop now and say how to go on.
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      process.once(signal, () => {
        progress.note(`interrupted by ${signal}; run the same command again to resume from ${resumable.path}`);
        process.exit(EXIT.INTERRUPTED);
      });
    }
    writer = new OfflineWriter({ api: ctx.api, group, store, offlineS3: ctx.config.offlineS3, checkpoint, progress, stopAfterChunks: stopAfterChunks(ctx.env), workers, encodedBudget: encodedBudget(ctx.env) });
  }
  try {
    return await ingestInputs(ctx, o, { started, cpuBefore, group, mode, inputs, online, progress, writer, checkpoint, availability });
  } finally {
    await writer?.close();
  }
}

interface Run {
  started: number;
  cpuBefore: NodeJS.CpuUsage;
  group: GroupView;
  mode: Mode;
  inputs: Input[];
  online: Awaited<ReturnType<typeof rowPath>> | null;
  progress: Progress;
  writer: OfflineWriter | null;
  checkpoint: Checkpoint | null;
  availability: Declared | null;
}

async function ingestInputs(ctx: Context, o: Options, { started, cpuBefore, group, mode, inputs, online, progress, writer, checkpoint, availability }: Run): Promise<ExitCode> {
  const report: Report = { featureGroup: group.name, mode, inputs: [], rows: 0, rejectedFiles: 0 };
  let uploading: Promise<unknown> = Promise.resolve();
  for (const input of inputs) {
    const bytes = await input.read();
    const identity = identityOf(bytes);
    if (checkpoint?.isComplete(identity)) {
      progress.advance({ bytes: input.size, label: `${input.name} (done before)` });
      report.inputs.push({ name: input.name, status: "done-before", rows: checkpoint.state.inputs[identity]?.rows ?? 0 });
      continue;
    }
    progress.advance({ label: `${input.name} validating` });
    if (writer) {
      // Validated and encoded while the previous input's files are still uploading.
      const processed = await writer.process(input, bytes, identity);
      if (rejected(report, progress, input, processed.rows, processed.invalid)) continue;
      await uploading;
      const entry: InputReport = { name: input.name, status: "written", rows: processed.rows };
      const offline = writer;
      report.inputs.push(entry);
      report.rows += processed.rows;
      const before = { written: writer.filesWritten, skipped: writer.filesSkipped };
      uploading = offline.write(identity, input.name, processed).then(() => Object.assign(entry, { filesWritten: offline.filesWritten - before.written, filesAlreadyRegistered: offline.filesSkipped - before.skipped }));
      // Awaited before the next upload and at the end; until then a failure must not count as unhandled.
      uploading.catch(() => {});
    } else if (online) {
      const { valid, invalid } = online.validateRows(online.recordSchemaOfView(group), online.decodeInput(bytes, input.format));
      if (rejected(report, progress, input, valid.length + invalid.length, invalid)) continue;
      const result = await online.sendOnline({
        api: ctx.api,
        group,
        rows: valid,
        targets: mode === "both" ? ["online", "offline"] : ["online"],
        availability: availability?.query ?? null,
        progress,
        name: input.name,
        inputBytes: input.size,
      });
      report.inputs.push({ name: input.name, status: "written", ...result });
      report.rows += valid.length;
    }
  }
  await uploading;
  progress.finish();
  const seconds = (performance.now() - started) / 1000;
  const summary = { ...report, inputs: report.inputs.map(withoutProblems), seconds: Number(seconds.toFixed(3)), rowsPerSecond: Math.round(report.rows / seconds), cpuSeconds: cpuSecondsSince(cpuBefore), maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) };
  if (o.report) writeFileSync(o.report, `${JSON.stringify(report, null, 2)}\n`);
  ctx.print(summary);
  return report.rejectedFiles > 0 ? EXIT.INVALID_DATA : EXIT.OK;
}
