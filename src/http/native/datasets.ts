import { z } from "zod";
import { FailureError, orThrow } from "../../failure";
import { MAX_DATASET_BODY_BYTES, MAX_ENTITY_ROWS, MAX_TTL_MS, TTL_UNITS, ttlMs } from "../../records";
import {
  cancelJobById,
  datasetArrowStream,
  datasetOptions,
  datasetParquet,
  datasetSql,
  datasetTable,
  featureTypesOf,
  findJob,
  jobFeatureGroups,
  resolveGroups,
  stageJob,
  STALLED_MS,
  syncEntities,
  UPLOAD_NAME,
  UPLOAD_NAME_RULE,
  type JobView,
} from "../../datasets";
import { DEFAULT_JSON_LIMITS, type JsonLimits, toCsv } from "../../formats";
import type { AppContext } from "../context";
import { rawJson } from "../render";
import type { GroupsOf } from "../authorize";
import { bodyGroups, membersOf } from "../resources";
import { RouteGroup } from "../route";
import { named, pathParam } from "./schemas/common";
import { dataset, datasetJob, datasetSql as datasetSqlSchema } from "./schemas/datasets";

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

/** Response headers of a synchronous dataset: entity rows with versions excluded only by knowledge time, rows it emptied, and the warning. */
export const KNOWLEDGE_EXCLUDED_HEADER = "x-knowledge-excluded-rows";
export const KNOWLEDGE_EMPTIED_HEADER = "x-knowledge-emptied-rows";
export const DATASET_WARNING_HEADER = "x-dataset-warning";

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
    const options = datasetOptions(req, req.featureGroups.length);
    const groups = await resolveGroups(c.get("store"), req.featureGroups);
    if (req.async) {
      const job = await c.env.QUERY.createDatasetJob(await stageJob(c.env.OFFLINE_BUCKET, req, groups, options));
      return c.json(renderJob(c, job), 202, { location: `/v1/datasets/jobs/${job.id}` });
    }
    const format = req.format ?? "json";
    const { entities, entityColumns } = await syncEntities(c.env.OFFLINE_BUCKET, req, groups);
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

async function jobOrThrow(c: AppContext, id: string): Promise<JobView> {
  const job = await findJob(c.get("store").db, id);
  if (!job) throw new FailureError({ reason: "resource_not_found", kind: "dataset job", name: id });
  return job;
}

/** The job, after sending its messages again if it stalled (lost them): a client polling a job is what notices. */
async function polledJob(c: AppContext, id: string): Promise<JobView> {
  const job = await jobOrThrow(c, id);
  const unfinished = job.state === "queued" || job.state === "running";
  if (!unfinished || c.get("store").now - Date.parse(job.updatedAt) < STALLED_MS) return job;
  return (await c.env.QUERY.resumeDatasetJob(id)) ? jobOrThrow(c, id) : job;
}

/** The feature groups a dataset job joins: reading its progress or result needs each. */
export const datasetJobGroups: GroupsOf = (c) => jobFeatureGroups(c.get("store").db, c.req.param("id") ?? "");

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
  async (c, { params }) => c.json(renderJob(c, await polledJob(c, params.id))),
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
    const outcome = await cancelJobById({ db: c.get("store").db }, id);
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
    responses: [{ status: 200, description: "One query per engine, and the knowledge-time checks.", schema: datasetSqlSchema }],
    example: { body: { entityColumns: ["user_id", "at"], timestampColumn: "at", featureGroups: [{ name: "users", entityColumn: "user_id" }] } },
  },
  async (c, { body: req }) => c.json(await datasetSql(c.get("store"), c.env, req)),
);
