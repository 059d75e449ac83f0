import { z } from "zod";
import { fail, orThrow } from "../../failure";
import { describeOfflineStore, fileRegistrationSchema, listDeadLetters, registerExternalFile, replayDeadLetters, type ReplaySelection } from "../../offline";
import { isoFromEpochMs, MAX_REGISTRATION_BODY_BYTES, MAX_REPLAY_BODY_BYTES } from "../../records";
import { describeFeatureGroup } from "../../service";
import { dataKeyLookup } from "../../crypto";
import { groupParam } from "../resources";
import { RouteGroup } from "../route";
import { groupPath, intQuery, named } from "./schemas/common";
import { offlineFileResponse } from "./schemas/catalog";
import { deadLetterList, replayReport } from "./schemas/offline";

/** Offline-store operations across groups, under /v1/offline. */
export const offlineRoutes = new RouteGroup("/offline");

const TAG = "Offline store";

offlineRoutes.add(
  {
    method: "get",
    path: "/dead-letters",
    operationId: "listDeadLetters",
    summary: "Messages the offline queue gave up on (after its retries), newest first",
    tag: TAG,
    action: "featurestore:ListDeadLetters",
    query: z.object({ limit: intQuery(1, 1000, 100, "Dead letters to list.") }),
    responses: [{ status: 200, description: "The dead letters.", schema: deadLetterList }],
    example: { query: { limit: "10" } },
  },
  async (c, { query }) => {
    const rows = await listDeadLetters(c.get("store").db, query.limit);
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
  },
);

const MAX_REPLAY_IDS = 100;
const MAX_REPLAY_LIMIT = 1000;
const IDS_RULE = `must be a list of 1 to ${MAX_REPLAY_IDS} message ids`;
const LIMIT_RULE = `must be an integer from 1 to ${MAX_REPLAY_LIMIT}`;

/** `{limit}`: up to that many dead letters never replayed; `{messageIds}`: those, replayed again if need be. */
export const replaySelectionSchema = named(
  "ReplayRequest",
  z
    .strictObject(
      {
        messageIds: z
          .array(z.string({ error: "must be a message id of 1 to 256 characters" }).min(1, "must be a message id of 1 to 256 characters").max(256, "must be a message id of 1 to 256 characters"), { error: IDS_RULE })
          .min(1, IDS_RULE)
          .max(MAX_REPLAY_IDS, IDS_RULE)
          .optional()
          .describe("These dead letters, replayed again if need be."),
        limit: z.int({ error: LIMIT_RULE }).min(1, LIMIT_RULE).max(MAX_REPLAY_LIMIT, LIMIT_RULE).optional().describe("Up to this many dead letters never replayed."),
      },
      { error: (issue) => (issue.code === "unrecognized_keys" ? "is not a field of a replay request (messageIds or limit)" : undefined) },
    )
    .superRefine((body, ctx) => {
      if (body.messageIds !== undefined && body.limit !== undefined) ctx.addIssue({ code: "custom", path: ["limit"], message: "cannot be combined with messageIds" });
      if (body.messageIds === undefined && body.limit === undefined) {
        ctx.addIssue({ code: "custom", path: ["messageIds"], message: "or limit is required: the dead letters to replay, or how many never-replayed ones" });
      }
    })
    .transform((body): ReplaySelection => (body.messageIds !== undefined ? { messageIds: [...new Set(body.messageIds)] } : { limit: body.limit ?? 0 })),
);

offlineRoutes.add(
  {
    method: "post",
    path: "/dead-letters/replay",
    operationId: "replayDeadLetters",
    summary: "Send dead letters back to the offline queue (idempotent)",
    tag: TAG,
    action: "featurestore:ReplayDeadLetters",
    body: { schema: replaySelectionSchema, maxBytes: MAX_REPLAY_BODY_BYTES },
    responses: [{ status: 200, description: "What was sent, what was already registered, and what is left.", schema: replayReport }],
    example: { body: { limit: 100 } },
  },
  async (c, { body }) => {
    const store = c.get("store");
    return c.json(await replayDeadLetters({ db: store.db, queue: c.env.OFFLINE_QUEUE, now: store.now }, body));
  },
);

/**
 * POST /v1/feature-groups/{name}/offline-store/files: registers a Parquet
 * file written straight to the offline bucket (the CLI's offline backfill).
 * The same file twice gets the same answer and changes nothing.
 */
export const offlineFileRoutes = new RouteGroup("/");

offlineFileRoutes.add(
  {
    method: "post",
    path: "/feature-groups/:name/offline-store/files",
    operationId: "registerOfflineStoreFile",
    summary: "Register a Parquet file written straight to the offline bucket",
    tag: TAG,
    action: "featurestore:RegisterOfflineStoreFile",
    groups: groupParam,
    params: groupPath,
    body: { schema: named("FileRegistrationRequest", fileRegistrationSchema), maxBytes: MAX_REGISTRATION_BODY_BYTES },
    responses: [{ status: 200, description: "The registered file.", schema: offlineFileResponse }],
    example: {
      params: { name: "users" },
      body: {
        key: "year=2026/month=11/day=25/hour=08/backfill-0001.parquet",
        fileId: "backfill-0001",
        partition: "year=2026/month=11/day=25/hour=08",
        rows: 1000,
        bytes: 52000,
        minEventTime: "2026-11-25T08:00:00Z",
        maxEventTime: "2026-11-25T08:59:59Z",
        minWriteTime: 1795600000000,
        maxWriteTime: 1795600000000,
      },
    },
  },
  async (c, { params, body }) => {
    const store = c.get("store");
    const group = orThrow(await describeFeatureGroup(store, params.name));
    // Registered files are read without a customer key; a group that encrypts its offline store only takes objects it wrote itself (SSE-C).
    if (orThrow(await dataKeyLookup(store.db, c.env)(group.generation)).offline) {
      orThrow(fail({ reason: "conflict", detail: `feature group ${group.name} encrypts its offline store; externally written files cannot be registered (load them with the bulk API or an ingest job, which encrypt them)` }));
    }
    const file = orThrow(await registerExternalFile({ db: store.db, bucket: c.env.OFFLINE_BUCKET, location: c.env, now: store.now }, group, body));
    return c.json({ file: describeOfflineStore(c.env, group, [file]).files[0] });
  },
);
