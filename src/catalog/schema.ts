import { sql } from "drizzle-orm";
import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * D1 catalog tables. docs/storage-layout.md shows an example row of each;
 * migrations/ holds the SQL generated from this file by drizzle-kit.
 */
export const featureGroups = sqliteTable("feature_groups", {
  name: text("name").primaryKey(),
  /** A fresh id per incarnation: Durable Object names and offline keys derive from it. */
  generation: text("generation").notNull().unique(),
  recordIdentifierFeature: text("record_identifier_feature").notNull(),
  eventTimeFeature: text("event_time_feature").notNull(),
  onlineEnabled: integer("online_enabled", { mode: "boolean" }).notNull(),
  onlineTtlUnit: text("online_ttl_unit"),
  onlineTtlValue: integer("online_ttl_value"),
  offlineEnabled: integer("offline_enabled", { mode: "boolean" }).notNull(),
  description: text("description"),
  /** JSON array of {key, value}. */
  tags: text("tags").notNull().default("[]"),
  status: text("status").notNull(),
  shardCount: integer("shard_count").notNull(),
  /**
   * SageMaker settings kept only to describe them back (RoleArn, the offline
   * S3Uri as given, KMS key ids, table format, throughput), as JSON.
   */
  sagemakerSettings: text("sagemaker_settings"),
  /** Bumped whenever something the hot path caches changes (features, TTL). */
  catalogVersion: integer("catalog_version").notNull().default(1),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

export const features = sqliteTable(
  "features",
  {
    generation: text("generation").notNull(),
    name: text("name").notNull(),
    /** Declaration order, kept for describe output and offline column order. */
    ordinal: integer("ordinal").notNull(),
    type: text("type").notNull(),
    collectionType: text("collection_type"),
    vectorDimension: integer("vector_dimension"),
    description: text("description"),
    /** JSON object of parameter key → value. */
    parameters: text("parameters").notNull().default(sql`'{}'`),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.generation, t.name] })],
);

/**
 * Every feature group incarnation ever created: offline rows outlive their group.
 */
export const generations = sqliteTable("generations", {
  generation: text("generation").primaryKey(),
  featureGroup: text("feature_group").notNull(),
  recordIdentifierFeature: text("record_identifier_feature").notNull(),
  eventTimeFeature: text("event_time_feature").notNull(),
  createdAt: integer("created_at").notNull(),
  deletedAt: integer("deleted_at"),
});

export type FeatureGroupRow = typeof featureGroups.$inferSelect;
export type FeatureRow = typeof features.$inferSelect;
