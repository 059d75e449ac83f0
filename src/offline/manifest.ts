import { and, asc, eq, inArray } from "drizzle-orm";
import { definitionOf, type CatalogDb } from "../catalog";
import { featureGroups, features as featureRows, generations } from "../catalog/schema";
import type { FeatureDefinition } from "../records";
import { offlineBatches, offlineFiles } from "./schema";

/** The offline manifest in D1: which files exist and which outbox batches they hold. */

export interface ManifestFile {
  key: string;
  generation: string;
  featureGroup: string;
  partition: string;
  rowCount: number;
  byteSize: number;
  minEventTime: number;
  maxEventTime: number;
  minWriteTime: number;
  maxWriteTime: number;
  schemaVersion: number;
}

/** D1 allows 100 bound parameters per statement. */
const CHUNK = 90;

export async function registeredBatches(db: CatalogDb, batchIds: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let i = 0; i < batchIds.length; i += CHUNK) {
    const rows = await db.select({ batchId: offlineBatches.batchId }).from(offlineBatches).where(inArray(offlineBatches.batchId, batchIds.slice(i, i + CHUNK))).all();
    for (const row of rows) found.add(row.batchId);
  }
  return found;
}

/** Batch ids already registered, with when they were (epoch ms). */
export async function registeredBatchTimes(db: CatalogDb, batchIds: readonly string[]): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  for (let i = 0; i < batchIds.length; i += CHUNK) {
    const rows = await db.select({ batchId: offlineBatches.batchId, createdAt: offlineBatches.createdAt }).from(offlineBatches).where(inArray(offlineBatches.batchId, batchIds.slice(i, i + CHUNK))).all();
    for (const row of rows) found.set(row.batchId, row.createdAt);
  }
  return found;
}

export interface GenerationSchema {
  featureGroup: string;
  generation: string;
  recordIdentifierFeature: string;
  eventTimeFeature: string;
  features: FeatureDefinition[];
  catalogVersion: number;
}

/** A generation's definitions, also after its group was deleted. */
export async function generationSchema(db: CatalogDb, generation: string): Promise<GenerationSchema | null> {
  const row = await db.select().from(generations).where(eq(generations.generation, generation)).get();
  if (!row) return null;
  const [defs, live] = await Promise.all([
    db.select().from(featureRows).where(eq(featureRows.generation, generation)).orderBy(asc(featureRows.ordinal)).all(),
    db.select({ catalogVersion: featureGroups.catalogVersion }).from(featureGroups).where(eq(featureGroups.generation, generation)).get(),
  ]);
  return {
    featureGroup: row.featureGroup,
    generation,
    recordIdentifierFeature: row.recordIdentifierFeature,
    eventTimeFeature: row.eventTimeFeature,
    features: defs.map(definitionOf),
    catalogVersion: live?.catalogVersion ?? 0,
  };
}

/**
 * Registers new files and the batches they hold in one transaction. A batch
 * registered meanwhile (a concurrent redelivery) makes the whole transaction
 * fail, so a batch is never counted twice.
 */
export async function registerFiles(db: CatalogDb, files: readonly ManifestFile[], batches: readonly { batchId: string; rowCount: number }[], now: number): Promise<void> {
  const statements: D1PreparedStatement[] = [
    db.$client
      .prepare(
        `INSERT INTO offline_files (key, generation, feature_group, partition, row_count, byte_size, min_event_time, max_event_time,
           min_write_time, max_write_time, schema_version, state, created_at)
         SELECT json_extract(value, '$.key'), json_extract(value, '$.generation'), json_extract(value, '$.featureGroup'),
                json_extract(value, '$.partition'), json_extract(value, '$.rowCount'), json_extract(value, '$.byteSize'),
                json_extract(value, '$.minEventTime'), json_extract(value, '$.maxEventTime'), json_extract(value, '$.minWriteTime'),
                json_extract(value, '$.maxWriteTime'), json_extract(value, '$.schemaVersion'), 'active', ?1
         FROM json_each(?2)`,
      )
      .bind(now, JSON.stringify(files)),
    db.$client
      .prepare(
        `INSERT INTO offline_batches (batch_id, row_count, created_at)
         SELECT json_extract(value, '$.batchId'), json_extract(value, '$.rowCount'), ?1 FROM json_each(?2)`,
      )
      .bind(now, JSON.stringify(batches)),
  ];
  await db.$client.batch(statements);
}

/** Active files of a generation, optionally within partitions. */
export async function activeFiles(db: CatalogDb, generation: string): Promise<ManifestFile[]> {
  const rows = await db
    .select()
    .from(offlineFiles)
    .where(and(eq(offlineFiles.generation, generation), eq(offlineFiles.state, "active")))
    .orderBy(asc(offlineFiles.partition), asc(offlineFiles.key))
    .all();
  return rows.map(({ state: _state, createdAt: _created, replacedAt: _replaced, ...file }) => file);
}
