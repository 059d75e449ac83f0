import { eq } from "drizzle-orm";
import type { Schema } from "apache-arrow";
import type { CatalogDb, FeatureGroup } from "../catalog";
import { z } from "zod";
import { fail, invalid, ok, type Result } from "../failure";
import { dataPrefix, partitionRange, type OfflineLocationConfig } from "./layout";
import { registerFiles, type ManifestFile } from "./manifest";
import { offlineTable } from "./parquet";
import { LEGACY_OFFLINE_COLUMNS, OFFLINE_COLUMNS } from "./offline-table";
import { readParquetFooter } from "./parquet-footer";
import { offlineBatches, offlineFiles } from "./schema";

/**
 * Registration of Parquet files written outside the worker (the CLI's
 * offline backfill) in the offline manifest. The file must already sit in
 * the offline bucket under the group's own data prefix, in a partition its
 * event times belong to, and its footer must declare exactly the group's
 * offline columns (with write_sequence and available_time, or, from writers
 * that predate them, without both); then it enters the manifest like a file of the queue
 * consumer, so readers, the offline-store SQL and compaction cannot tell
 * them apart. Registering the same file again answers the same and changes
 * nothing.
 */
export interface FileRegistration {
  key: string;
  /** The client's identity of the file (input file + chunk); one key per fileId. */
  fileId: string;
  partition: string;
  rows: number;
  bytes: number;
  minEventTime: number;
  maxEventTime: number;
  minWriteTime: number;
  maxWriteTime: number;
}

export interface RegistrationDeps {
  db: CatalogDb;
  bucket: R2Bucket;
  location: OfflineLocationConfig;
  now: number;
}

/** Write times may run ahead of the worker's clock by this much (client clock skew). */
export const MAX_WRITE_TIME_SKEW_MS = 5 * 60_000;
const FILE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;
/** Below the data prefix: one Hive partition, then a plain file name. No "..", "//", "%" or anything else. */
const RELATIVE_KEY_PATTERN = /^(year=\d{4}\/month=\d{2}\/day=\d{2}\/hour=\d{2})\/[A-Za-z0-9][A-Za-z0-9_-]{0,127}\.parquet$/;

const count = (field: string) => {
  const rule = "must be an integer of at least 1";
  return z.int({ error: rule }).min(1, rule).describe(`The file's ${field}.`);
};

/**
 * An instant as epoch milliseconds or an ISO-8601 text with a time zone.
 * Event times may precede 1970 (history back to year 0000); write times may not.
 */
function instant(allowBefore1970: boolean) {
  const min = allowBefore1970 ? -Infinity : 0;
  const rule = `must be an ISO-8601 instant with a time zone or epoch milliseconds${allowBefore1970 ? "" : ", not before 1970"}`;
  const iso = z
    .string()
    .regex(/(Z|[+-]\d{2}:\d{2})$/, rule)
    .transform((text) => Date.parse(text));
  return z
    .union([z.int({ error: rule }), iso], { error: rule })
    .refine((ms) => Number.isFinite(ms) && ms >= min, rule)
    .describe(`ISO-8601 with a time zone, or epoch milliseconds${allowBefore1970 ? "" : " (not before 1970)"}.`);
}

/** A file registration's body; the key's place in the bucket is checked against the group separately. */
export const fileRegistrationSchema = z
  .object(
    {
      key: z.string({ error: "must be an object key of 1 to 1024 characters" }).min(1, "must be an object key of 1 to 1024 characters").max(1024, "must be an object key of 1 to 1024 characters"),
      fileId: z.string({ error: "must be 1 to 200 characters of letters, digits, '.', '_', ':' or '-'" }).regex(FILE_ID_PATTERN, "must be 1 to 200 characters of letters, digits, '.', '_', ':' or '-'"),
      partition: z.string({ error: "must be an hourly partition, year=YYYY/month=MM/day=DD/hour=HH" }),
      rows: count("rows"),
      bytes: count("bytes"),
      minEventTime: instant(true),
      maxEventTime: instant(true),
      minWriteTime: instant(false),
      maxWriteTime: instant(false),
    },
    { error: "must be a JSON object" },
  )
  .superRefine((file, ctx) => {
    if (file.minEventTime > file.maxEventTime) ctx.addIssue({ code: "custom", path: ["minEventTime"], message: "must not be after maxEventTime" });
    else if (file.minWriteTime > file.maxWriteTime) ctx.addIssue({ code: "custom", path: ["minWriteTime"], message: "must not be after maxWriteTime" });
  });

/** Checks the key names a file in the group's own data prefix, in the partition the body claims and its event times fall in. */
export function checkPlacement(location: OfflineLocationConfig, group: FeatureGroup, registration: FileRegistration, now: number): Result<void> {
  const prefix = `${dataPrefix(location, group.name, group.generation)}/`;
  const rule = `must be a file name ending in .parquet inside one hourly partition under the group's data prefix ${prefix}`;
  if (!registration.key.startsWith(prefix)) return invalid("key", rule);
  const match = RELATIVE_KEY_PATTERN.exec(registration.key.slice(prefix.length));
  if (!match) return invalid("key", rule);
  const range = partitionRange(match[1]!);
  if (!range) return invalid("key", rule);
  if (registration.partition !== match[1]) return invalid("partition", `must be the key's partition, ${match[1]}`);
  if (registration.minEventTime < range.startMs || registration.maxEventTime > range.endMs) {
    return invalid("minEventTime", `and maxEventTime must fall inside the partition ${match[1]}`);
  }
  if (registration.maxWriteTime > now + MAX_WRITE_TIME_SKEW_MS) return invalid("maxWriteTime", "must not be in the future");
  return ok(undefined);
}

/** The Arrow schema every offline file of the group declares (features in order, then the offline columns). */
function expectedSchema(group: FeatureGroup): Schema {
  return offlineTable(group.features, []).schema;
}

/** The same without write_sequence and available_time: files of writers that predate them (their rows rank and become known by write_time). */
function legacySchema(group: FeatureGroup): Schema {
  const current = expectedSchema(group);
  return current.select(current.fields.map((f) => f.name).filter((name) => !(OFFLINE_COLUMNS.slice(LEGACY_OFFLINE_COLUMNS.length) as readonly string[]).includes(name)));
}

/** Names the first column where the file differs from the group's offline schema. */
export function schemaMismatch(expected: Schema, actual: Schema): string | null {
  const want = expected.fields.map((f) => `${f.name} ${String(f.type)}`);
  const got = actual.fields.map((f) => `${f.name} ${String(f.type)}`);
  for (let i = 0; i < Math.max(want.length, got.length); i++) {
    if (want[i] !== got[i]) return `column ${i + 1} is ${got[i] ?? "missing"}, expected ${want[i] ?? "no further column"}`;
  }
  return null;
}

function sameFile(row: ManifestFile, file: ManifestFile): boolean {
  return (
    row.generation === file.generation && row.partition === file.partition && row.rowCount === file.rowCount && row.byteSize === file.byteSize &&
    row.minEventTime === file.minEventTime && row.maxEventTime === file.maxEventTime && row.minWriteTime === file.minWriteTime && row.maxWriteTime === file.maxWriteTime
  );
}

async function manifestRow(db: CatalogDb, key: string): Promise<ManifestFile | null> {
  const row = await db.select().from(offlineFiles).where(eq(offlineFiles.key, key)).get();
  if (!row) return null;
  const { state: _state, createdAt: _created, replacedAt: _replaced, ...file } = row;
  return file;
}

/** The answer for a key already in the manifest: the same file again is a no-op, another file under that key a conflict. */
function existingAnswer(existing: ManifestFile, file: ManifestFile): Result<ManifestFile> {
  return sameFile(existing, file) ? ok(existing) : fail({ reason: "conflict", detail: `${file.key} is already registered with other rows, bytes or times` });
}

const backfillBatchId = (generation: string, fileId: string) => `backfill:${generation}:${fileId}`;

/** Verifies and registers one external file; answers the manifest entry. */
export async function registerExternalFile(deps: RegistrationDeps, group: FeatureGroup, registration: FileRegistration): Promise<Result<ManifestFile>> {
  if (!group.offlineStore.enabled) return invalid("name", `feature group ${group.name} has no offline store`);
  if (group.status !== "Created") return fail({ reason: "feature_group_busy", featureGroup: group.name, status: group.status });
  const placed = checkPlacement(deps.location, group, registration, deps.now);
  if (!placed.ok) return placed;
  const file: ManifestFile = {
    key: registration.key,
    generation: group.generation,
    featureGroup: group.name,
    partition: registration.partition,
    rowCount: registration.rows,
    byteSize: registration.bytes,
    minEventTime: registration.minEventTime,
    maxEventTime: registration.maxEventTime,
    minWriteTime: registration.minWriteTime,
    maxWriteTime: registration.maxWriteTime,
    schemaVersion: group.catalogVersion,
  };
  const existing = await manifestRow(deps.db, file.key);
  // Checked before the object: compaction may already have merged (and later deleted) a registered file.
  if (existing) return existingAnswer(existing, file);

  const head = await deps.bucket.head(file.key);
  if (!head) return fail({ reason: "resource_not_found", kind: "offline object", name: file.key });
  if (head.size !== file.byteSize) return invalid("bytes", `must be the object's size, ${head.size}`);
  const footer = await readParquetFooter(deps.bucket, file.key, head.size);
  if (footer === null) return fail({ reason: "resource_not_found", kind: "offline object", name: file.key });
  if (typeof footer === "string") return invalid("key", `must name a readable Parquet file (${footer.replaceAll("_", " ")})`);
  const mismatch = schemaMismatch(expectedSchema(group), footer.schema);
  if (mismatch && schemaMismatch(legacySchema(group), footer.schema)) return invalid("key", `must name a Parquet file with the group's offline schema: ${mismatch}`);
  if (footer.numRows !== file.rowCount) return invalid("rows", `must be the file's row count, ${footer.numRows}`);

  try {
    await registerFiles(deps.db, [file], [{ batchId: backfillBatchId(group.generation, registration.fileId), rowCount: file.rowCount }], deps.now);
    return ok(file);
  } catch (error) {
    // A concurrent registration of the same file won the race, or the fileId already names another key.
    const raced = await manifestRow(deps.db, file.key);
    if (raced) return existingAnswer(raced, file);
    const batchId = backfillBatchId(group.generation, registration.fileId);
    const taken = await deps.db.select().from(offlineBatches).where(eq(offlineBatches.batchId, batchId)).get();
    if (taken) return fail({ reason: "conflict", detail: `fileId ${registration.fileId} is already registered for another key` });
    throw error;
  }
}
