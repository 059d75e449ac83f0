// ingest <files...> --group G --mode online|offline|both, and backfill
// (= ingest --mode offline). Every input is validated whole first, with the
// service's rules; a file with invalid rows is rejected with a row/field
// report and nothing of it is written.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { seg } from "../api.mjs";
import { CliError, EXIT, usage } from "../errors.mjs";
import { Checkpoint } from "../backfill/checkpoint.mjs";
import { decodeInput, FORMATS } from "../backfill/decode.mjs";
import { identityOf, resolveInputs } from "../backfill/inputs.mjs";
import { OfflineWriter } from "../backfill/offline.mjs";
import { sendOnline } from "../backfill/online.mjs";
import { Progress } from "../backfill/progress.mjs";
import { recordSchemaOfView, validateRows } from "../backfill/validate.mjs";

export const DEFAULT_CHUNK_ROWS = 100_000;
/** Invalid rows shown on stderr per rejected file; --report keeps them all. */
const SHOWN_PROBLEMS = 20;

const sharedOptions = {
  group: { type: "string", required: true, help: "the feature group" },
  format: { type: "string", choices: FORMATS, help: "input format (default: from each file's extension)" },
  report: { type: "string", help: "write the full JSON report (every invalid row) to this file" },
  quiet: { type: "boolean", help: "no progress line" },
};

const backfillOptions = {
  checkpoint: { type: "string", help: "checkpoint file (default .fs-checkpoints/backfill-<group>.json)" },
  "chunk-rows": { type: "string", help: `input rows per chunk (default ${DEFAULT_CHUNK_ROWS}); pinned by an existing checkpoint` },
};

const INPUTS_HELP = `Inputs: local files, folders (their .csv/.ndjson/.parquet files) or s3://bucket/prefix
(FS_INPUT_S3_* settings, default: the offline bucket's). CSV cells are strings as in the
bulk API (empty = missing, lists as JSON arrays); NDJSON and Parquet values are typed.`;

export const ingestCommand = {
  summary: "ingest files into the online store, the offline store, or both",
  usage: "ingest <files...> --group G --mode online|offline|both [--format csv|ndjson|parquet]",
  description: `online and both go through the bulk API (POST .../records/batch); offline is the
offline-only backfill (see "backfill --help"): Parquet written straight to the offline
bucket and registered, resumable from a checkpoint.
${INPUTS_HELP}`,
  positionals: [1, Infinity],
  options: { ...sharedOptions, mode: { type: "string", required: true, choices: ["online", "offline", "both"], help: "target stores" }, ...backfillOptions },
  run: (ctx, o, files) => ingest(ctx, o, files, o.mode),
};

export const backfillCommand = {
  summary: "offline-only backfill: write Parquet to the offline bucket and register it (resumable)",
  usage: "backfill <files...> --group G [--checkpoint file] [--chunk-rows n]",
  description: `Same as "ingest --mode offline". Rows are validated against the group's schema, split
into chunks of --chunk-rows input rows and hourly partitions, written as Parquet in the
offline store's layout through the S3 API (FS_OFFLINE_S3_ENDPOINT, ..._ACCESS_KEY_ID,
..._SECRET_ACCESS_KEY; local stack defaults), and registered. Keys derive from the
input's content and the chunk, and the checkpoint records finished chunks, so an
interrupted run resumes and a re-run never duplicates a file.
${INPUTS_HELP}`,
  positionals: [1, Infinity],
  options: { ...sharedOptions, ...backfillOptions },
  run: (ctx, o, files) => ingest(ctx, o, files, "offline"),
};

function describeProblems(name, invalid) {
  const lines = invalid.slice(0, SHOWN_PROBLEMS).map((p) => `  row ${p.row}, field ${p.field}: ${p.rule}`);
  if (invalid.length > SHOWN_PROBLEMS) lines.push(`  ... and ${invalid.length - SHOWN_PROBLEMS} more (--report FILE lists all)`);
  return `rejected ${name}: ${invalid.length} invalid row(s); nothing of it was written\n${lines.join("\n")}`;
}

function stopAfterChunks(env) {
  if (env.FS_CLI_STOP_AFTER_CHUNKS === undefined) return null;
  const n = Number(env.FS_CLI_STOP_AFTER_CHUNKS);
  if (!Number.isSafeInteger(n) || n < 1) throw usage("FS_CLI_STOP_AFTER_CHUNKS must be a positive integer");
  return n;
}

async function ingest(ctx, o, paths, mode) {
  const started = performance.now();
  const chunkRows = o["chunk-rows"] === undefined ? DEFAULT_CHUNK_ROWS : Number(o["chunk-rows"]);
  if (!Number.isSafeInteger(chunkRows) || chunkRows < 1) throw usage("--chunk-rows must be a positive integer");
  const group = await ctx.api.request("GET", `/feature-groups/${seg(o.group)}`);
  const wantsOffline = mode !== "online";
  if (wantsOffline && !group.offlineStore?.enabled) throw new CliError(EXIT.REJECTED, `feature group ${group.name} has no offline store`);
  if (mode !== "offline" && !group.onlineStore?.enabled) throw new CliError(EXIT.REJECTED, `feature group ${group.name} has no online store`);
  const inputs = await resolveInputs(paths, o.format, ctx.config.inputS3);
  const schema = recordSchemaOfView(group);
  const progress = new Progress(ctx.stderr, { totalBytes: inputs.reduce((n, i) => n + i.size, 0), quiet: o.quiet });

  let writer = null;
  let checkpoint = null;
  if (mode === "offline") {
    const store = await ctx.api.request("GET", `/feature-groups/${seg(group.name)}/offline-store`);
    const opened = Checkpoint.open(o.checkpoint ?? join(".fs-checkpoints", `backfill-${group.name}.json`), { featureGroup: group.name, generation: group.generation, chunkRows, now: Date.now() });
    checkpoint = opened.checkpoint;
    if (opened.note) progress.note(opened.note);
    writer = new OfflineWriter({ api: ctx.api, group, store, offlineS3: ctx.config.offlineS3, checkpoint, progress, stopAfterChunks: stopAfterChunks(ctx.env) });
  }

  const report = { featureGroup: group.name, mode, inputs: [], rows: 0, rejectedFiles: 0 };
  for (const input of inputs) {
    const bytes = await input.read();
    const identity = identityOf(bytes);
    if (checkpoint?.isComplete(identity)) {
      progress.advance({ bytes: input.size, label: `${input.name} (done before)` });
      report.inputs.push({ name: input.name, status: "done-before", rows: checkpoint.state.inputs[identity].rows });
      continue;
    }
    progress.advance({ label: `${input.name} validating` });
    const { valid, invalid } = validateRows(schema, decodeInput(bytes, input.format));
    if (invalid.length > 0) {
      progress.note(describeProblems(input.name, invalid));
      progress.advance({ bytes: input.size });
      report.inputs.push({ name: input.name, status: "rejected", rows: valid.length + invalid.length, invalidRows: invalid.length, invalid });
      report.rejectedFiles += 1;
      continue;
    }
    if (writer) {
      const before = { written: writer.filesWritten, skipped: writer.filesSkipped };
      await writer.write(identity, input.name, valid, input.size);
      report.inputs.push({ name: input.name, status: "written", rows: valid.length, filesWritten: writer.filesWritten - before.written, filesAlreadyRegistered: writer.filesSkipped - before.skipped });
    } else {
      const result = await sendOnline({ api: ctx.api, group, rows: valid, targets: mode === "both" ? ["online", "offline"] : ["online"], progress, name: input.name, inputBytes: input.size });
      report.inputs.push({ name: input.name, status: "written", ...result });
    }
    report.rows += valid.length;
  }
  progress.finish();
  const seconds = (performance.now() - started) / 1000;
  const summary = { ...report, inputs: report.inputs.map(({ invalid: _invalid, ...i }) => i), seconds: Number(seconds.toFixed(3)), rowsPerSecond: Math.round(report.rows / seconds) };
  if (o.report) writeFileSync(o.report, `${JSON.stringify(report, null, 2)}\n`);
  ctx.print(summary);
  return report.rejectedFiles > 0 ? EXIT.INVALID_DATA : EXIT.OK;
}
