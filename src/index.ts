import { catalogDb } from "./catalog";
import type { Env } from "./env";
import { app } from "./http/app";
import { dataKeyLookup } from "./crypto/offline-objects";
import { compactOffline } from "./offline/compaction";
import { consumeOfflineBatch } from "./offline/consumer";
import { recordDeadLetters } from "./offline/dead-letters";

export { RecordShard } from "./online";

/** The dead-letter queue's name ends so (wrangler.toml). */
const DEAD_LETTER_SUFFIX = "-dlq";

export default {
  fetch: app.fetch,

  async queue(batch, env, _ctx) {
    const db = catalogDb(env.DB);
    if (batch.queue.endsWith(DEAD_LETTER_SUFFIX)) return recordDeadLetters(batch, db, Date.now());
    await consumeOfflineBatch(batch, { db, bucket: env.OFFLINE_BUCKET, location: env, now: Date.now, keys: dataKeyLookup(db, env) });
  },

  /** Cron: offline compaction and housekeeping (TTL sweeps run on each shard's own alarm). */
  async scheduled(_controller, env) {
    const db = catalogDb(env.DB);
    const report = await compactOffline({ db, bucket: env.OFFLINE_BUCKET, location: env, now: Date.now(), keys: dataKeyLookup(db, env) });
    console.log("offline compaction", { merged: report.merged.length, deletedReplaced: report.deletedReplaced, deletedOrphans: report.deletedOrphans });
  },
} satisfies ExportedHandler<Env>;
