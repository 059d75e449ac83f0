import { desc } from "drizzle-orm";
import { Hono } from "hono";
import { fail, orThrow } from "../../failure";
import { offlineDeadLetters } from "../../offline/schema";
import { isoFromEpochMs } from "../../records";
import type { AppEnv } from "../context";
import { intParam } from "../query";
import { readJsonBody } from "../body";
import { describeFeatureGroup } from "../../service";
import { describeOfflineStore } from "../../offline/external";
import { parseFileRegistration, registerExternalFile } from "../../offline/registration";

const MAX_REGISTRATION_BODY_BYTES = 16 * 1024;
import { authorize } from "../authorize";
import { dataKeyLookup } from "../../crypto/offline-objects";
import { groupParam } from "../resources";

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

/**
 * POST /v1/feature-groups/{name}/offline-store/files: registers a Parquet
 * file written straight to the offline bucket (the CLI's offline backfill).
 * The same file twice gets the same answer and changes nothing.
 */
export const offlineFileRoutes = new Hono<AppEnv>();

offlineFileRoutes.post("/feature-groups/:name/offline-store/files", authorize("featurestore:RegisterOfflineStoreFile", groupParam), async (c) => {
  const store = c.get("store");
  const registration = orThrow(parseFileRegistration(orThrow(await readJsonBody(c.req.raw, MAX_REGISTRATION_BODY_BYTES))));
  const group = orThrow(await describeFeatureGroup(store, c.req.param("name")));
  // Registered files are read without a customer key; a group that encrypts its offline store only takes objects it wrote itself (SSE-C).
  if (orThrow(await dataKeyLookup(store.db, c.env)(group.generation)).offline) {
    orThrow(fail({ reason: "conflict", detail: `feature group ${group.name} encrypts its offline store; externally written files cannot be registered (load them with the bulk API or an ingest job, which encrypt them)` }));
  }
  const file = orThrow(await registerExternalFile({ db: store.db, bucket: c.env.OFFLINE_BUCKET, location: c.env, now: store.now }, group, registration));
  return c.json({ file: describeOfflineStore(c.env, group, [file]).files[0] });
});
