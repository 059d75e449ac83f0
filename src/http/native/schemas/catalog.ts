import { z } from "zod";
import { COLLECTION_TYPES, FEATURE_TYPES, TTL_UNITS } from "../../../records";
import { named, timestamp } from "./common";

/** Answers of the feature group routes (views.ts renders them). */

export const tag = named("Tag", z.object({ key: z.string(), value: z.string() }));

const ttl = z.object({ unit: z.enum(TTL_UNITS), value: z.number().int() });

export const featureDefinition = named(
  "FeatureDefinition",
  z.object({ name: z.string(), type: z.enum(FEATURE_TYPES), collection: z.object({ type: z.enum(COLLECTION_TYPES), dimension: z.number().int().optional() }).optional() }),
);

const storeEncryption = z.object({ enabled: z.boolean(), activeKeyVersion: z.number().int().optional() });

export const featureGroup = named(
  "FeatureGroup",
  z.object({
    name: z.string(),
    arn: z.string(),
    generation: z.string().describe("Changes when a group of the same name is recreated."),
    recordIdentifierFeature: z.string(),
    eventTimeFeature: z.string(),
    features: z.array(featureDefinition),
    onlineStore: z.object({ enabled: z.boolean(), ttl: ttl.optional() }),
    offlineStore: z.object({ enabled: z.boolean() }),
    description: z.string().optional(),
    tags: z.array(tag),
    status: z.enum(["Created", "Deleting", "DeleteFailed"]),
    shardCount: z.number().int(),
    createdAt: timestamp,
    updatedAt: timestamp,
    encryption: z.object({ online: storeEncryption, offline: storeEncryption }),
  }),
);

export const featureGroupList = named(
  "FeatureGroupList",
  z.object({
    featureGroups: z.array(
      z.object({
        name: z.string(),
        arn: z.string(),
        status: z.enum(["Created", "Deleting", "DeleteFailed"]),
        onlineStore: z.object({ enabled: z.boolean() }),
        offlineStore: z.object({ enabled: z.boolean() }),
        createdAt: timestamp,
      }),
    ),
    nextToken: z.string().optional(),
  }),
);

export const featureMetadata = named(
  "FeatureMetadata",
  z.object({ featureGroup: z.string(), feature: z.string(), description: z.string().optional(), parameters: z.record(z.string(), z.string()), createdAt: timestamp, updatedAt: timestamp }),
);

export const tagsResponse = named("TagsResponse", z.object({ featureGroup: z.string(), tags: z.array(tag) }));

const offlineFile = z.object({
  key: z.string(),
  uri: z.string(),
  partition: z.string(),
  rowCount: z.number().int(),
  byteSize: z.number().int(),
  minEventTime: timestamp,
  maxEventTime: timestamp,
  minWriteTime: timestamp,
  maxWriteTime: timestamp,
  schemaVersion: z.number().int(),
});

export const offlineFileResponse = named("OfflineFileResponse", z.object({ file: offlineFile }));

const nullableTime = timestamp.nullable();

/** The shards' outboxes summed: acknowledged rows not yet confirmed in a registered offline file. */
const outboxView = z.object({
  rows: z.number().int(),
  sealedBatches: z.number().int(),
  sentBatches: z.number().int(),
  resentBatches: z.number().int(),
  maxAttempts: z.number().int(),
  maxSends: z.number().int(),
  oldestAt: nullableTime,
  oldestSentAt: nullableTime,
});

export const offlineStoreDescription = named(
  "OfflineStoreDescription",
  z.object({
    featureGroup: z.string(),
    generation: z.string(),
    location: z.string(),
    bucket: z.string(),
    prefix: z.string(),
    files: z.array(offlineFile),
    stats: z.object({ files: z.number().int(), rows: z.number().int(), bytes: z.number().int(), partitions: z.number().int(), minEventTime: timestamp.optional(), maxEventTime: timestamp.optional() }),
    columns: z.array(z.object({ name: z.string(), hiveType: z.string() })),
    sql: z.object({ duckdb: z.string(), athena: z.string(), spark: z.string() }),
    encryption: z.record(z.string(), z.unknown()).optional().describe("How to read SSE-C encrypted objects, when the offline store is encrypted."),
    pending: outboxView.describe("Rows acknowledged but not yet in a registered file."),
  }),
);

export const groupFreshnessView = named(
  "GroupFreshness",
  z.object({
    featureGroup: z.string(),
    online: z.object({ lastWriteAt: timestamp.nullable().describe("The newest write any shard applied; null when none since the shards began keeping it.") }),
    offline: z
      .object({
        lastFileWriteAt: timestamp.nullable().describe("The newest write_time (when a row was written to the offline store) in a registered offline file; null before the first file."),
        pending: outboxView.describe("Acknowledged rows not yet in a registered file."),
        lagMs: z.number().int().describe("How long the oldest pending row has waited: how far the offline store trails the online one (0 when none wait)."),
      })
      .optional()
      .describe("Absent when the group has no offline store."),
  }),
);
