import { Hono } from "hono";
import { fail, invalid, ok, orThrow, type Result } from "../../failure";
import { listDeadLetters, replayDeadLetters, type ReplaySelection } from "../../offline/dead-letters";
import { isoFromEpochMs, MAX_REGISTRATION_BODY_BYTES, MAX_REPLAY_BODY_BYTES } from "../../records";
import type { AppEnv } from "../context";
import { intParam } from "../query";
import { readJsonBody } from "../body";
import { describeFeatureGroup } from "../../service";
import { describeOfflineStore } from "../../offline/external";
import { parseFileRegistration, registerExternalFile } from "../../offline/registration";
import { authorize } from "../authorize";
import { dataKeyLookup } from "../../crypto/offline-objects";
import { groupParam } from "../resources";

/** Offline-store operations across groups, under /v1/offline. */
export const offlineRoutes = new Hono<AppEnv>();

/** Messages the offline queue gave up on (after its retries), newest first. */
offlineRoutes.get("/dead-letters", authorize("featurestore:ListDeadLetters"), async (c) => {
  const limit = orThrow(intParam(c, "limit", 1, 1000, 100));
  const rows = await listDeadLetters(c.get("store").db, limit);
  return c.json({
    deadLetters: rows.map((r) => ({
      messageId: r.messageId,
      batchId: r.batchId,
      attempts: r.attempts,
      receivedAt: isoFromEpochMs(r.receivedAt),
      replays: r.replays,
      replayedAt: r.replayedAt === null ? null : isoFromEpochMs(r.replayedAt),
      body: r.body,
    })),
  });
});

const MAX_REPLAY_IDS = 100;
const MAX_REPLAY_LIMIT = 1000;

/** `{limit}`: up to that many dead letters never replayed; `{messageIds}`: those, replayed again if need be. */
export function parseReplaySelection(raw: unknown): Result<ReplaySelection> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return invalid("body", "must be a JSON object");
  const body = raw as Record<string, unknown>;
  const unknown = Object.keys(body).find((k) => k !== "messageIds" && k !== "limit");
  if (unknown !== undefined) return invalid(unknown, "is not a field of a replay request (messageIds or limit)");
  if (body.messageIds !== undefined) {
    if (body.limit !== undefined) return invalid("limit", "cannot be combined with messageIds");
    const ids = body.messageIds;
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_REPLAY_IDS) return invalid("messageIds", `must be a list of 1 to ${MAX_REPLAY_IDS} message ids`);
    const bad = ids.findIndex((id) => typeof id !== "string" || id.length === 0 || id.length > 256);
    if (bad >= 0) return invalid(`messageIds[${bad}]`, "must be a message id of 1 to 256 characters");
    return ok({ messageIds: [...new Set(ids as string[])] });
  }
  if (body.limit === undefined) return invalid("messageIds", "or limit is required: the dead letters to replay, or how many never-replayed ones");
  const limit = body.limit;
  if (typeof limit !== "number" || !Number.isSafeInteger(limit) || limit < 1 || limit > MAX_REPLAY_LIMIT) return invalid("limit", `must be an integer from 1 to ${MAX_REPLAY_LIMIT}`);
  return ok({ limit });
}

/** Sends dead letters back to the offline queue; idempotent (docs/api.md). */
offlineRoutes.post("/dead-letters/replay", authorize("featurestore:ReplayDeadLetters"), async (c) => {
  const store = c.get("store");
  const selection = orThrow(parseReplaySelection(orThrow(await readJsonBody(c.req.raw, MAX_REPLAY_BODY_BYTES))));
  return c.json(await replayDeadLetters({ db: store.db, queue: c.env.OFFLINE_QUEUE, now: store.now }, selection));
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
