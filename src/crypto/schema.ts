import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * D1 tables of encryption at rest. docs/storage-layout.md shows an example
 * row; docs/security-encryption.md the procedures around them.
 */

/**
 * Per-group data keys, wrapped (sealed) by the master keyring. A group is
 * encrypted in a store exactly when it has a row for that store; the row with
 * the highest version is the active key. Rows outlive the group: offline data
 * and outbox rows still in flight stay readable after the group is deleted.
 */
export const dataKeys = sqliteTable(
  "data_keys",
  {
    generation: text("generation").notNull(),
    /** "online" (records and outbox rows in the shards) or "offline" (SSE-C key of the Parquet objects). */
    store: text("store").notNull(),
    /** 1, 2, … per (generation, store); stored with every value it encrypted. */
    version: integer("version").notNull(),
    /** The 32-byte key sealed by the master keyring (`fsk1.<master key id>.…`), bound to generation, store and version. */
    wrapped: text("wrapped").notNull(),
    createdAt: integer("created_at").notNull(),
    /** When it was last sealed under a (new) master key. */
    wrappedAt: integer("wrapped_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.generation, t.store, t.version] })],
);

export type DataKeyRow = typeof dataKeys.$inferSelect;
