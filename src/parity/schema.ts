import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * The D1 table of parity audit results (an example row in
 * docs/storage-layout.md). An audit is one run of a
 * parity-audit job (src/jobs): it shares the run's id, and its status,
 * end time and error are the run's. Times are epoch milliseconds.
 */
export const parityAudits = sqliteTable(
  "parity_audits",
  {
    /** The job run's id. */
    id: text("id").primaryKey(),
    jobId: text("job_id").notNull(),
    featureGroup: text("feature_group").notNull(),
    /** The group incarnation audited: a re-created group ends the audit. */
    generation: text("generation").notNull(),
    /** Examples kept per kind of difference. */
    maxExamples: integer("max_examples").notNull(),
    /** The last identifier compared (identifier order); null before the first page. */
    cursor: text("cursor"),
    pages: integer("pages").notNull().default(0),
    identifiers: integer("identifiers").notNull().default(0),
    matching: integer("matching").notNull().default(0),
    differing: integer("differing").notNull().default(0),
    onlineOnly: integer("online_only").notNull().default(0),
    offlineOnly: integer("offline_only").notNull().default(0),
    pending: integer("pending").notNull().default(0),
    /** JSON array of examples (src/parity/model.ts ParityExample). */
    examples: text("examples").notNull().default("[]"),
    startedAt: integer("started_at").notNull(),
  },
  (t) => [index("parity_audits_by_group").on(t.featureGroup, t.startedAt)],
);

export type ParityAuditRow = typeof parityAudits.$inferSelect;
