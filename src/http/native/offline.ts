import { desc } from "drizzle-orm";
import { Hono } from "hono";
import { orThrow } from "../../failure";
import { offlineDeadLetters } from "../../offline/schema";
import { isoFromEpochMs } from "../../records";
import type { AppEnv } from "../context";
import { intParam } from "../query";
import { authorize } from "../authorize";

/** Offline-store operations across groups, under /v1/offline. */
export const offlineRoutes = new Hono<AppEnv>();

/** Messages the offline queue gave up on (after its retries), newest first. */
offlineRoutes.get("/dead-letters", authorize("featurestore:ListDeadLetters"), async (c) => {
  const limit = orThrow(intParam(c, "limit", 1, 1000, 100));
  const rows = await c.get("store").db.select().from(offlineDeadLetters).orderBy(desc(offlineDeadLetters.receivedAt)).limit(limit).all();
  return c.json({
    deadLetters: rows.map((r) => ({
      messageId: r.messageId,
      batchId: r.batchId,
      attempts: r.attempts,
      receivedAt: isoFromEpochMs(r.receivedAt),
      body: JSON.parse(r.body) as unknown,
    })),
  });
});
