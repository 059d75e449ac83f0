import { and, eq, lt } from "drizzle-orm";
import type { CatalogDb } from "../catalog";
import { offlineReadOptions, offlineWriteKey, type DataKeyLookup } from "../crypto/offline-objects";
import { bulkStagingPrefixOf, fileKey, offlinePrefixOf, sha256Hex, stagingPrefixOf, type OfflineLocationConfig } from "./layout";
import { generationSchema } from "./manifest";
import type { Table } from "apache-arrow";
import { offlineTable } from "./parquet";
import { parquetBatches, parquetStream, putInParts, rowGroupRows } from "./parquet-stream";
import { offlineFiles } from "./schema";
import { rowsFromTable } from "./table-rows";

/**
 * Compaction and housekeeping, run by the cron trigger.
 *
 * Small files of one partition are merged into one; the manifest swaps them
 * in one transaction (the new file becomes active exactly when the inputs
 * become replaced), and replaced objects are deleted only after a grace
 * period, so a reader working from an older manifest read never finds a gap
 * or a double.
 */
export interface CompactionPolicy {
  /** Merge a partition once it has this many small files. */
  minFiles: number;
  /** Files at least this large are left alone. */
  smallFileBytes: number;
  /** Upper bound on the input of one merge (the merged file's size, and the run's CPU time). */
  maxInputBytes: number;
  /** Partitions merged per run. */
  maxPartitionsPerRun: number;
  /** How long replaced objects (and unregistered ones) survive. */
  graceMs: number;
}

export const DEFAULT_COMPACTION_POLICY: CompactionPolicy = {
  minFiles: 4,
  // An input is held whole while it is read (its footer is at the end), next to parquet-wasm's copy of its pages.
  smallFileBytes: 16 * 1024 * 1024,
  maxInputBytes: 48 * 1024 * 1024,
  maxPartitionsPerRun: 20,
  graceMs: 60 * 60_000,
};

export interface CompactionDeps {
  db: CatalogDb;
  bucket: R2Bucket;
  location: OfflineLocationConfig;
  now: number;
  /** Data keys of groups whose offline objects are encrypted (SSE-C). */
  keys: DataKeyLookup;
}

export interface CompactionReport {
  merged: { partition: string; inputs: number; rows: number; key: string }[];
  deletedReplaced: number;
  deletedOrphans: number;
}

interface Candidate {
  generation: string;
  partition: string;
}

async function candidates(deps: CompactionDeps, policy: CompactionPolicy): Promise<Candidate[]> {
  const { results } = await deps.db.$client
    .prepare(
      `SELECT generation, partition FROM offline_files WHERE state = 'active' AND byte_size < ?1
       GROUP BY generation, partition HAVING COUNT(*) >= ?2 LIMIT ?3`,
    )
    .bind(policy.smallFileBytes, policy.minFiles, policy.maxPartitionsPerRun)
    .all<Candidate>();
  return results;
}

/** Merges one partition's small files; returns null when another run got there first. */
async function mergePartition(deps: CompactionDeps, policy: CompactionPolicy, candidate: Candidate) {
  const files = await deps.db
    .select()
    .from(offlineFiles)
    .where(and(eq(offlineFiles.generation, candidate.generation), eq(offlineFiles.partition, candidate.partition), eq(offlineFiles.state, "active"), lt(offlineFiles.byteSize, policy.smallFileBytes)))
    .orderBy(offlineFiles.createdAt, offlineFiles.key)
    .all();
  const inputs: typeof files = [];
  let bytes = 0;
  for (const file of files) {
    if (inputs.length > 0 && bytes + file.byteSize > policy.maxInputBytes) break;
    inputs.push(file);
    bytes += file.byteSize;
  }
  if (inputs.length < 2) return null;
  const schema = await generationSchema(deps.db, candidate.generation);
  if (!schema) return null;

  // A group whose keys cannot be opened is left alone; the others are still compacted.
  const groupKeys = await deps.keys(candidate.generation);
  const options = groupKeys.ok ? inputs.map((file) => offlineReadOptions(groupKeys.value, file.key)) : [];
  if (!groupKeys.ok || options.some((o) => !o.ok)) {
    console.error("offline compaction skips a partition: the group's data keys are unavailable", { featureGroup: schema.featureGroup, partition: candidate.partition });
    return null;
  }
  const writeKey = offlineWriteKey(groupKeys.value);
  const name = `compacted-${(await sha256Hex(inputs.map((f) => f.key).sort().join("\n"))).slice(0, 32)}${writeKey.nameSuffix}`;
  const key = fileKey(deps.location, schema.featureGroup, schema.generation, candidate.partition, name);
  // Input by input, a few thousand rows at a time, out as a stream of row groups put in parts: the
  // merge holds one input's bytes and one batch, never the partition's rows (isolate memory, docs/limits.md).
  let rowCount = 0;
  async function* rows(): AsyncGenerator<Table> {
    for (const [i, file] of inputs.entries()) {
      const option = options[i]!;
      const object = await deps.bucket.get(file.key, option.ok ? option.value : {});
      if (!object) throw new Error(`manifest file ${file.key} is missing from R2`);
      for await (const batch of parquetBatches(new Uint8Array(await object.arrayBuffer()))) {
        const values = rowsFromTable(batch, schema!.features);
        rowCount += values.length;
        yield offlineTable(schema!.features, values);
      }
    }
  }
  const ssecKey = writeKey.options.ssecKey;
  // Row groups sized by the inputs' compressed bytes per row, so wide rows make fewer rows per group.
  const perRow = inputs.reduce((n, f) => n + f.byteSize, 0) / Math.max(1, inputs.reduce((n, f) => n + f.rowCount, 0));
  const byteSize = await putInParts(deps.bucket, key, await parquetStream(rows(), { rowsPerGroup: rowGroupRows(perRow) }), ssecKey ? { ssecKey } : {});

  const keys = JSON.stringify(inputs.map((f) => f.key));
  const merged = {
    key,
    rowCount,
    byteSize,
    minEventTime: Math.min(...inputs.map((f) => f.minEventTime)),
    maxEventTime: Math.max(...inputs.map((f) => f.maxEventTime)),
    minWriteTime: Math.min(...inputs.map((f) => f.minWriteTime)),
    maxWriteTime: Math.max(...inputs.map((f) => f.maxWriteTime)),
    schemaVersion: Math.max(...inputs.map((f) => f.schemaVersion)),
  };
  // One transaction: the merged file is inserted only if every input is
  // still active, and the inputs are retired only if it was inserted.
  const [inserted] = await deps.db.$client.batch([
    deps.db.$client
      .prepare(
        `INSERT INTO offline_files (key, generation, feature_group, partition, row_count, byte_size, min_event_time, max_event_time,
           min_write_time, max_write_time, schema_version, state, created_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'active', ?12
         WHERE (SELECT COUNT(*) FROM offline_files WHERE key IN (SELECT value FROM json_each(?13)) AND state = 'active') = ?14
           AND NOT EXISTS (SELECT 1 FROM offline_files WHERE key = ?1)`,
      )
      .bind(key, schema.generation, schema.featureGroup, candidate.partition, merged.rowCount, merged.byteSize, merged.minEventTime, merged.maxEventTime, merged.minWriteTime, merged.maxWriteTime, merged.schemaVersion, deps.now, keys, inputs.length),
    deps.db.$client
      .prepare(
        `UPDATE offline_files SET state = 'replaced', replaced_at = ?1
         WHERE key IN (SELECT value FROM json_each(?2)) AND state = 'active'
           AND EXISTS (SELECT 1 FROM offline_files WHERE key = ?3 AND state = 'active' AND created_at = ?1)`,
      )
      .bind(deps.now, keys, key),
  ]);
  if (!inserted?.meta.changes) return null;
  return { partition: candidate.partition, inputs: inputs.length, rows: rowCount, key };
}

/** Deletes objects replaced longer ago than the grace period, then their manifest rows. */
async function deleteReplaced(deps: CompactionDeps, policy: CompactionPolicy): Promise<number> {
  const expired = await deps.db
    .select({ key: offlineFiles.key })
    .from(offlineFiles)
    .where(and(eq(offlineFiles.state, "replaced"), lt(offlineFiles.replacedAt, deps.now - policy.graceMs)))
    .limit(500)
    .all();
  if (expired.length === 0) return 0;
  await deps.bucket.delete(expired.map((f) => f.key));
  await deps.db.$client
    .prepare("DELETE FROM offline_files WHERE state = 'replaced' AND key IN (SELECT value FROM json_each(?1))")
    .bind(JSON.stringify(expired.map((f) => f.key)))
    .run();
  return expired.length;
}

/** Keys among `keys` that the D1 query (taking a JSON array as ?1) reports as known. */
async function knownKeys(db: CatalogDb, query: string, keys: readonly string[]): Promise<Set<string>> {
  const known = new Set<string>();
  for (let i = 0; i < keys.length; i += 90) {
    const { results } = await db.$client.prepare(query).bind(JSON.stringify(keys.slice(i, i + 90))).all<{ key: string }>();
    for (const row of results) known.add(row.key);
  }
  return known;
}

/**
 * Removes, once older than the grace period, data objects no manifest row
 * names (a writer that crashed between its R2 put and its D1 commit),
 * staged batches whose batch is registered, and rows a bulk request staged
 * (bulk-spill.ts: a live request deletes its own within seconds). A staged
 * batch not yet registered is still on its way and is kept. Housekeeping may list R2;
 * readers never do.
 */
async function deleteOrphans(deps: CompactionDeps, policy: CompactionPolicy): Promise<number> {
  let deleted = 0;
  let cursor: string | undefined;
  const staging = `${stagingPrefixOf(deps.location)}/`;
  const bulkStaging = `${bulkStagingPrefixOf(deps.location)}/`;
  do {
    const page = await deps.bucket.list({ prefix: `${offlinePrefixOf(deps.location)}/`, ...(cursor ? { cursor } : {}) });
    const old = page.objects.filter((o) => o.uploaded.getTime() < deps.now - policy.graceMs);
    const data = old.filter((o) => o.key.endsWith(".parquet")).map((o) => o.key);
    const staged = old.filter((o) => o.key.startsWith(staging)).map((o) => o.key);
    const batchOf = (key: string) => key.slice(staging.length, -".json".length).replaceAll("/", ":");
    const registeredFiles = await knownKeys(deps.db, "SELECT key FROM offline_files WHERE key IN (SELECT value FROM json_each(?1))", data);
    const registeredBatches = await knownKeys(deps.db, "SELECT batch_id AS key FROM offline_batches WHERE batch_id IN (SELECT value FROM json_each(?1))", staged.map(batchOf));
    const bulkStaged = old.filter((o) => o.key.startsWith(bulkStaging)).map((o) => o.key);
    const orphans = [...data.filter((k) => !registeredFiles.has(k)), ...staged.filter((k) => registeredBatches.has(batchOf(k))), ...bulkStaged];
    if (orphans.length > 0) await deps.bucket.delete(orphans);
    deleted += orphans.length;
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return deleted;
}

export async function compactOffline(deps: CompactionDeps, policy: CompactionPolicy = DEFAULT_COMPACTION_POLICY): Promise<CompactionReport> {
  const report: CompactionReport = { merged: [], deletedReplaced: 0, deletedOrphans: 0 };
  for (const candidate of await candidates(deps, policy)) {
    const merged = await mergePartition(deps, policy, candidate);
    if (merged) report.merged.push(merged);
  }
  report.deletedReplaced = await deleteReplaced(deps, policy);
  report.deletedOrphans = await deleteOrphans(deps, policy);
  return report;
}
