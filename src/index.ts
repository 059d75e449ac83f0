import { auditRetentionDays, sweepAudit } from "./access";
import { catalogDb } from "./catalog";
import type { Env } from "./env";
import { app } from "./http/app";
import { dataKeyLookup } from "./crypto";
import { compactOffline, consumeOfflineBatch, recordDeadLetters } from "./offline";
import { JOBS_CRON, runJobsTick } from "./jobs";

export { RecordShard } from "./online";
export { RateLimiter } from "./access/rate-limit";
/** The Workers RPC binding other Workers call (docs/api.md#workers-rpc-binding). */
export { FeatureStore } from "./rpc/entrypoint";

/** The dead-letter queue's name ends so (wrangler.toml). */
const DEAD_LETTER_SUFFIX = "-dlq";

export default {
  fetch: app.fetch,

  async queue(batch, env, _ctx) {
    const db = catalogDb(env.DB);
    if (batch.queue.endsWith(DEAD_LETTER_SUFFIX)) return recordDeadLetters(batch, db, Date.now());
    await consumeOfflineBatch(batch, { db, bucket: env.OFFLINE_BUCKET, location: env, now: Date.now, keys: dataKeyLookup(db, env) });
  },

  /**
   * Cron: scheduled jobs and stalled dataset jobs every minute (JOBS_CRON); offline compaction and
   * housekeeping and audit-log retention on the other trigger (TTL sweeps run on each shard's own alarm).
   * Each logs what it did, and nothing when it found nothing to do: an idle
   * store (or `npm start`, which fires these locally) stays quiet.
   */
  async scheduled(controller, env) {
    if (controller.cron === JOBS_CRON) {
      const report = await runJobsTick(env, controller.scheduledTime);
      if (report.continued + report.started > 0) console.log("scheduled jobs", report);
      // Dataset jobs whose queue messages were lost (a local queue is memory only) go on without anyone polling them.
      const resumed = await env.QUERY.resumeStalledDatasetJobs();
      if (resumed > 0) console.log("dataset jobs resumed", { resumed });
      return;
    }
    const db = catalogDb(env.DB);
    const report = await compactOffline({ db, bucket: env.OFFLINE_BUCKET, location: env, now: Date.now(), keys: dataKeyLookup(db, env) });
    const compacted = { merged: report.merged.length, deletedReplaced: report.deletedReplaced, deletedOrphans: report.deletedOrphans };
    if (compacted.merged + compacted.deletedReplaced + compacted.deletedOrphans > 0) console.log("offline compaction", compacted);
    const swept = await sweepAudit(env.DB, auditRetentionDays(env.FS_AUDIT_RETENTION_DAYS), Date.now());
    if (swept > 0) console.log("audit retention", { deleted: swept });
  },
} satisfies ExportedHandler<Env>;
