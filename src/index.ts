import { auditRetentionDays, sweepAudit } from "./access/audit";
import { catalogDb } from "./catalog";
import type { Env } from "./env";
import { app } from "./http/app";
import { compactOffline } from "./offline/compaction";
import { consumeOfflineBatch } from "./offline/consumer";
import { recordDeadLetters } from "./offline/dead-letters";

export { RecordShard } from "./online";
export { RateLimiter } from "./access/rate-limit";

/** The dead-letter queue's name ends so (wrangler.toml). */
const DEAD_LETTER_SUFFIX = "-dlq";

export default {
  fetch: app.fetch,

  async queue(batch, env, _ctx) {
    const db = catalogDb(env.DB);
    if (batch.queue.endsWith(DEAD_LETTER_SUFFIX)) return recordDeadLetters(batch, db, Date.now());
    await consumeOfflineBatch(batch, { db, bucket: env.OFFLINE_BUCKET, location: env, now: Date.now });
  },

  /** Cron: offline compaction, audit-log retention and housekeeping (TTL sweeps run on each shard's own alarm). */
  async scheduled(_controller, env) {
    const report = await compactOffline({ db: catalogDb(env.DB), bucket: env.OFFLINE_BUCKET, location: env, now: Date.now() });
    console.log("offline compaction", { merged: report.merged.length, deletedReplaced: report.deletedReplaced, deletedOrphans: report.deletedOrphans });
    const swept = await sweepAudit(env.DB, auditRetentionDays(env.FS_AUDIT_RETENTION_DAYS), Date.now());
    console.log("audit retention", { deleted: swept });
  },
} satisfies ExportedHandler<Env>;
