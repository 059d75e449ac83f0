import { and, asc, eq, gt, sql } from "drizzle-orm";
import { drizzle, type DrizzleD1Database } from "drizzle-orm/d1";
import { fail, invalid, ok, type Result } from "../failure";
import { COLLECTION_TYPES, FEATURE_TYPES, type CollectionType, type FeatureDefinition, type FeatureType, type TtlUnit } from "../records";
import type { CreateFeatureGroupInput, UpdateFeatureGroupInput, UpdateFeatureMetadataInput } from "./input";
import type { FeatureGroup, FeatureGroupStatus, FeatureMetadata, Tag } from "./model";
import { featureGroups, features, generations, type FeatureGroupRow, type FeatureRow } from "./schema";

/** D1 access for the catalog. Control-plane paths only; the hot path reads through cache.ts. */
export type CatalogDb = DrizzleD1Database & { $client: D1Database };

export const MAX_FEATURE_PARAMETERS = 25;

export function catalogDb(d1: D1Database): CatalogDb {
  return drizzle(d1);
}

export function definitionOf(row: FeatureRow): FeatureDefinition {
  const type = row.type as FeatureType;
  if (!(FEATURE_TYPES as readonly string[]).includes(type)) throw new Error(`catalog holds unknown feature type ${row.type}`);
  const collection = row.collectionType as CollectionType | null;
  if (collection === null) return { name: row.name, type };
  if (!(COLLECTION_TYPES as readonly string[]).includes(collection)) throw new Error(`catalog holds unknown collection ${collection}`);
  return collection === "Vector"
    ? { name: row.name, type, collection: { type: "Vector", dimension: row.vectorDimension ?? 0 } }
    : { name: row.name, type, collection: { type: collection } };
}

function groupOf(row: FeatureGroupRow, featureRows: FeatureRow[]): FeatureGroup {
  const ttl = row.onlineTtlUnit && row.onlineTtlValue ? { unit: row.onlineTtlUnit as TtlUnit, value: row.onlineTtlValue } : undefined;
  return {
    name: row.name,
    generation: row.generation,
    recordIdentifierFeature: row.recordIdentifierFeature,
    eventTimeFeature: row.eventTimeFeature,
    features: [...featureRows].sort((a, b) => a.ordinal - b.ordinal).map(definitionOf),
    onlineStore: { enabled: row.onlineEnabled, ...(ttl ? { ttl } : {}) },
    offlineStore: { enabled: row.offlineEnabled },
    ...(row.description !== null ? { description: row.description } : {}),
    tags: JSON.parse(row.tags) as Tag[],
    status: row.status as FeatureGroupStatus,
    ...(row.sagemakerSettings ? { sagemakerSettings: JSON.parse(row.sagemakerSettings) as Record<string, unknown> } : {}),
    shardCount: row.shardCount,
    catalogVersion: row.catalogVersion,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** A drizzle query as a raw D1 statement, so it can join a batch with raw SQL. */
function statementOf(db: CatalogDb, query: { toSQL(): { sql: string; params: unknown[] } }): D1PreparedStatement {
  const { sql: text, params } = query.toSQL();
  return db.$client.prepare(text).bind(...params);
}

/**
 * Inserts feature rows from one JSON parameter through json_each, so a group
 * of 2,500 features is one statement despite D1's 100-parameter limit.
 */
function insertFeatures(db: CatalogDb, generation: string, defs: readonly FeatureDefinition[], firstOrdinal: number, now: number): D1PreparedStatement {
  const rows = defs.map((f, i) => ({
    name: f.name,
    ordinal: firstOrdinal + i,
    type: f.type,
    collection: f.collection?.type ?? null,
    dimension: f.collection?.type === "Vector" ? f.collection.dimension : null,
  }));
  return db.$client
    .prepare(
      `INSERT INTO features (generation, name, ordinal, type, collection_type, vector_dimension, parameters, created_at, updated_at)
       SELECT ?1, json_extract(value, '$.name'), json_extract(value, '$.ordinal'), json_extract(value, '$.type'),
              json_extract(value, '$.collection'), json_extract(value, '$.dimension'), '{}', ?2, ?2
       FROM json_each(?3)`,
    )
    .bind(generation, now, JSON.stringify(rows));
}

export async function getFeatureGroup(db: CatalogDb, name: string): Promise<FeatureGroup | null> {
  const row = await db.select().from(featureGroups).where(eq(featureGroups.name, name)).get();
  if (!row) return null;
  const featureRows = await db.select().from(features).where(eq(features.generation, row.generation)).all();
  return groupOf(row, featureRows);
}

/** @param extra statements to commit in the same batch (the group's data keys). */
export async function createFeatureGroup(db: CatalogDb, input: CreateFeatureGroupInput, generation: string, now: number, extra: readonly D1PreparedStatement[] = []): Promise<Result<FeatureGroup>> {
  const existing = await db.select({ name: featureGroups.name }).from(featureGroups).where(eq(featureGroups.name, input.name)).get();
  if (existing) return fail({ reason: "feature_group_exists", featureGroup: input.name });
  const row: FeatureGroupRow = {
    name: input.name,
    generation,
    recordIdentifierFeature: input.recordIdentifierFeature,
    eventTimeFeature: input.eventTimeFeature,
    onlineEnabled: input.onlineStore.enabled,
    onlineTtlUnit: input.onlineStore.ttl?.unit ?? null,
    onlineTtlValue: input.onlineStore.ttl?.value ?? null,
    offlineEnabled: input.offlineStore.enabled,
    description: input.description ?? null,
    tags: JSON.stringify(input.tags),
    status: "Created",
    sagemakerSettings: input.sagemakerSettings ? JSON.stringify(input.sagemakerSettings) : null,
    shardCount: input.shardCount,
    catalogVersion: 1,
    createdAt: now,
    updatedAt: now,
  };
  try {
    await db.$client.batch([
      statementOf(db, db.insert(featureGroups).values(row)),
      statementOf(db, db.insert(generations).values({ generation, featureGroup: input.name, recordIdentifierFeature: input.recordIdentifierFeature, eventTimeFeature: input.eventTimeFeature, createdAt: now })),
      insertFeatures(db, generation, input.features, 0, now),
      ...extra,
    ]);
  } catch (error) {
    // Two creates racing past the existence check: the primary key decides.
    if (String(error).includes("UNIQUE constraint failed")) return fail({ reason: "feature_group_exists", featureGroup: input.name });
    throw error;
  }
  const created = await getFeatureGroup(db, input.name);
  if (!created) throw new Error("feature group vanished right after creation");
  return ok(created);
}

export interface ListQuery {
  nameContains?: string;
  /** Only groups with a tag of this key (case-sensitive, as AWS tag keys are)... */
  tagKey?: string;
  /** ...and, when given, this exact value. */
  tagValue?: string;
  limit: number;
  /** Exclusive lower bound on name (from a page token). */
  after?: string;
}

/** Lists groups by name, without their feature definitions. */
export async function listFeatureGroups(db: CatalogDb, query: ListQuery): Promise<{ groups: FeatureGroup[]; last?: string }> {
  const conditions = [
    query.nameContains ? sql`instr(lower(${featureGroups.name}), lower(${query.nameContains})) > 0` : undefined,
    query.after !== undefined ? gt(featureGroups.name, query.after) : undefined,
    query.tagKey !== undefined
      ? sql`EXISTS (SELECT 1 FROM json_each(${featureGroups.tags}) WHERE json_extract(value, '$.key') = ${query.tagKey}${query.tagValue !== undefined ? sql` AND json_extract(value, '$.value') = ${query.tagValue}` : sql``})`
      : undefined,
  ].filter((c) => c !== undefined);
  const rows = await db
    .select()
    .from(featureGroups)
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(asc(featureGroups.name))
    .limit(query.limit + 1)
    .all();
  const page = rows.slice(0, query.limit).map((row) => groupOf(row, []));
  return rows.length > query.limit ? { groups: page, last: page.at(-1)?.name } : { groups: page };
}

export async function updateFeatureGroup(db: CatalogDb, group: FeatureGroup, update: UpdateFeatureGroupInput, now: number): Promise<FeatureGroup> {
  const changes: Partial<FeatureGroupRow> = { updatedAt: now, catalogVersion: group.catalogVersion + 1 };
  if (update.ttl !== undefined) {
    changes.onlineTtlUnit = update.ttl?.unit ?? null;
    changes.onlineTtlValue = update.ttl?.value ?? null;
  }
  if (update.description !== undefined) changes.description = update.description;
  const statements = [
    statementOf(db, db.update(featureGroups).set(changes).where(and(eq(featureGroups.name, group.name), eq(featureGroups.generation, group.generation)))),
  ];
  if (update.addFeatures.length > 0) statements.push(insertFeatures(db, group.generation, update.addFeatures, group.features.length, now));
  await db.$client.batch(statements);
  const updated = await getFeatureGroup(db, group.name);
  if (!updated) throw new Error("feature group vanished during update");
  return updated;
}

export async function setFeatureGroupStatus(db: CatalogDb, group: FeatureGroup, status: FeatureGroupStatus, now: number): Promise<void> {
  await db
    .update(featureGroups)
    .set({ status, updatedAt: now })
    .where(and(eq(featureGroups.name, group.name), eq(featureGroups.generation, group.generation)));
}

/**
 * Removes a group from the catalog. Its generation and feature definitions
 * stay: offline rows of the generation outlive the group and are still
 * written and read with them.
 */
export async function removeFeatureGroup(db: CatalogDb, group: FeatureGroup, now: number): Promise<void> {
  await db.batch([
    db.update(generations).set({ deletedAt: now }).where(eq(generations.generation, group.generation)),
    db.delete(featureGroups).where(and(eq(featureGroups.name, group.name), eq(featureGroups.generation, group.generation))),
  ]);
}

function metadataOf(group: FeatureGroup, row: FeatureRow): FeatureMetadata {
  return {
    featureGroup: group.name,
    feature: definitionOf(row),
    ...(row.description !== null ? { description: row.description } : {}),
    parameters: JSON.parse(row.parameters) as Record<string, string>,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export async function getFeatureMetadata(db: CatalogDb, group: FeatureGroup, feature: string): Promise<Result<FeatureMetadata>> {
  const row = await db
    .select()
    .from(features)
    .where(and(eq(features.generation, group.generation), eq(features.name, feature)))
    .get();
  return row ? ok(metadataOf(group, row)) : fail({ reason: "feature_not_found", featureGroup: group.name, feature });
}

export async function updateFeatureMetadata(
  db: CatalogDb,
  group: FeatureGroup,
  feature: string,
  update: UpdateFeatureMetadataInput,
  now: number,
): Promise<Result<FeatureMetadata>> {
  const current = await getFeatureMetadata(db, group, feature);
  if (!current.ok) return current;
  const parameters = { ...current.value.parameters, ...update.addParameters };
  for (const key of update.removeParameters) delete parameters[key];
  if (Object.keys(parameters).length > MAX_FEATURE_PARAMETERS) {
    return invalid("addParameters", `a feature holds at most ${MAX_FEATURE_PARAMETERS} parameters`);
  }
  await db
    .update(features)
    .set({
      parameters: JSON.stringify(parameters),
      updatedAt: now,
      ...(update.description !== undefined ? { description: update.description } : {}),
    })
    .where(and(eq(features.generation, group.generation), eq(features.name, feature)));
  return getFeatureMetadata(db, group, feature);
}

/** Every group with its definitions, in two queries (control-plane scans such as Search). */
export async function allFeatureGroups(db: CatalogDb): Promise<FeatureGroup[]> {
  const [groupRows, featureRows] = await Promise.all([
    db.select().from(featureGroups).orderBy(asc(featureGroups.name)).all(),
    db.select().from(features).all(),
  ]);
  const byGeneration = new Map<string, FeatureRow[]>();
  for (const row of featureRows) {
    const list = byGeneration.get(row.generation);
    if (list) list.push(row);
    else byGeneration.set(row.generation, [row]);
  }
  return groupRows.map((row) => groupOf(row, byGeneration.get(row.generation) ?? []));
}

/** Metadata of every feature of the given groups, by group name, in one query (the web catalog's search). */
export async function featureMetadataOf(db: CatalogDb, groups: readonly FeatureGroup[]): Promise<Map<string, FeatureMetadata[]>> {
  const byGeneration = new Map(groups.map((g) => [g.generation, g]));
  const out = new Map<string, FeatureMetadata[]>(groups.map((g) => [g.name, []]));
  const rows = (await db.select().from(features).all()).sort((a, b) => a.ordinal - b.ordinal);
  for (const row of rows) {
    const group = byGeneration.get(row.generation);
    if (group) out.get(group.name)!.push(metadataOf(group, row));
  }
  return out;
}

/** Metadata of every feature of a group, in declaration order. */
export async function listFeatureMetadata(db: CatalogDb, group: FeatureGroup): Promise<FeatureMetadata[]> {
  const rows = await db.select().from(features).where(eq(features.generation, group.generation)).all();
  return rows.sort((a, b) => a.ordinal - b.ordinal).map((row) => metadataOf(group, row));
}

/** A group's tags as stored, with the text a compare-and-swap must find unchanged; null when there is no such group. */
export interface StoredTags {
  generation: string;
  tags: Tag[];
  /** The column's text exactly as read. */
  text: string;
}

export async function getFeatureGroupTags(db: CatalogDb, name: string): Promise<StoredTags | null> {
  const row = await db.select({ generation: featureGroups.generation, tags: featureGroups.tags }).from(featureGroups).where(eq(featureGroups.name, name)).get();
  return row ? { generation: row.generation, tags: JSON.parse(row.tags) as Tag[], text: row.tags } : null;
}

/**
 * Replaces a group's tags if the column still holds `stored.text`: a
 * compare-and-swap on the row, so two concurrent tag changes never lose one
 * another's keys (the loser re-reads and reapplies, see service/tags.ts) and
 * the 50-tag limit holds. Tags are not on the hot path, so catalogVersion
 * and updatedAt (LastModifiedTime) stay: tagging does not modify the group's
 * definition. False when the row changed or is gone.
 */
export async function replaceFeatureGroupTags(db: CatalogDb, name: string, stored: StoredTags, next: readonly Tag[]): Promise<boolean> {
  const result = await db
    .update(featureGroups)
    .set({ tags: JSON.stringify(next) })
    .where(and(eq(featureGroups.name, name), eq(featureGroups.generation, stored.generation), eq(featureGroups.tags, stored.text)))
    .run();
  return result.meta.changes === 1;
}
