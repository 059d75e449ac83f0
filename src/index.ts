import { catalogDb } from "./catalog";
import type { Env } from "./env";
import { app } from "./http/app";
import { consumeOfflineBatch } from "./offline/consumer";
import { recordDeadLetters } from "./offline/dead-letters";

export { RecordShard } from "./online";

/** The dead-letter queue's name ends so (wrangler.toml). */
const DEAD_LETTER_SUFFIX = "-dlq";

export default {
  fetch: app.fetch,

  async queue(batch, env) {
    const db = catalogDb(env.DB);
    if (batch.queue.endsWith(DEAD_LETTER_SUFFIX)) return recordDeadLetters(batch, db, Date.now());
    await consumeOfflineBatch(batch, { db, bucket: env.OFFLINE_BUCKET, location: env, now: Date.now });
  },
} satisfies ExportedHandler<Env>;
