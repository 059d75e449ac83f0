import { Hono } from "hono";
import { z } from "zod";
import { fromZod, recordSchemaOf } from "../../catalog";
import { FailureError, invalid, orThrow, type Result } from "../../failure";
import { MAX_TTL_MS, parseEventTime, parseFeatureSubset, parseRecordIdentifier, TTL_UNITS, ttlMs, type EventTime } from "../../records";
import { describeOfflineStore, tableNameOf } from "../../offline/external";
import { activeFiles } from "../../offline/manifest";
import type { DatasetEntity, DatasetGroup } from "../../query/dataset";
import { datasetArrowStream, datasetParquet, datasetTable } from "../../query/encode";
import { checkSqlIdentifier, pointInTimeSql, type SqlGroup } from "../../query/sql";
import { describeFeatureGroup } from "../../service";
import { readJsonBody } from "../body";
import { DEFAULT_JSON_LIMITS, type JsonLimits } from "../json";
import type { AppContext, AppEnv } from "../context";
import { parseCsv, toCsv } from "../csv";
import { rawJson } from "../render";
import { authorize } from "../authorize";
import { bodyGroups, membersOf } from "../resources";

/**
 * POST /v1/datasets: a point-in-time-correct training set from inline entity
 * rows (JSON or CSV). Validated here; joined by the query worker.
 */
export const datasetRoutes = new Hono<AppEnv>();

const MAX_DATASET_BODY_BYTES = 16 * 1024 * 1024;
const MAX_ENTITY_ROWS = 100_000;
/** Entities may arrive as one CSV string as large as the body. */
const DATASET_JSON_LIMITS: JsonLimits = { ...DEFAULT_JSON_LIMITS, maxStringChars: MAX_DATASET_BODY_BYTES };
/** The groups a dataset request joins, read under the same limits as the handler reads the body. */
const datasetGroups = bodyGroups(MAX_DATASET_BODY_BYTES, membersOf("featureGroups", "name"), DATASET_JSON_LIMITS);

const requestSchema = z.strictObject({
  entities: z.union([z.strictObject({ rows: z.array(z.record(z.string(), z.json())).min(1).max(MAX_ENTITY_ROWS) }), z.strictObject({ csv: z.string().min(1) })]),
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
  format: z.enum(["json", "ndjson", "csv", "parquet", "arrow"]).default("json"),
});

/** The same request, for SQL: entities may be left out when their columns are named. */
const sqlRequestSchema = requestSchema.omit({ entities: true, format: true, mostRecent: true, includeDuplicates: true, includeDeleted: true }).extend({
  entityTable: z.string().min(1).max(128).default("entities"),
  entityColumns: z.array(z.string().min(1)).min(1),
  entityTimestamps: z.enum(["iso", "epoch"]).default("iso"),
});

const TIMESTAMP_RULE = "must be an ISO-8601 UTC time or epoch seconds";

function entityTime(field: string, raw: unknown): Result<EventTime> {
  const asIso = typeof raw === "string" && /^\d{4}-/.test(raw);
  const parsed = parseEventTime(field, asIso ? "String" : "Fractional", raw);
  return parsed.ok ? parsed : invalid(field, TIMESTAMP_RULE);
}

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

datasetRoutes.post("/", authorize("featurestore:BuildDataset", datasetGroups), async (c) => {
  const req = orThrow(fromZod(requestSchema.safeParse(orThrow(await readJsonBody(c.req.raw, MAX_DATASET_BODY_BYTES, DATASET_JSON_LIMITS))), ""));
  if ((req.mostRecent > 1 || req.includeDuplicates) && req.featureGroups.length > 1) {
    orThrow(invalid("mostRecent", "more than one version per entity row needs a single feature group"));
  }
  const rows = "rows" in req.entities ? req.entities.rows : orThrow(parseCsv(req.entities.csv, "entities.csv"));
  if (rows.length > MAX_ENTITY_ROWS) orThrow(invalid("entities", `must hold at most ${MAX_ENTITY_ROWS} rows`));
  const groups = await resolveGroups(c, req.featureGroups);
  const entityColumns = Object.keys(rows[0] ?? {});
  checkColumnNames(entityColumns, groups, req.includeDeleted);
  const entities: DatasetEntity[] = rows.map((row, n) => {
    const time = orThrow(entityTime(`entities[${n}].${req.timestampColumn}`, row[req.timestampColumn]));
    const recordIdentifiers = groups.map((g) => {
      const field = `entities[${n}].${g.entityColumn}`;
      const raw = row[g.entityColumn];
      if (typeof raw !== "string" && typeof raw !== "number") throw new FailureError({ reason: "invalid_field", field, rule: "must be an identifier (string or integer)" });
      return orThrow(parseRecordIdentifier(g.schema, field, raw));
    });
    return { columns: JSON.stringify(row), recordIdentifiers, eventKey: time.key, timeMs: time.epochMs };
  });
  const result = orThrow(
    await c.env.QUERY.dataset(
      {
        groups: groups.map((g) => g.dataset),
        entities,
        options: { eventTimeOnly: req.eventTimeOnly, includeDeleted: req.includeDeleted, includeDuplicates: req.includeDuplicates, mostRecent: req.mostRecent },
      },
      entityColumns,
    ),
  );
  const typed = () => {
    const featureTypes = new Map(groups.flatMap((g) => g.group.features.filter((f) => g.dataset.features.includes(f.name)).map((f) => [`${g.dataset.prefix}${f.name}`, f] as const)));
    return datasetTable(result.columns, result.rows.map((r) => JSON.parse(r) as Record<string, unknown>), featureTypes);
  };
  switch (req.format) {
    case "parquet":
      return new Response(datasetParquet(typed()), { headers: { "content-type": "application/vnd.apache.parquet" } });
    case "arrow":
      return new Response(datasetArrowStream(typed()), { headers: { "content-type": "application/vnd.apache.arrow.stream" } });
    case "csv":
      return c.body(toCsv(result.columns, result.rows.map((r) => JSON.parse(r) as Record<string, unknown>)), 200, { "content-type": "text/csv; charset=utf-8" });
    case "ndjson":
      return c.body(result.rows.map((r) => `${r}\n`).join(""), 200, { "content-type": "application/x-ndjson" });
    case "json":
      return rawJson(`{"columns":${JSON.stringify(result.columns)},"rows":[${result.rows.join(",")}],"stats":${JSON.stringify(result.stats)}}`);
  }
});


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
datasetRoutes.post("/sql", authorize("featurestore:GetDatasetSql", datasetGroups), async (c) => {
  const req = orThrow(fromZod(sqlRequestSchema.safeParse(orThrow(await readJsonBody(c.req.raw, MAX_DATASET_BODY_BYTES, DATASET_JSON_LIMITS))), ""));
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
  return c.json({ duckdb: pointInTimeSql("duckdb", request, epoch), athena: pointInTimeSql("athena", request, epoch), spark: pointInTimeSql("spark", request, epoch) });
});
