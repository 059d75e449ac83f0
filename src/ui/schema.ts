import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * The web catalog's sessions (an example row in docs/storage-layout.md).
 * The id is stored only as its SHA-256: someone who can read this table
 * cannot act as anyone. A session names the access key it acts for, never
 * its secret. Times are epoch milliseconds.
 */
export const uiSessions = sqliteTable(
  "ui_sessions",
  {
    /** Hex SHA-256 of the cookie's random token. */
    idHash: text("id_hash").primaryKey(),
    accessKeyId: text("access_key_id").notNull(),
    /** The synchronizer token every form of this session carries. */
    csrfToken: text("csrf_token").notNull(),
    createdAt: integer("created_at").notNull(),
    /** Last request seen: the idle timeout counts from here. */
    lastSeenAt: integer("last_seen_at").notNull(),
    /** Absolute end, however active the session. */
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [index("ui_sessions_by_expiry").on(t.expiresAt)],
);
