import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * D1 tables of the offline store. docs/storage-layout.md shows an example row
 * of each.
 */

/** The manifest: every Parquet object readers may use. */
export const offlineFiles = sqliteTable(
  "offline_files",
  {
    key: text("key").primaryKey(),
    generation: text("generation").notNull(),
    featureGroup: text("feature_group").notNull(),
    /** Hive partition, "year=2026/month=11/day=25/hour=08". */
    partition: text("partition").notNull(),
    rowCount: integer("row_count").notNull(),
    byteSize: integer("byte_size").notNull(),
    minEventTime: integer("min_event_time").notNull(),
    maxEventTime: integer("max_event_time").notNull(),
    minWriteTime: integer("min_write_time").notNull(),
    maxWriteTime: integer("max_write_time").notNull(),
    schemaVersion: integer("schema_version").notNull(),
    /** active: part of the store; replaced: superseded by compaction, deleted after a grace period. */
    state: text("state").notNull(),
    createdAt: integer("created_at").notNull(),
    replacedAt: integer("replaced_at"),
  },
  (t) => [index("offline_files_by_partition").on(t.generation, t.state, t.partition)],
);

/** Outbox batches already in the manifest: redelivered batches are recognised here. */
export const offlineBatches = sqliteTable("offline_batches", {
  batchId: text("batch_id").primaryKey(),
  /** Rows of the batch; they may span several files (one per partition). */
  rowCount: integer("row_count").notNull(),
  createdAt: integer("created_at").notNull(),
});

/** Messages the queue gave up on, kept for inspection and replay. */
export const offlineDeadLetters = sqliteTable("offline_dead_letters", {
  messageId: text("message_id").primaryKey(),
  batchId: text("batch_id"),
  body: text("body").notNull(),
  attempts: integer("attempts").notNull(),
  receivedAt: integer("received_at").notNull(),
  /** Times a user sent it back to the offline queue, and when last. */
  replays: integer("replays").notNull().default(0),
  replayedAt: integer("replayed_at"),
});
