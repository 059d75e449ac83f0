import { z } from "zod";
import { recordSchemaOf } from "../../catalog";
import { FailureError, invalid, orThrow, type Result } from "../../failure";
import { MAX_DATASET_BODY_BYTES, MAX_ENTITY_ROWS, MAX_SYNC_ENTITY_OBJECT_BYTES, MAX_TTL_MS, parseEventTime, parseFeatureSubset, parseRecordIdentifier, TTL_UNITS, ttlMs, type EventTime, type FeatureDefinition } from "../../records";
import { describeOfflineStore, tableNameOf } from "../../offline/external";
import { activeFiles } from "../../offline/manifest";
import { decodeParquet } from "../../offline/parquet";
import type { DatasetEntity, DatasetGroup, DatasetOptions } from "../../query/dataset";
import { parseEntities, rowsOfTable, type EntityGroupSpec } from "../../query/entities";
import type { EntitySource } from "../../query/entity-source";
import { cancelJob, getJob, jobView, JOBS_PREFIX, type JobFormat, type JobView } from "../../query/jobs";
import { formatOfName, UPLOAD_NAME, UPLOAD_NAME_RULE, uploadKey } from "./uploads";
import { datasetArrowStream, datasetParquet, datasetTable } from "../../query/encode";
import { checkSqlIdentifier, knowledgeCheckSql, pointInTimeSql, type SqlGroup } from "../../query/sql";
import { describeFeatureGroup } from "../../service";
import { DEFAULT_JSON_LIMITS, type JsonLimits } from "../../formats/json";
import type { AppContext } from "../context";
import { csvObjects, toCsv } from "../../formats";
import { rawJson } from "../render";
import type { GroupsOf } from "../authorize";
import { bodyGroups, membersOf } from "../resources";
import { RouteGroup } from "../route";
import { named, pathParam } from "./schemas/common";
import { dataset, datasetJob, datasetSql } from "./schemas/datasets";

/**
 * POST /v1/datasets: a point-in-time-correct training set from inline entity
 * rows (JSON or CSV). Validated here; joined by the query worker.
 */
export const datasetRoutes = new RouteGroup("/datasets");

/** Entities may arrive as one CSV string as large as the body. */
const DATASET_JSON_LIMITS: JsonLimits = { ...DEFAULT_JSON_LIMITS, maxStringChars: MAX_DATASET_BODY_BYTES };
/** The groups a dataset request joins, read under the same limits as the handler reads the body. */
const datasetGroups = bodyGroups(MAX_DATASET_BODY_BYTES, membersOf("featureGroups", "name"), DATASET_JSON_LIMITS);

const requestSchema = named("DatasetRequest", z.strictObject({
  entities: z.union([
    z.strictObject({ rows: z.array(z.record(z.string(), z.unknown())).min(1).max(MAX_ENTITY_ROWS) }),
    z.strictObject({ csv: z.string().min(1) }),
    z.strictObject({ object: z.string().regex(UPLOAD_NAME, UPLOAD_NAME_RULE), format: z.enum(["csv", "parquet"]).optional() }),
  ], { error: 'must be an object with exactly one of "rows" (an array of objects), "csv" (CSV text) or "object" (the name of an upload)' }),
  timestampColumn: z.string().min(1),
  featureGroups: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        features: z.array(z.string()).optional(),
        entityColumn: z.string().min(1),
        prefix: z.string().max(64).optional(),
        // Bounded like a TTL: a lookback of 10^15 weeks is meaningless and does not fit engines' intervals.
        lookback: z
          .strictObject({ unit: z.enum(TTL_UNITS), value: z.number().int().min(1) })
          .refine((lookback) => ttlMs(lookback) <= MAX_TTL_MS, "must be at most 100 years")
          .optional(),
      }),
    )
    .min(1)
    .max(20),
  eventTimeOnly: z.boolean().default(false),
  includeDeleted: z.boolean().default(false),
  includeDuplicates: z.boolean().default(false),
  mostRecent: z.number().int().min(1).max(100).default(1),
  format: z.enum(["json", "ndjson", "csv", "parquet", "arrow"]).optional(),
  async: z.boolean().default(false),
}));

/** The same request, for SQL: entities may be left out when their columns are named. */
const sqlRequestSchema = named("DatasetSqlRequest", requestSchema.omit({ entities: true, format: true, mostRecent: true, includeDuplicates: true, includeDeleted: true, async: true }).extend({
  entityTable: z.string().min(1).max(128).default("entities"),
  entityColumns: z.array(z.string().min(1)).min(1),
  entityTimestamps: z.enum(["iso", "epoch"]).default("iso"),
}));

/** Output columns must be unique: a prefix that maps a feature onto another column would overwrite it. */
function checkColumnNames(entityColumns: readonly string[], groups: readonly { dataset: DatasetGroup }[], includeDeleted: boolean): void {
  const taken = new Set(entityColumns);
  groups.forEach(({ dataset }, i) => {
    for (const name of [...dataset.features.map((f) => `${dataset.prefix}${f}`), ...(includeDeleted ? [`${dataset.prefix}is_deleted`] : [])]) {
      if (taken.has(name)) orThrow(invalid(`featureGroups[${i}].prefix`, `makes the output column ${name} twice; choose a prefix that keeps columns unique`));
      taken.add(name);
    }
  });
}

async function resolveGroups(c: AppContext, specs: z.infer<typeof requestSchema>["featureGroups"]) {
  const store = c.get("store");
  const groups = [];
  for (const [i, spec] of specs.entries()) {
    const group = orThrow(await describeFeatureGroup(store, spec.name));
    if (!group.offlineStore.enabled) orThrow(invalid(`featureGroups[${i}].name`, `${group.name} has no offline store`));
    const schema = recordSchemaOf(group);
    const features = orThrow(parseFeatureSubset(schema, `featureGroups[${i}].features`, spec.features ?? [])) ?? group.features.map((f) => f.name);
    const dataset: DatasetGroup = {
      featureGroup: group.name,
      generation: group.generation,
      features,
      prefix: spec.prefix ?? `${group.name}__`,
      ...(spec.lookback ? { lookbackMs: ttlMs(spec.lookback) } : {}),
    };
    groups.push({ dataset, schema, group, entityColumn: spec.entityColumn, lookbackSeconds: spec.lookback ? ttlMs(spec.lookback) / 1000 : undefined });
  }
  return groups;
}

const entityGroupSpecs = (groups: Awaited<ReturnType<typeof resolveGroups>>): EntityGroupSpec[] =>
  groups.map((g) => ({
    featureGroup: g.group.name,
    entityColumn: g.entityColumn,
    recordIdentifierFeature: g.group.recordIdentifierFeature,
    eventTimeFeature: g.group.eventTimeFeature,
    features: g.group.features,
  }));

const featureTypesOf = (groups: Awaited<ReturnType<typeof resolveGroups>>) =>
  groups.flatMap((g) => g.group.features.filter((f) => g.dataset.features.includes(f.name)).map((f) => [`${g.dataset.prefix}${f.name}`, f] as [string, FeatureDefinition]));

const tooManyRows = (rows: number) =>
  invalid("entities", `holds ${rows} rows; a synchronous request joins at most ${MAX_ENTITY_ROWS}: send "async": true for a dataset job (docs/time-travel.md)`);

/** Entity rows of a synchronous request: inline, or an uploaded object read whole. */
async function syncEntityRows(c: AppContext, entities: DatasetRequest["entities"]): Promise<Record<string, unknown>[]> {
  if ("rows" in entities) return entities.rows;
  if ("csv" in entities) return orThrow(csvObjects(entities.csv, { field: "entities.csv" }));
  const key = uploadKey(entities.object);
  const object = await c.env.OFFLINE_BUCKET.get(key);
  if (!object) throw new FailureError({ reason: "resource_not_found", kind: "upload", name: entities.object });
  if (object.size > MAX_SYNC_ENTITY_OBJECT_BYTES) {
    await object.body.cancel();
    orThrow(invalid("entities.object", `is ${object.size} bytes; a synchronous request reads at most ${MAX_SYNC_ENTITY_OBJECT_BYTES}: send "async": true for a dataset job`));
  }
  const format = entities.format ?? formatOfName(entities.object);
  if (format === "csv") return orThrow(csvObjects(await object.text(), { field: "entities.object" }));
  try {
    return rowsOfTable(decodeParquet(new Uint8Array(await object.arrayBuffer())));
  } catch (error) {
    return orThrow(invalid("entities.object", `must be a Parquet file (${error instanceof Error ? error.message : "unreadable"})`));
  }
}

type DatasetRequest = z.infer<typeof requestSchema>;

const ASYNC_FORMATS = ["ndjson", "csv", "parquet", "arrow"] as const;

/** Response headers of a synchronous dataset: entity rows with versions excluded only by knowledge time, rows it emptied, and the warning. */
export const KNOWLEDGE_EXCLUDED_HEADER = "x-knowledge-excluded-rows";
export const KNOWLEDGE_EMPTIED_HEADER = "x-knowledge-emptied-rows";
export const DATASET_WARNING_HEADER = "x-dataset-warning";

/** Creates an asynchronous job: inline entities are checked now and staged in R2; an object is checked for existence. */
async function createJob(c: AppContext, req: DatasetRequest, groups: Awaited<ReturnType<typeof resolveGroups>>, options: DatasetOptions): Promise<Response> {
  const format = req.format ?? "ndjson";
  if (format === "json") orThrow(invalid("format", `an asynchronous job writes ${ASYNC_FORMATS.join(", ")}; json is for synchronous requests`));
  const entityGroups = entityGroupSpecs(groups);
  let source: EntitySource;
  if ("object" in req.entities) {
    const key = uploadKey(req.entities.object);
    if (!(await c.env.OFFLINE_BUCKET.head(key))) throw new FailureError({ reason: "resource_not_found", kind: "upload", name: req.entities.object });
    source = { format: req.entities.format ?? formatOfName(req.entities.object), key };
  } else {
    const rows = "rows" in req.entities ? req.entities.rows : orThrow(csvObjects(req.entities.csv, { field: "entities.csv" }));
    checkColumnNames(Object.keys(rows[0] ?? {}), groups, req.includeDeleted);
    orThrow(parseEntities(rows, 0, req.timestampColumn, entityGroups));
    source = { format: "ndjson", key: `${JOBS_PREFIX}/inline/${crypto.randomUUID()}.ndjson` };
    await c.env.OFFLINE_BUCKET.put(source.key, rows.map((r) => `${JSON.stringify(r)}\n`).join(""));
  }
  const job = await c.env.QUERY.createDatasetJob({
    groups: groups.map((g) => g.dataset),
    entityGroups,
    timestampColumn: req.timestampColumn,
    options,
    format: format as JobFormat,
    source,
    featureTypes: featureTypesOf(groups),
  });
  return c.json(renderJob(c, job), 202, { location: `/v1/datasets/jobs/${job.id}` });
}

const TAG = "Datasets";
const exampleDataset = {
  entities: { rows: [{ user_id: "u1", at: "2026-11-25T08:00:00Z" }, { user_id: "u2", at: "2026-11-25T09:30:00Z" }] },
  timestampColumn: "at",
  featureGroups: [{ name: "users", entityColumn: "user_id", features: ["age", "city"] }],
};
const DATASET_FORMATS = ["application/json", "application/x-ndjson", "text/csv", "application/vnd.apache.parquet", "application/vnd.apache.arrow.stream"] as const;

datasetRoutes.add(
  {
    method: "post",
    path: "/",
    operationId: "buildDataset",
    summary: "Build a point-in-time-correct training set (synchronous, or a job with async: true)",
    tag: TAG,
    action: "featurestore:BuildDataset",
    groups: datasetGroups,
    body: { schema: requestSchema, maxBytes: MAX_DATASET_BODY_BYTES, limits: DATASET_JSON_LIMITS },
    responses: [
      {
        status: 200,
        description: "The dataset in the requested format (JSON by default). Headers say what knowledge time excluded.",
        schema: dataset,
        contentTypes: DATASET_FORMATS,
        headers: { [KNOWLEDGE_EXCLUDED_HEADER]: "Entity rows with versions knowledge time excluded.", [KNOWLEDGE_EMPTIED_HEADER]: "Entity rows knowledge time left without features." },
      },
      { status: 202, description: "With async: true, the dataset job; Location names it.", schema: datasetJob, headers: { location: "The job's URL." } },
    ],
    example: { body: exampleDataset },
  },
  async (c, { body: req }) => {
    if ((req.mostRecent > 1 || req.includeDuplicates) && req.featureGroups.length > 1) {
      orThrow(invalid("mostRecent", "more than one version per entity row needs a single feature group"));
    }
    const groups = await resolveGroups(c, req.featureGroups);
    const options: DatasetOptions = { eventTimeOnly: req.eventTimeOnly, includeDeleted: req.includeDeleted, includeDuplicates: req.includeDuplicates, mostRecent: req.mostRecent };
    if (req.async) return createJob(c, req, groups, options);
    const format = req.format ?? "json";
    const rows = await syncEntityRows(c, req.entities);
    if (rows.length === 0) orThrow(invalid("entities", "must hold at least one row"));
    if (rows.length > MAX_ENTITY_ROWS) orThrow(tooManyRows(rows.length));
    const entityColumns = Object.keys(rows[0] ?? {});
    checkColumnNames(entityColumns, groups, req.includeDeleted);
    const entities: DatasetEntity[] = orThrow(parseEntities(rows, 0, req.timestampColumn, entityGroupSpecs(groups)));
    const result = orThrow(await c.env.QUERY.dataset({ groups: groups.map((g) => g.dataset), entities, options }, entityColumns));
    // Every format says what knowledge time excluded in headers; JSON in its body too.
    const knowledge: Record<string, string> = {
      [KNOWLEDGE_EXCLUDED_HEADER]: String(result.knowledgeTime.rowsWithExcludedVersions),
      [KNOWLEDGE_EMPTIED_HEADER]: String(result.knowledgeTime.rowsEmptied),
      ...(result.warnings.length > 0 ? { [DATASET_WARNING_HEADER]: result.warnings.join(" ") } : {}),
    };
    const headers = () => knowledge;
    const typed = () => datasetTable(result.columns, result.rows.map((r) => JSON.parse(r) as Record<string, unknown>), new Map(featureTypesOf(groups)));
    switch (format) {
      case "parquet":
        return new Response(datasetParquet(typed()), { headers: { ...headers(), "content-type": "application/vnd.apache.parquet" } });
      case "arrow":
        return new Response(datasetArrowStream(typed()), { headers: { ...headers(), "content-type": "application/vnd.apache.arrow.stream" } });
      case "csv":
        return c.body(toCsv(result.columns, result.rows.map((r) => JSON.parse(r) as Record<string, unknown>)), 200, { ...knowledge, "content-type": "text/csv; charset=utf-8" });
      case "ndjson":
        return c.body(result.rows.map((r) => `${r}\n`).join(""), 200, { ...knowledge, "content-type": "application/x-ndjson" });
      case "json":
        return rawJson(
          `{"columns":${JSON.stringify(result.columns)},"rows":[${result.rows.join(",")}],"stats":${JSON.stringify(result.stats)},` +
            `"knowledgeTime":${JSON.stringify(result.knowledgeTime)},"warnings":${JSON.stringify(result.warnings)}}`,
          headers(),
        );
    }
  },
);

/** A job as the API shows it: the result's bucket, key and s3:// URI for S3 clients. */
function renderJob(c: AppContext, job: JobView) {
  const bucket = c.env.OFFLINE_BUCKET_NAME ?? "feature-store-offline";
  return { ...job, ...(job.result ? { result: { ...job.result, bucket, uri: `s3://${bucket}/${job.result.key}` } } : {}) };
}

const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function jobOrThrow(c: AppContext, id: string) {
  const row = JOB_ID.test(id) ? await getJob(c.get("store").db, id) : undefined;
  if (!row) throw new FailureError({ reason: "resource_not_found", kind: "dataset job", name: id });
  return jobView(row);
}

/** The feature groups a dataset job joins: reading its progress or result needs each. */
export const datasetJobGroups: GroupsOf = async (c) => {
  const id = c.req.param("id") ?? "";
  const row = JOB_ID.test(id) ? await getJob(c.get("store").db, id) : undefined;
  return row ? (JSON.parse(row.spec) as { groups: { featureGroup: string }[] }).groups.map((g) => g.featureGroup) : [];
};

const jobPath = z.object({ id: pathParam("The dataset job's id.") });
const EXAMPLE_JOB = { id: "3f2b8c1d-6e4a-4f9b-8a7c-5d1e2f3a4b6c" };

datasetRoutes.add(
  {
    method: "get",
    path: "/jobs/:id",
    operationId: "describeDatasetJob",
    summary: "A dataset job's state, progress, and where its result is",
    tag: TAG,
    action: "featurestore:DescribeDatasetJob",
    groups: datasetJobGroups,
    params: jobPath,
    responses: [{ status: 200, description: "The job.", schema: datasetJob }],
    example: { params: EXAMPLE_JOB },
  },
  async (c, { params }) => c.json(renderJob(c, await jobOrThrow(c, params.id))),
);

/** A queued or running job ends as "cancelled", with no result; a finished one is a 409. */
datasetRoutes.add(
  {
    method: "post",
    path: "/jobs/:id/cancel",
    operationId: "cancelDatasetJob",
    summary: "Cancel a queued or running dataset job",
    tag: TAG,
    action: "featurestore:CancelDatasetJob",
    groups: datasetJobGroups,
    params: jobPath,
    responses: [{ status: 200, description: "The cancelled job.", schema: datasetJob }],
    example: { params: EXAMPLE_JOB },
  },
  async (c, { params }) => {
    const id = params.id;
    const outcome = JOB_ID.test(id) ? await cancelJob({ db: c.get("store").db }, id) : undefined;
    if (!outcome) throw new FailureError({ reason: "resource_not_found", kind: "dataset job", name: id });
    if (!outcome.cancelled) throw new FailureError({ reason: "conflict", detail: `dataset job ${id} is ${outcome.job.state}; only a queued or running job can be cancelled` });
    return c.json(renderJob(c, outcome.job));
  },
);

/** The result object, streamed from R2. */
datasetRoutes.add(
  {
    method: "get",
    path: "/jobs/:id/result",
    operationId: "getDatasetJobResult",
    summary: "Download a succeeded dataset job's result",
    tag: TAG,
    action: "featurestore:GetDatasetJobResult",
    groups: datasetJobGroups,
    params: jobPath,
    responses: [{ status: 200, description: "The result object in the job's format.", contentTypes: DATASET_FORMATS.filter((t) => t !== "application/json") }],
    example: { params: EXAMPLE_JOB },
  },
  async (c, { params }) => datasetJobResult(c, params.id),
);

/** A dataset job's result object, streamed from R2 (the API's route and the web catalog's download). */
export async function datasetJobResult(c: AppContext, id: string, headers: Record<string, string> = {}): Promise<Response> {
  const job = await jobOrThrow(c, id);
  if (!job.result) {
    const detail =
      job.state === "failed" ? `dataset job ${job.id} failed: ${job.error ?? "unknown error"}` : job.state === "cancelled" ? `dataset job ${job.id} was cancelled; it has no result` : `dataset job ${job.id} is ${job.state}; its result is ready when it has succeeded`;
    throw new FailureError({ reason: "conflict", detail });
  }
  const object = await c.env.OFFLINE_BUCKET.get(job.result.key);
  if (!object) throw new FailureError({ reason: "resource_not_found", kind: "dataset job result", name: job.id });
  return new Response(object.body, { headers: { "content-type": job.result.contentType, "content-length": String(object.size), etag: object.httpEtag, ...headers } });
}

/** Every name the client chooses that the generated SQL carries as an identifier. */
function checkSqlIdentifiers(req: z.infer<typeof sqlRequestSchema>): void {
  orThrow(checkSqlIdentifier("entityTable", req.entityTable));
  orThrow(checkSqlIdentifier("timestampColumn", req.timestampColumn));
  req.entityColumns.forEach((name, i) => orThrow(checkSqlIdentifier(`entityColumns[${i}]`, name)));
  req.featureGroups.forEach((g, i) => {
    orThrow(checkSqlIdentifier(`featureGroups[${i}].entityColumn`, g.entityColumn));
    // The prefix is glued to feature names (which match NAME_PATTERN), so it alone needs checking.
    if (g.prefix !== undefined && g.prefix !== "") orThrow(checkSqlIdentifier(`featureGroups[${i}].prefix`, g.prefix));
  });
}

/**
 * POST /v1/datasets/sql: the same point-in-time join as SQL for DuckDB (over
 * the manifest's files), Athena/Trino and Spark (over the offline-store
 * tables), for datasets that outgrow one worker.
 */
datasetRoutes.add(
  {
    method: "post",
    path: "/sql",
    operationId: "getDatasetSql",
    summary: "The same point-in-time join as SQL for DuckDB, Athena/Trino and Spark",
    tag: TAG,
    action: "featurestore:GetDatasetSql",
    groups: datasetGroups,
    body: { schema: sqlRequestSchema, maxBytes: MAX_DATASET_BODY_BYTES, limits: DATASET_JSON_LIMITS },
    responses: [{ status: 200, description: "One query per engine, and the knowledge-time checks.", schema: datasetSql }],
    example: { body: { entityColumns: ["user_id", "at"], timestampColumn: "at", featureGroups: [{ name: "users", entityColumn: "user_id" }] } },
  },
  async (c, { body: req }) => {
    checkSqlIdentifiers(req);
    const groups = await resolveGroups(c, req.featureGroups);
    checkColumnNames(req.entityColumns, groups, false);
    const sqlGroups: SqlGroup[] = await Promise.all(
      groups.map(async (g) => ({
        featureGroup: g.group.name,
        recordIdentifierFeature: g.group.recordIdentifierFeature,
        eventTimeFeature: g.group.eventTimeFeature,
        definitions: g.group.features,
        features: g.dataset.features,
        entityColumn: g.entityColumn,
        prefix: g.dataset.prefix,
        ...(g.lookbackSeconds !== undefined ? { lookbackSeconds: g.lookbackSeconds } : {}),
        fileUris: describeOfflineStore(c.env, g.group, await activeFiles(c.get("store").db, g.group.generation)).files.map((f) => f.uri),
        tableName: tableNameOf(g.group.name),
      })),
    );
    const request = { entityTable: req.entityTable, entityColumns: req.entityColumns, timestampColumn: req.timestampColumn, groups: sqlGroups, eventTimeOnly: req.eventTimeOnly };
    const epoch = req.entityTimestamps === "epoch";
    return c.json({
      duckdb: pointInTimeSql("duckdb", request, epoch),
      athena: pointInTimeSql("athena", request, epoch),
      spark: pointInTimeSql("spark", request, epoch),
      knowledgeCheck: { duckdb: knowledgeCheckSql("duckdb", request, epoch), athena: knowledgeCheckSql("athena", request, epoch), spark: knowledgeCheckSql("spark", request, epoch) },
    });
  },
);
