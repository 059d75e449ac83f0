import { recordSchemaOf, type FeatureGroup } from "../catalog";
import { FailureError, invalid, orThrow } from "../failure";
import { csvObjects } from "../formats";
import { activeFiles } from "../offline/manifest";
import { describeOfflineStore, tableNameOf } from "../offline/external";
import type { OfflineLocationConfig } from "../offline/layout";
import { decodeParquet } from "../offline/parquet";
import { MAX_ENTITY_ROWS, MAX_SYNC_ENTITY_OBJECT_BYTES, parseFeatureSubset, ttlMs, type FeatureDefinition, type RecordSchema, type TtlDuration } from "../records";
import { describeFeatureGroup, type StoreContext } from "../service";
import type { DatasetEntity, DatasetGroup, DatasetOptions } from "./dataset";
import { JOBS_PREFIX, type JobFormat, type JobSpec } from "./dataset-jobs";
import { parseEntities, requestRow, rowsOfTable, type EntityGroupSpec } from "./entities";
import type { EntitySource } from "./entity-source";
import { checkSqlIdentifier, knowledgeCheckSql, pointInTimeSql, type SqlGroup } from "./sql";
import { formatOfName, uploadKey } from "./uploads";

/**
 * Dataset requests as every transport hands them over (already shaped by
 * its schema): the groups resolved against the catalog, entity rows read
 * and checked, a job's spec staged, SQL generated. Faults throw a
 * FailureError naming the request field, as entity parsing does.
 */

/** One group of a dataset request. */
export interface GroupRequest {
  name: string;
  features?: string[] | undefined;
  entityColumn: string;
  prefix?: string | undefined;
  lookback?: TtlDuration | undefined;
}

/** Where the entity rows are: inline rows, inline CSV, or an upload. */
export type EntitiesRequest = { rows: Record<string, unknown>[] } | { csv: string } | { object: string; format?: "csv" | "parquet" | undefined };

export interface DatasetFlags {
  eventTimeOnly: boolean;
  includeDeleted: boolean;
  includeDuplicates: boolean;
  mostRecent: number;
}

export interface ResolvedGroup {
  dataset: DatasetGroup;
  schema: RecordSchema;
  group: FeatureGroup;
  entityColumn: string;
  lookbackSeconds: number | undefined;
}

/** The join options, refusing more than one version per entity row across several groups. */
export function datasetOptions(flags: DatasetFlags, groupCount: number): DatasetOptions {
  if ((flags.mostRecent > 1 || flags.includeDuplicates) && groupCount > 1) {
    orThrow(invalid("mostRecent", "more than one version per entity row needs a single feature group"));
  }
  return { eventTimeOnly: flags.eventTimeOnly, includeDeleted: flags.includeDeleted, includeDuplicates: flags.includeDuplicates, mostRecent: flags.mostRecent };
}

/** Each requested group from the catalog; it must have an offline store, and its feature subset must exist. */
export async function resolveGroups(store: StoreContext, specs: readonly GroupRequest[]): Promise<ResolvedGroup[]> {
  const groups: ResolvedGroup[] = [];
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

/** Output columns must be unique: a prefix that maps a feature onto another column would overwrite it. */
export function checkColumnNames(entityColumns: readonly string[], groups: readonly ResolvedGroup[], includeDeleted: boolean): void {
  const taken = new Set(entityColumns);
  groups.forEach(({ dataset }, i) => {
    for (const name of [...dataset.features.map((f) => `${dataset.prefix}${f}`), ...(includeDeleted ? [`${dataset.prefix}is_deleted`] : [])]) {
      if (taken.has(name)) orThrow(invalid(`featureGroups[${i}].prefix`, `makes the output column ${name} twice; choose a prefix that keeps columns unique`));
      taken.add(name);
    }
  });
}

export const entityGroupSpecs = (groups: readonly ResolvedGroup[]): EntityGroupSpec[] =>
  groups.map((g) => ({
    featureGroup: g.group.name,
    entityColumn: g.entityColumn,
    recordIdentifierFeature: g.group.recordIdentifierFeature,
    eventTimeFeature: g.group.eventTimeFeature,
    features: g.group.features,
  }));

/** Declared types of the feature output columns: [column, definition]. */
export const featureTypesOf = (groups: readonly ResolvedGroup[]): [string, FeatureDefinition][] =>
  groups.flatMap((g) => g.group.features.filter((f) => g.dataset.features.includes(f.name)).map((f) => [`${g.dataset.prefix}${f.name}`, f] as [string, FeatureDefinition]));

/** Entity rows of a synchronous request: inline, or an uploaded object read whole. */
async function syncEntityRows(bucket: R2Bucket, entities: EntitiesRequest): Promise<Record<string, unknown>[]> {
  if ("rows" in entities) return entities.rows;
  if ("csv" in entities) return orThrow(csvObjects(entities.csv, { field: "entities.csv" }));
  const object = await bucket.get(uploadKey(entities.object));
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

/** The entity rows of a synchronous request, read, bounded and checked against the groups. */
export async function syncEntities(
  bucket: R2Bucket,
  request: { entities: EntitiesRequest; timestampColumn: string; includeDeleted: boolean },
  groups: readonly ResolvedGroup[],
): Promise<{ entities: DatasetEntity[]; entityColumns: string[] }> {
  const rows = await syncEntityRows(bucket, request.entities);
  if (rows.length === 0) orThrow(invalid("entities", "must hold at least one row"));
  if (rows.length > MAX_ENTITY_ROWS) {
    orThrow(invalid("entities", `holds ${rows.length} rows; a synchronous request joins at most ${MAX_ENTITY_ROWS}: send "async": true for a dataset job (docs/time-travel.md)`));
  }
  const entityColumns = Object.keys(rows[0] ?? {});
  checkColumnNames(entityColumns, groups, request.includeDeleted);
  return { entities: orThrow(parseEntities(rows, requestRow, request.timestampColumn, entityGroupSpecs(groups))), entityColumns };
}

export const ASYNC_FORMATS = ["ndjson", "csv", "parquet", "arrow"] as const;

/**
 * The spec of an asynchronous job: inline entities are checked now and
 * staged in R2 (the job reads them in chunks like an upload); an upload is
 * checked for existence, its rows when the job reads them.
 */
export async function stageJob(
  bucket: R2Bucket,
  request: { entities: EntitiesRequest; timestampColumn: string; includeDeleted: boolean; format?: JobFormat | "json" | undefined },
  groups: readonly ResolvedGroup[],
  options: DatasetOptions,
): Promise<JobSpec> {
  const format = request.format ?? "ndjson";
  if (format === "json") orThrow(invalid("format", `an asynchronous job writes ${ASYNC_FORMATS.join(", ")}; json is for synchronous requests`));
  const entityGroups = entityGroupSpecs(groups);
  let source: EntitySource;
  if ("object" in request.entities) {
    const key = uploadKey(request.entities.object);
    if (!(await bucket.head(key))) throw new FailureError({ reason: "resource_not_found", kind: "upload", name: request.entities.object });
    source = { format: request.entities.format ?? formatOfName(request.entities.object), key };
  } else {
    const rows = "rows" in request.entities ? request.entities.rows : orThrow(csvObjects(request.entities.csv, { field: "entities.csv" }));
    checkColumnNames(Object.keys(rows[0] ?? {}), groups, request.includeDeleted);
    orThrow(parseEntities(rows, requestRow, request.timestampColumn, entityGroups));
    source = { format: "ndjson", key: `${JOBS_PREFIX}/inline/${crypto.randomUUID()}.ndjson` };
    await bucket.put(source.key, rows.map((r) => `${JSON.stringify(r)}\n`).join(""));
  }
  return {
    groups: groups.map((g) => g.dataset),
    entityGroups,
    timestampColumn: request.timestampColumn,
    options,
    format: format as JobFormat,
    source,
    featureTypes: featureTypesOf(groups),
  };
}

export interface SqlRequest {
  entityTable: string;
  entityColumns: string[];
  entityTimestamps: "iso" | "epoch";
  timestampColumn: string;
  eventTimeOnly: boolean;
  featureGroups: GroupRequest[];
}

/** Every name the client chooses that the generated SQL carries as an identifier. */
function checkSqlIdentifiers(req: SqlRequest): void {
  orThrow(checkSqlIdentifier("entityTable", req.entityTable));
  orThrow(checkSqlIdentifier("timestampColumn", req.timestampColumn));
  req.entityColumns.forEach((name, i) => orThrow(checkSqlIdentifier(`entityColumns[${i}]`, name)));
  req.featureGroups.forEach((g, i) => {
    orThrow(checkSqlIdentifier(`featureGroups[${i}].entityColumn`, g.entityColumn));
    // The prefix is glued to feature names (which match NAME_PATTERN), so it alone needs checking.
    if (g.prefix !== undefined && g.prefix !== "") orThrow(checkSqlIdentifier(`featureGroups[${i}].prefix`, g.prefix));
  });
}

type Engine = "duckdb" | "athena" | "spark";

/** The same point-in-time join as SQL per engine (DuckDB over the manifest's files, Athena/Trino and Spark over the tables), with the knowledge-time checks. */
export async function datasetSql(
  store: StoreContext,
  location: OfflineLocationConfig,
  req: SqlRequest,
): Promise<Record<Engine, string> & { knowledgeCheck: Record<Engine, string> }> {
  checkSqlIdentifiers(req);
  const groups = await resolveGroups(store, req.featureGroups);
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
      fileUris: describeOfflineStore(location, g.group, await activeFiles(store.db, g.group.generation)).files.map((f) => f.uri),
      tableName: tableNameOf(g.group.name),
    })),
  );
  const request = { entityTable: req.entityTable, entityColumns: req.entityColumns, timestampColumn: req.timestampColumn, groups: sqlGroups, eventTimeOnly: req.eventTimeOnly };
  const epoch = req.entityTimestamps === "epoch";
  return {
    duckdb: pointInTimeSql("duckdb", request, epoch),
    athena: pointInTimeSql("athena", request, epoch),
    spark: pointInTimeSql("spark", request, epoch),
    knowledgeCheck: { duckdb: knowledgeCheckSql("duckdb", request, epoch), athena: knowledgeCheckSql("athena", request, epoch), spark: knowledgeCheckSql("spark", request, epoch) },
  };
}
