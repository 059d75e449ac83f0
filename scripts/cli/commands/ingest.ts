// ingest <files...> --group G --mode online|offline|both, and backfill
// (= ingest --mode offline). The work itself (backfill/run.ts) and its
// heavy modules (parquet-wasm, the S3 client) load only when a command runs,
// so --help and the other commands start fast.
import { defineCommand, type OptionSpecs } from "../command";

export const DEFAULT_CHUNK_ROWS = 100_000;

const sharedOptions = {
  group: { type: "string", required: true, help: "the feature group" },
  format: { type: "string", choices: ["csv", "ndjson", "parquet"], help: "input format (default: from each file's extension)" },
  report: { type: "string", help: "write the full JSON report (every invalid row) to this file" },
  quiet: { type: "boolean", help: "no progress line" },
} as const satisfies OptionSpecs;

const backfillOptions = {
  checkpoint: { type: "string", help: "checkpoint file (default .fs-checkpoints/backfill-<group>.json)" },
  "chunk-rows": { type: "string", help: `input rows per chunk (default ${DEFAULT_CHUNK_ROWS}); pinned by an existing checkpoint` },
  workers: { type: "string", help: "threads that validate and encode chunks (default: one per CPU, at most 8; 0 = the main thread)" },
  "available-from": {
    type: "string",
    choices: ["eventTime", "accepted"],
    help: "knowledge time of the offline rows: eventTime (backfill default: history known when it happened) or accepted (when written; the bulk API's default); pinned by a checkpoint",
  },
  "available-delay": { type: "string", help: "with --available-from eventTime: rows became available this long after their event time (e.g. 2h, 1d)" },
} as const satisfies OptionSpecs;

const INPUTS_HELP = `Inputs: local files, folders (their .csv/.ndjson/.parquet files) or s3://bucket/prefix
(FS_INPUT_S3_* settings, default: the offline bucket's). CSV cells are strings as in the
bulk API (empty = missing, lists as JSON arrays); NDJSON and Parquet values are typed.`;

export const ingestCommand = defineCommand({
  summary: "ingest files into the online store, the offline store, or both",
  usage: "ingest <files...> --group G --mode online|offline|both [--format csv|ndjson|parquet]",
  description: `online and both go through the bulk API (POST .../records/batch); offline is the
offline-only backfill (see "backfill --help"): Parquet written straight to the offline
bucket and registered, resumable from a checkpoint.
${INPUTS_HELP}`,
  positionals: [1, Infinity],
  options: { ...sharedOptions, mode: { type: "string", required: true, choices: ["online", "offline", "both"], help: "target stores" }, ...backfillOptions },
  run: async (ctx, o, files) => (await import("../backfill/run")).ingest(ctx, o, files, o.mode),
});

export const backfillCommand = defineCommand({
  summary: "offline-only backfill: write Parquet to the offline bucket and register it (resumable)",
  usage: "backfill <files...> --group G [--checkpoint file] [--chunk-rows n] [--workers n] [--available-from eventTime|accepted] [--available-delay 2h]",
  description: `Same as "ingest --mode offline". Rows are validated against the group's schema, split
into chunks of --chunk-rows input rows and hourly partitions, written as Parquet in the
offline store's layout through the S3 API (FS_OFFLINE_S3_ENDPOINT, ..._ACCESS_KEY_ID,
..._SECRET_ACCESS_KEY; local stack defaults), and registered. Keys derive from the
input's content and the chunk, and the checkpoint records finished chunks, so an
interrupted run resumes and a re-run never duplicates a file. Chunks are validated and
encoded column-wise by --workers threads while the main thread reads, uploads, registers.
Knowledge time: each row is available to training sets from its event time (plus
--available-delay), so a dataset over the backfilled history sees it by default;
--available-from accepted makes it available only from the run's write time.
${INPUTS_HELP}`,
  positionals: [1, Infinity],
  options: { ...sharedOptions, ...backfillOptions },
  run: async (ctx, o, files) => (await import("../backfill/run")).ingest(ctx, o, files, "offline"),
});

/** The options ingest and backfill share with the work in backfill/run.ts (backfill has no --mode). */
export type IngestOptions = typeof sharedOptions & typeof backfillOptions;
