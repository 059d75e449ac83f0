import * as RECORD_LIMITS from "../records/limits";
import { MAX_JSON_DEPTH, MAX_JSON_ITEMS, MAX_JSON_STRING_CHARS } from "../formats/json";

/** Every named limit the table may cite, by its constant's name. */
const LIMITS = { ...RECORD_LIMITS, MAX_JSON_DEPTH, MAX_JSON_ITEMS, MAX_JSON_STRING_CHARS };
type LimitName = keyof typeof LIMITS;

const KiB = 1024;
const MiB = 1024 * KiB;

/** 2,500: thousands separated without a locale, so the doc reads the same wherever it is generated. */
const count = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");

/** Bytes in the largest binary unit that divides them. */
function bytes(n: number): string {
  if (n % MiB === 0) return `${count(n / MiB)} MiB`;
  if (n % KiB === 0) return `${count(n / KiB)} KiB`;
  return `${count(n)} bytes`;
}

/** A row: what is limited, the constants that limit it, and how their values read. */
type Row = [what: string, names: LimitName[], value: (...values: number[]) => string];

const ROWS: Row[] = [
  ["features per group", ["MAX_FEATURES_PER_GROUP"], count],
  ["feature additions per update", ["MAX_FEATURE_ADDITIONS_PER_UPDATE"], count],
  ["record", ["MAX_RECORD_BYTES"], (n) => `${bytes(n)} canonical JSON`],
  ["record identifier", ["MAX_RECORD_IDENTIFIER_BYTES"], (n) => `${bytes(n)} UTF-8`],
  ["String value", ["MAX_STRING_VALUE_CHARS"], (n) => `${count(n)} characters`],
  ["Vector dimension", ["MAX_VECTOR_DIMENSION"], (n) => `1–${count(n)}`],
  ["shards per group (every shard is called on catalog changes, within the 1,000-subrequest budget)", ["MAX_SHARD_COUNT", "DEFAULT_SHARD_COUNT"], (max, fallback) => `1–${max} (default ${fallback})`],
  ["batch get", ["MAX_BATCH_GET_GROUPS", "MAX_BATCH_GET_IDENTIFIERS"], (groups, ids) => `${count(groups)} groups × ${count(ids)} identifiers`],
  ["batch get answer (identifiers past it come back `unprocessed`)", ["MAX_BATCH_GET_REPLY_CHARS"], (n) => `${bytes(n)} of record JSON`],
  ["body: put and update record, ListRecords", ["MAX_PUT_BODY_BYTES"], bytes],
  ["body: batch get, BatchWriteRecord", ["MAX_BATCH_GET_BODY_BYTES"], bytes],
  ["body: feature groups, jobs, SageMaker control plane", ["MAX_CONTROL_BODY_BYTES"], bytes],
  ["body: any request signed with SigV4 (read whole to check its hash)", ["MAX_SIGNED_BODY_BYTES"], bytes],
  ["body: bulk ingest, streamed (NDJSON, CSV, Arrow IPC stream)", ["MAX_BULK_BODY_BYTES"], bytes],
  ["body: bulk ingest, read whole (Arrow IPC file, Parquet)", ["MAX_BUFFERED_BODY_BYTES"], bytes],
  ["bulk ingest rows per request", ["MAX_BULK_ROWS"], count],
  ["bulk ingest Parquet row group, uncompressed", ["MAX_PARQUET_ROW_GROUP_BYTES"], bytes],
  ["bulk ingest NDJSON line (413 with `field: \"body line N\"`)", ["MAX_NDJSON_LINE_BYTES"], bytes],
  ["body: datasets (`POST /v1/datasets`, `/v1/datasets/sql`)", ["MAX_DATASET_BODY_BYTES"], bytes],
  ["entity rows of a synchronous dataset (more: `\"async\": true`)", ["MAX_ENTITY_ROWS"], count],
  ["synchronous dataset answer (more: `\"async\": true`)", ["MAX_SYNC_RESULT_CHARS"], (n) => `${bytes(n).replace("MiB", "Mi")} characters of JSON rows`],
  ["uploaded entity object a synchronous dataset reads", ["MAX_SYNC_ENTITY_OBJECT_BYTES"], bytes],
  ["upload (`PUT /v1/uploads/{name}`)", ["MAX_UPLOAD_BYTES"], bytes],
  ["body: access keys", ["MAX_ADMIN_BODY_BYTES"], bytes],
  ["body: offline file registration", ["MAX_REGISTRATION_BODY_BYTES"], bytes],
  ["body: dead-letter replay", ["MAX_REPLAY_BODY_BYTES"], bytes],
  ["as-of page (`limit`)", ["MAX_AS_OF_LIMIT"], (n) => `${count(n)} records`],
  ["JSON nesting (every route)", ["MAX_JSON_DEPTH"], (n) => `${n} levels`],
  ["items of one JSON array or object", ["MAX_JSON_ITEMS"], count],
  ["one JSON string or member name", ["MAX_JSON_STRING_CHARS"], (n) => `${count(n)} characters`],
  ["one JSON string of a dataset body (CSV entities arrive as one string)", ["MAX_DATASET_BODY_BYTES"], (n) => `${count(n)} characters`],
];

/**
 * The limits table of docs/api.md, generated from the named constants
 * (src/records/limits.ts, src/formats/json.ts); test/sdk/docs.test.ts fails
 * when the doc differs.
 */
export function limitsTableMarkdown(): string {
  const rows = ROWS.map(([what, names, value]) => `| ${what} | ${value(...names.map((name) => LIMITS[name]))} | ${names.map((name) => `\`${name}\``).join(", ")} |`);
  return ["| limit | value | constant |", "|---|---|---|", ...rows].join("\n");
}
