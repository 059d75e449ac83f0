import type { Table, Vector } from "apache-arrow";
import { and, desc, eq, inArray } from "drizzle-orm";
import type { CatalogDb } from "../catalog";
import type { DataKeyLookup } from "../crypto/offline-objects";
import type { Failure } from "../failure";
import { toCsv } from "../formats/csv";
import type { FeatureDefinition } from "../records";
import {
  datasetColumns,
  joinedColumns,
  joinedRows,
  joinEntities,
  knowledgeReport,
  knowledgeWarning,
  oneRowPerEntity,
  type DatasetGroup,
  type DatasetOptions,
  type JoinedEntities,
  type KnowledgeReport,
} from "./dataset";
import { arrowTypeIs, datasetArrowStream, datasetParquet, datasetTableOfColumns, fitsEntityType, inferEntityTypes, type EntityTypeName } from "./encode";
import { parseEntities, type EntityGroupSpec } from "./entities";
import { MAX_CHUNK_ROWS, readChunk, sourceLayout, SourceMissing, type EntitySource } from "./entity-source";
import { footerLength, mergedTrailer, parseFooter, PARQUET_MAGIC, type FooterLayout } from "./parquet-layout";
import { emptyStats } from "./row-groups";
import { datasetJobs } from "./schema";

/**
 * Asynchronous dataset jobs. The query worker runs a job as a chain of
 * queue messages: each invocation reads one entity chunk (a row group of an
 * entity Parquet object or a byte range of CSV/NDJSON), joins it by
 * streaming the feature row groups, writes the chunk's rows as a part
 * object, records progress in D1 and sends the next message; the last
 * invocation concatenates the parts into one result object (a multipart
 * upload of fixed-size parts). No invocation holds more than one chunk, and
 * no HTTP request waits on a job.
 */
export type JobFormat = "ndjson" | "csv" | "parquet" | "arrow";

export interface JobSpec {
  groups: DatasetGroup[];
  entityGroups: EntityGroupSpec[];
  timestampColumn: string;
  options: DatasetOptions;
  format: JobFormat;
  source: EntitySource;
  /** Declared types of the feature output columns: [column, definition]. */
  featureTypes: [string, FeatureDefinition][];
}

export interface JobMessage {
  jobId: string;
}

export type JobState = "queued" | "running" | "succeeded" | "failed" | "cancelled";

/** States a job can still leave; only these may be cancelled or moved on by a step. */
const UNFINISHED: JobState[] = ["queued", "running"];

export const JOBS_PREFIX = "dataset-jobs";
/** Result parts: every part but the last has exactly this size, as R2 multipart uploads require. */
const PART_BYTES = 8 * 1024 * 1024;
/** One invocation keeps taking chunks for this long, then hands over to the next message. */
const STEP_BUDGET_MS = 20_000;

const EXTENSIONS: Record<JobFormat, string> = { ndjson: "ndjson", csv: "csv", parquet: "parquet", arrow: "arrows" };
export const CONTENT_TYPES: Record<JobFormat, string> = {
  ndjson: "application/x-ndjson",
  csv: "text/csv; charset=utf-8",
  parquet: "application/vnd.apache.parquet",
  arrow: "application/vnd.apache.arrow.stream",
};

export interface JobDeps {
  db: CatalogDb;
  bucket: R2Bucket;
  /** Data keys of groups whose offline objects are encrypted (SSE-C). */
  keys: DataKeyLookup;
  queue: Queue<JobMessage>;
  now?: () => number;
}

export interface JobView {
  id: string;
  state: JobState;
  format: JobFormat;
  progress: {
    chunksTotal: number | null;
    chunksDone: number;
    entitiesTotal: number | null;
    entitiesProcessed: number;
    filesRead: number;
    bytesRead: number;
    rowsWritten: number;
  };
  /** What knowledge time excluded so far (see query/dataset.ts KnowledgeReport). */
  knowledgeTime: KnowledgeReport;
  /** Present when knowledge time left entity rows without features. */
  warnings?: string[];
  result?: { key: string; bytes: number; contentType: string };
  error?: string;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
}

type JobRow = typeof datasetJobs.$inferSelect;

export function jobView(row: JobRow): JobView {
  const format = row.format as JobFormat;
  const knowledge = { rowsWithExcludedVersions: row.knowledgeExcludedRows, rowsEmptied: row.knowledgeEmptiedRows };
  const warning = knowledgeWarning(knowledge);
  return {
    id: row.id,
    state: row.state as JobState,
    format,
    progress: {
      chunksTotal: row.chunksTotal,
      chunksDone: row.chunksDone,
      entitiesTotal: row.entitiesTotal,
      entitiesProcessed: row.entitiesProcessed,
      filesRead: row.filesRead,
      bytesRead: row.bytesRead,
      rowsWritten: row.rowsWritten,
    },
    knowledgeTime: knowledge,
    ...(warning ? { warnings: [warning] } : {}),
    ...(row.resultKey && row.state === "succeeded" ? { result: { key: row.resultKey, bytes: row.resultBytes ?? 0, contentType: CONTENT_TYPES[format] } } : {}),
    ...(row.error ? { error: row.error } : {}),
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
    ...(row.finishedAt ? { finishedAt: new Date(row.finishedAt).toISOString() } : {}),
  };
}

export async function getJob(db: CatalogDb, id: string): Promise<JobRow | undefined> {
  return db.select().from(datasetJobs).where(eq(datasetJobs.id, id)).get();
}

/** The newest jobs with the groups each joins (the web catalog lists them). */
export async function recentJobs(db: CatalogDb, limit: number): Promise<{ job: JobView; featureGroups: string[]; createdAt: number }[]> {
  const rows = await db.select().from(datasetJobs).orderBy(desc(datasetJobs.createdAt)).limit(limit).all();
  return rows.map((row) => ({ job: jobView(row), featureGroups: (JSON.parse(row.spec) as { groups: { featureGroup: string }[] }).groups.map((g) => g.featureGroup), createdAt: row.createdAt }));
}

export async function createJob(deps: JobDeps, spec: JobSpec): Promise<JobView> {
  const now = (deps.now ?? Date.now)();
  const id = crypto.randomUUID();
  const row = { id, state: "queued", format: spec.format, spec: JSON.stringify(spec), createdAt: now, updatedAt: now };
  await deps.db.insert(datasetJobs).values(row);
  await deps.queue.send({ jobId: id });
  return jobView((await getJob(deps.db, id))!);
}

const partKey = (id: string, n: number) => `${JOBS_PREFIX}/${id}/parts/${String(n).padStart(6, "0")}`;

function describeFailure(failure: Failure): string {
  if (failure.reason === "invalid_field") return `${failure.field} ${failure.rule}`;
  if (failure.reason === "feature_group_not_found") return `feature group ${failure.featureGroup} no longer exists`;
  return failure.reason;
}

async function failJob(deps: JobDeps, id: string, error: string): Promise<void> {
  const now = (deps.now ?? Date.now)();
  await deps.db.update(datasetJobs).set({ state: "failed", error, updatedAt: now, finishedAt: now }).where(and(eq(datasetJobs.id, id), inArray(datasetJobs.state, UNFINISHED)));
}

/**
 * A job whose step the queue gave up on (its retries spent, the message in
 * the dead-letter queue): failed, so it never stays "running" forever.
 * A job that finished in the meantime is left as it is.
 */
export async function abandonJob(deps: Pick<JobDeps, "db" | "now">, id: string): Promise<void> {
  const now = (deps.now ?? Date.now)();
  await deps.db
    .update(datasetJobs)
    .set({ state: "failed", error: "a step of the job failed on every retry (an internal error; the query worker's logs have it)", updatedAt: now, finishedAt: now })
    .where(and(eq(datasetJobs.id, id), inArray(datasetJobs.state, UNFINISHED)));
}

/**
 * Cancels a job that has not finished: it ends as "cancelled" and writes no
 * result. A step running at that moment finishes its chunk, finds the job
 * cancelled and deletes the parts written so far. Undefined when there is
 * no such job; a finished job comes back as it is, for the caller to refuse.
 */
export async function cancelJob(deps: Pick<JobDeps, "db" | "now">, id: string): Promise<{ cancelled: boolean; job: JobView } | undefined> {
  const now = (deps.now ?? Date.now)();
  const changed = await deps.db
    .update(datasetJobs)
    .set({ state: "cancelled", error: "cancelled on request", updatedAt: now, finishedAt: now })
    .where(and(eq(datasetJobs.id, id), inArray(datasetJobs.state, UNFINISHED)))
    .returning({ id: datasetJobs.id });
  const row = await getJob(deps.db, id);
  return row ? { cancelled: changed.length > 0, job: jobView(row) } : undefined;
}

/**
 * Encodes one chunk's joined rows as a part of the result; typed formats are
 * built column by column, taking entity columns from the entity Parquet as
 * they are when each entity row makes one output row and the column already
 * has the result's type.
 */
function encodePart(
  spec: JobSpec,
  columns: string[],
  entityColumns: readonly string[],
  joined: JoinedEntities,
  entityTypes: Record<string, EntityTypeName>,
  first: boolean,
  entityTable?: Table,
): { bytes: Uint8Array; rows: number; schemaBytes?: number } {
  switch (spec.format) {
    case "ndjson": {
      const rows = joinedRows(joined);
      return { bytes: new TextEncoder().encode(rows.map((r) => `${JSON.stringify(r)}\n`).join("")), rows: rows.length };
    }
    case "csv": {
      const rows = joinedRows(joined);
      const csv = toCsv(columns, rows);
      return { bytes: new TextEncoder().encode(first ? csv : csv.slice(csv.indexOf("\n") + 1)), rows: rows.length };
    }
    case "parquet":
    case "arrow": {
      const reused = entityTable && oneRowPerEntity(joined) ? reusableEntityVectors(entityTable, entityColumns, entityTypes) : new Map<string, Vector>();
      const values = joinedColumns(joined, entityColumns.filter((c) => !reused.has(c)));
      const table = datasetTableOfColumns(columns, (name) => values.get(name)!, new Map(spec.featureTypes), entityTypes, reused);
      if (spec.format === "parquet") return { bytes: datasetParquet(table), rows: table.numRows };
      const bytes = datasetArrowStream(table);
      // The stream opens with the schema message: continuation marker, metadata length, metadata.
      return { bytes, rows: table.numRows, schemaBytes: 8 + new DataView(bytes.buffer, bytes.byteOffset + 4, 4).getInt32(0, true) };
    }
  }
}

/** Entity Parquet columns whose Arrow type is already the result's type for them. */
function reusableEntityVectors(table: Table, entityColumns: readonly string[], entityTypes: Record<string, EntityTypeName>): Map<string, Vector> {
  const reusable = new Map<string, Vector>();
  for (const name of entityColumns) {
    const vector = table.getChild(name);
    if (vector && vector.data.length === 1 && arrowTypeIs(vector.type, entityTypes[name]!)) reusable.set(name, vector);
  }
  return reusable;
}

interface EntityColumns {
  columns: string[];
  types: Record<string, EntityTypeName>;
}

/** Runs a job for up to STEP_BUDGET_MS; sends the next message if it is not finished. */
export async function runJobStep(deps: JobDeps, id: string): Promise<void> {
  const started = Date.now();
  const now = () => (deps.now ?? Date.now)();
  for (;;) {
    const job = await getJob(deps.db, id);
    if (!job || job.state === "succeeded" || job.state === "failed") return;
    // Parts are numbered from 0; a step may have written the one after the last counted.
    if (job.state === "cancelled") return deleteParts(deps.bucket, id, (job.chunksTotal ?? 0) + 1);
    const spec = JSON.parse(job.spec) as JobSpec;
    try {
      const layout = await sourceLayout(deps.bucket, spec.source);
      if (!layout.ok) return failJob(deps, id, describeFailure(layout.failure));
      if (job.chunksTotal === null) {
        await deps.db
          .update(datasetJobs)
          .set({ state: "running", chunksTotal: layout.value.chunks, entitiesTotal: layout.value.rows ?? null, updatedAt: now() })
          .where(and(eq(datasetJobs.id, id), inArray(datasetJobs.state, UNFINISHED)));
      } else if (job.chunksDone < job.chunksTotal) {
        const n = job.chunksDone;
        const read = await readChunk(deps.bucket, spec.source, layout.value, n);
        if (!read.ok) return failJob(deps, id, describeFailure(read.failure));
        const entityRows = read.value.rows;
        if (entityRows.length > MAX_CHUNK_ROWS) return failJob(deps, id, `entities.object chunk ${n} holds ${entityRows.length} rows; at most ${MAX_CHUNK_ROWS} per chunk`);
        const fixed: EntityColumns | undefined = job.entityTypes ? (JSON.parse(job.entityTypes) as EntityColumns) : undefined;
        const entityColumns = fixed?.columns ?? Object.keys(entityRows[0] ?? {});
        if (!entityColumns.includes(spec.timestampColumn)) return failJob(deps, id, `entities.object has no column ${spec.timestampColumn} (timestampColumn)`);
        const outputColumns = datasetColumns(spec.groups, entityColumns, spec.options);
        const twice = outputColumns.find((c, i) => outputColumns.indexOf(c) !== i);
        if (twice !== undefined) return failJob(deps, id, `the output column ${twice} would appear twice (an entity column has a feature's prefixed name): choose another prefix`);
        const types = fixed?.types ?? inferEntityTypes(entityColumns, entityRows);
        for (const column of entityColumns) {
          if ((spec.format === "parquet" || spec.format === "arrow") && !fitsEntityType(types[column]!, entityRows.map((r) => r[column]))) {
            return failJob(deps, id, `entities column ${column} was ${types[column]} in the first rows but not in rows from ${job.entitiesProcessed}: a typed result (${spec.format}) needs one type per column`);
          }
        }
        const entities = parseEntities(entityRows, job.entitiesProcessed, spec.timestampColumn, spec.entityGroups);
        if (!entities.ok) return failJob(deps, id, describeFailure(entities.failure));
        const stats = emptyStats();
        const joined = await joinEntities(deps, spec.groups, entities.value, spec.options, stats);
        if (!joined.ok) return failJob(deps, id, describeFailure(joined.failure));
        const part = encodePart(spec, outputColumns, entityColumns, joined.value, types, n === 0, read.value.table);
        const knowledge = knowledgeReport(joined.value);
        await deps.bucket.put(partKey(id, n), part.bytes, { customMetadata: part.schemaBytes !== undefined ? { schemaBytes: String(part.schemaBytes) } : {} });
        // Guarded by chunks_done: a redelivered message that lost the race changes nothing.
        await deps.db
          .update(datasetJobs)
          .set({
            state: "running",
            chunksDone: n + 1,
            entitiesProcessed: job.entitiesProcessed + entityRows.length,
            filesRead: job.filesRead + stats.filesRead,
            bytesRead: job.bytesRead + stats.bytesRead,
            rowsWritten: job.rowsWritten + part.rows,
            knowledgeExcludedRows: job.knowledgeExcludedRows + knowledge.rowsWithExcludedVersions,
            knowledgeEmptiedRows: job.knowledgeEmptiedRows + knowledge.rowsEmptied,
            entityTypes: JSON.stringify({ columns: entityColumns, types } satisfies EntityColumns),
            updatedAt: now(),
          })
          .where(and(eq(datasetJobs.id, id), eq(datasetJobs.chunksDone, n), inArray(datasetJobs.state, UNFINISHED)));
      } else {
        const result = await assemble(deps.bucket, id, spec.format, job.chunksTotal);
        const at = now();
        await deps.db
          .update(datasetJobs)
          .set({ state: "succeeded", resultKey: result.key, resultBytes: result.bytes, entitiesTotal: job.entitiesProcessed, updatedAt: at, finishedAt: at })
          .where(and(eq(datasetJobs.id, id), inArray(datasetJobs.state, UNFINISHED)));
        await deleteParts(deps.bucket, id, job.chunksTotal);
        // Cancelled while assembling: the result is not the job's, so it goes too.
        if ((await getJob(deps.db, id))?.state === "cancelled") await deps.bucket.delete(result.key);
        return;
      }
    } catch (error) {
      if (error instanceof SourceMissing) return failJob(deps, id, `entities.object ${error.key.replace(/^uploads\//, "")} does not exist (upload it with PUT /v1/uploads/{name})`);
      return failJob(deps, id, `internal error: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (Date.now() - started > STEP_BUDGET_MS) {
      await deps.queue.send({ jobId: id });
      return;
    }
  }
}

async function deleteParts(bucket: R2Bucket, id: string, chunks: number): Promise<void> {
  const keys = Array.from({ length: chunks }, (_, n) => partKey(id, n));
  for (let i = 0; i < keys.length; i += 1000) await bucket.delete(keys.slice(i, i + 1000));
}

/** Bytes in, fixed-size multipart parts out; small results become one plain object. */
class PartWriter {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private parts: R2UploadedPart[] = [];
  private upload: R2MultipartUpload | undefined;
  total = 0;

  constructor(
    private readonly bucket: R2Bucket,
    private readonly key: string,
    private readonly contentType: string,
  ) {}

  async write(bytes: Uint8Array): Promise<void> {
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    this.total += bytes.length;
    while (this.pendingBytes >= PART_BYTES) await this.flushPart(PART_BYTES);
  }

  private take(size: number): Uint8Array {
    const out = new Uint8Array(size);
    let filled = 0;
    while (filled < size) {
      const head = this.pending[0]!;
      const n = Math.min(head.length, size - filled);
      out.set(head.subarray(0, n), filled);
      filled += n;
      if (n === head.length) this.pending.shift();
      else this.pending[0] = head.subarray(n);
    }
    this.pendingBytes -= size;
    return out;
  }

  private async flushPart(size: number): Promise<void> {
    this.upload ??= await this.bucket.createMultipartUpload(this.key, { httpMetadata: { contentType: this.contentType } });
    this.parts.push(await this.upload.uploadPart(this.parts.length + 1, this.take(size)));
  }

  async close(): Promise<void> {
    if (!this.upload) {
      await this.bucket.put(this.key, this.take(this.pendingBytes), { httpMetadata: { contentType: this.contentType } });
      return;
    }
    if (this.pendingBytes > 0) await this.flushPart(this.pendingBytes);
    await this.upload.complete(this.parts);
  }
}

async function pipe(bucket: R2Bucket, key: string, writer: PartWriter, range?: { offset: number; length: number }): Promise<void> {
  if (range && range.length <= 0) return;
  const object = await bucket.get(key, range ? { range } : {});
  if (!object) throw new Error(`job part ${key} is missing`);
  const reader = object.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    await writer.write(value);
  }
}

const ARROW_EOS = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

async function assemble(bucket: R2Bucket, id: string, format: JobFormat, chunks: number): Promise<{ key: string; bytes: number }> {
  const key = `${JOBS_PREFIX}/${id}/result.${EXTENSIONS[format]}`;
  const writer = new PartWriter(bucket, key, CONTENT_TYPES[format]);
  if (format === "parquet") {
    const layouts: FooterLayout[] = [];
    for (let n = 0; n < chunks; n++) {
      const head = await bucket.head(partKey(id, n));
      if (!head) throw new Error(`job part ${n} is missing`);
      const tail = await bucket.get(partKey(id, n), { range: { suffix: Math.min(head.size, 1024 * 1024) } });
      const bytes = new Uint8Array(await tail!.arrayBuffer());
      const length = footerLength(bytes);
      layouts.push(parseFooter(bytes.subarray(bytes.length - 8 - length, bytes.length - 8), head.size));
    }
    await writer.write(PARQUET_MAGIC);
    for (const [n, layout] of layouts.entries()) await pipe(bucket, partKey(id, n), writer, { offset: PARQUET_MAGIC.length, length: layout.footerStart - PARQUET_MAGIC.length });
    await writer.write(mergedTrailer(layouts));
  } else if (format === "arrow") {
    for (let n = 0; n < chunks; n++) {
      const head = await bucket.head(partKey(id, n));
      if (!head) throw new Error(`job part ${n} is missing`);
      const from = n === 0 ? 0 : Number(head.customMetadata?.schemaBytes ?? 0);
      await pipe(bucket, partKey(id, n), writer, { offset: from, length: head.size - ARROW_EOS.length - from });
    }
    await writer.write(ARROW_EOS);
  } else {
    for (let n = 0; n < chunks; n++) await pipe(bucket, partKey(id, n), writer);
  }
  await writer.close();
  return { key, bytes: writer.total };
}
