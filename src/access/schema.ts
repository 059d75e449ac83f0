import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * D1 tables of access control. docs/storage-layout.md shows an example row
 * of each. The root credential is not here: it lives in the worker's secrets.
 */

/** Access keys beyond the root. The secret is sealed with the master keyring, bound to the key id. */
export const accessKeys = sqliteTable("access_keys", {
  accessKeyId: text("access_key_id").primaryKey(),
  /** A label for people; not unique. */
  name: text("name").notNull(),
  /** Active or Inactive (AWS IAM's words); an Inactive key authenticates nothing. */
  status: text("status").notNull(),
  /** `seal(secret, "access-key:<id>")`, never the plaintext. */
  sealedSecret: text("sealed_secret").notNull(),
  /** The inline policy document as JSON; null means no policy (everything denied). */
  policy: text("policy"),
  /** Requests per second and bucket size; null takes the worker's default (FS_RATE_LIMIT_RPS / FS_RATE_LIMIT_BURST). */
  rateLimitPerSecond: integer("rate_limit_per_second"),
  rateLimitBurst: integer("rate_limit_burst"),
  /** Epoch ms after which the key stops authenticating (set when a rotation grants an overlap). */
  expiresAt: integer("expires_at"),
  /** The key a rotation replaced this one with. */
  rotatedTo: text("rotated_to"),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/** Control-plane changes, credential changes and denied requests. Never secrets or request bodies. */
export const auditLog = sqliteTable(
  "audit_log",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    at: integer("at").notNull(),
    requestId: text("request_id").notNull(),
    /** Who: the caller's access key id. */
    accessKeyId: text("access_key_id").notNull(),
    /** What: the action name from src/access/actions.ts. */
    action: text("action").notNull(),
    /** Which group, when the action names one. */
    featureGroup: text("feature_group"),
    /** The access key an admin action changed. */
    targetKeyId: text("target_key_id"),
    /** allowed (a change that succeeded), denied (by policy) or failed (a change that was refused). */
    result: text("result").notNull(),
    sourceIp: text("source_ip"),
  },
  (t) => [index("audit_log_by_time").on(t.at), index("audit_log_by_key").on(t.accessKeyId, t.at)],
);
