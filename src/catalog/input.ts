import { z } from "zod";
import { invalid, ok, type Result } from "../failure";
import { fromZod } from "../validation";

export { fromZod };
import {
  COLLECTION_TYPES,
  DEFAULT_SHARD_COUNT,
  FEATURE_TYPES,
  MAX_FEATURE_ADDITIONS_PER_UPDATE,
  MAX_FEATURES_PER_GROUP,
  MAX_SHARD_COUNT,
  MAX_VECTOR_DIMENSION,
  NAME_PATTERN,
  RESERVED_FEATURE_NAMES,
  TTL_UNITS,
  MAX_TTL_MS,
  ttlMs,
  type FeatureDefinition,
  type TtlDuration,
} from "../records";
import type { FeatureGroup } from "./model";
import { tagListSchema } from "./tags";

/**
 * Parsers for catalog requests: shape checks with zod, then the rules that
 * span fields (identifier and event-time features exist and have usable
 * types, names unique, reserved names refused).
 */

const NAME_RULE = "must match ^[a-zA-Z0-9]([_-]*[a-zA-Z0-9]){0,63}$ (1-64 letters, digits, - and _, starting and ending with a letter or digit)";
const name = z.string().regex(NAME_PATTERN, NAME_RULE);

const ttlSchema = z
  .strictObject({
    unit: z.enum(TTL_UNITS),
    value: z.number().int().min(1),
  })
  .refine((ttl) => ttlMs(ttl) <= MAX_TTL_MS, "must be at most 100 years");

const featureSchema = z.strictObject({
  name,
  type: z.enum(FEATURE_TYPES),
  collection: z
    .strictObject({
      type: z.enum(COLLECTION_TYPES),
      dimension: z.number().int().min(1).max(MAX_VECTOR_DIMENSION).optional(),
    })
    .optional(),
});

/** A new feature group, as the native API and the SageMaker bridge send it. */
export const createFeatureGroupSchema = z.strictObject({
  name,
  recordIdentifierFeature: z.string(),
  eventTimeFeature: z.string(),
  features: z.array(featureSchema).min(1).max(MAX_FEATURES_PER_GROUP),
  onlineStore: z.strictObject({ enabled: z.boolean().default(true), ttl: ttlSchema.optional() }).optional(),
  offlineStore: z.strictObject({ enabled: z.boolean().default(false) }).optional(),
  description: z.string().max(128).optional(),
  tags: tagListSchema.optional(),
  shardCount: z.number().int().min(1).max(MAX_SHARD_COUNT).optional(),
  /** Encryption at rest per store (src/crypto); off unless asked for. */
  encryption: z.strictObject({ online: z.boolean().default(false), offline: z.boolean().default(false) }).optional(),
});

export const updateFeatureGroupSchema = z.strictObject({
  addFeatures: z.array(featureSchema).min(1).max(MAX_FEATURE_ADDITIONS_PER_UPDATE).optional(),
  onlineStore: z.strictObject({ ttl: ttlSchema.nullable() }).optional(),
  description: z.string().max(128).optional(),
});

export const updateFeatureMetadataSchema = z.strictObject({
  description: z.string().max(255).optional(),
  addParameters: z.record(z.string().min(1).max(255), z.string().max(255)).optional(),
  removeParameters: z.array(z.string().min(1).max(255)).max(25).optional(),
});

/** A new group: the catalog's fields a client chooses. */
export type CreateFeatureGroupInput = Pick<
  FeatureGroup,
  "name" | "recordIdentifierFeature" | "eventTimeFeature" | "features" | "onlineStore" | "offlineStore" | "description" | "tags" | "shardCount" | "sagemakerSettings"
> & {
  /** Stores to encrypt at rest; kept by src/crypto (data_keys), not in the catalog row. */
  encryption: { online: boolean; offline: boolean };
};

export interface UpdateFeatureGroupInput {
  addFeatures: FeatureDefinition[];
  /** undefined: leave as is; null: remove the group TTL. */
  ttl?: TtlDuration | null;
  description?: string;
}

export interface UpdateFeatureMetadataInput {
  description?: string;
  addParameters: Record<string, string>;
  removeParameters: string[];
}

function toDefinition(raw: z.infer<typeof featureSchema>, field: string): Result<FeatureDefinition> {
  const def: FeatureDefinition = { name: raw.name, type: raw.type };
  if (!raw.collection) return ok(def);
  const { type, dimension } = raw.collection;
  if (type === "Vector") {
    if (dimension === undefined) return invalid(`${field}.collection.dimension`, "is required for a Vector");
    return ok({ ...def, collection: { type, dimension } });
  }
  if (dimension !== undefined) return invalid(`${field}.collection.dimension`, "is allowed only for a Vector");
  return ok({ ...def, collection: { type } });
}

const OBJECT_MEMBERS: object = {};

/**
 * Checks new definitions against the reserved names and against each other
 * and the existing ones. Names compare case-insensitively because Hive,
 * Athena and Spark fold column names to lower case.
 */
function checkDefinitions(raw: z.infer<typeof featureSchema>[], existing: readonly FeatureDefinition[], field: string): Result<FeatureDefinition[]> {
  const taken = new Set(existing.map((f) => f.name.toLowerCase()));
  const out: FeatureDefinition[] = [];
  for (const [i, item] of raw.entries()) {
    const itemField = `${field}[${i}]`;
    const lower = item.name.toLowerCase();
    if ((RESERVED_FEATURE_NAMES as readonly string[]).includes(lower)) {
      return invalid(`${itemField}.name`, `must not be a reserved name (${RESERVED_FEATURE_NAMES.join(", ")})`);
    }
    // Records are plain JavaScript objects keyed by feature name: a feature named like an
    // Object member (constructor, toString, ...) would read as present when it is absent.
    if (item.name in OBJECT_MEMBERS) return invalid(`${itemField}.name`, `must not be the name of a JavaScript object member (${item.name})`);
    if (taken.has(lower)) return invalid(`${itemField}.name`, `must be unique (case-insensitively); ${item.name} already exists`);
    taken.add(lower);
    const def = toDefinition(item, itemField);
    if (!def.ok) return def;
    out.push(def.value);
  }
  return ok(out);
}

export function parseCreateFeatureGroup(body: unknown): Result<CreateFeatureGroupInput> {
  const parsed = fromZod(createFeatureGroupSchema.safeParse(body), "");
  if (!parsed.ok) return parsed;
  const input = parsed.value;
  const defs = checkDefinitions(input.features, [], "features");
  if (!defs.ok) return defs;
  const byName = new Map(defs.value.map((f) => [f.name, f]));

  const id = byName.get(input.recordIdentifierFeature);
  if (!id) return invalid("recordIdentifierFeature", `must name one of the features; ${input.recordIdentifierFeature} is not defined`);
  if (id.collection || id.type === "Fractional") return invalid("recordIdentifierFeature", "must name a String or Integral feature without a collection type");
  const time = byName.get(input.eventTimeFeature);
  if (!time) return invalid("eventTimeFeature", `must name one of the features; ${input.eventTimeFeature} is not defined`);
  if (time.collection || time.type === "Integral") return invalid("eventTimeFeature", "must name a String (ISO-8601) or Fractional (epoch seconds) feature without a collection type");

  const onlineStore = { enabled: input.onlineStore?.enabled ?? true, ...(input.onlineStore?.ttl ? { ttl: input.onlineStore.ttl } : {}) };
  const offlineStore = { enabled: input.offlineStore?.enabled ?? false };
  if (!onlineStore.enabled && !offlineStore.enabled) return invalid("onlineStore.enabled", "at least one of onlineStore and offlineStore must be enabled");
  if (!onlineStore.enabled && onlineStore.ttl) return invalid("onlineStore.ttl", "is allowed only when the online store is enabled");
  const encryption = { online: input.encryption?.online ?? false, offline: input.encryption?.offline ?? false };
  if (encryption.online && !onlineStore.enabled) return invalid("encryption.online", "is allowed only when the online store is enabled");
  if (encryption.offline && !offlineStore.enabled) return invalid("encryption.offline", "is allowed only when the offline store is enabled");

  return ok({
    name: input.name,
    recordIdentifierFeature: input.recordIdentifierFeature,
    eventTimeFeature: input.eventTimeFeature,
    features: defs.value,
    onlineStore,
    offlineStore,
    ...(input.description !== undefined ? { description: input.description } : {}),
    tags: input.tags ?? [],
    shardCount: input.shardCount ?? DEFAULT_SHARD_COUNT,
    encryption,
  });
}

export function parseUpdateFeatureGroup(body: unknown, existing: readonly FeatureDefinition[]): Result<UpdateFeatureGroupInput> {
  const parsed = fromZod(updateFeatureGroupSchema.safeParse(body), "");
  if (!parsed.ok) return parsed;
  const input = parsed.value;
  if (!input.addFeatures && !input.onlineStore && input.description === undefined) {
    return invalid("body", "must change something: addFeatures, onlineStore.ttl or description");
  }
  const added = checkDefinitions(input.addFeatures ?? [], existing, "addFeatures");
  if (!added.ok) return added;
  if (existing.length + added.value.length > MAX_FEATURES_PER_GROUP) {
    return invalid("addFeatures", `would exceed ${MAX_FEATURES_PER_GROUP} features in the group`);
  }
  return ok({
    addFeatures: added.value,
    ...(input.onlineStore ? { ttl: input.onlineStore.ttl } : {}),
    ...(input.description !== undefined ? { description: input.description } : {}),
  });
}

export function parseUpdateFeatureMetadata(body: unknown): Result<UpdateFeatureMetadataInput> {
  const parsed = fromZod(updateFeatureMetadataSchema.safeParse(body), "");
  if (!parsed.ok) return parsed;
  const input = parsed.value;
  if (input.description === undefined && !input.addParameters && !input.removeParameters) {
    return invalid("body", "must change something: description, addParameters or removeParameters");
  }
  return ok({
    ...(input.description !== undefined ? { description: input.description } : {}),
    addParameters: input.addParameters ?? {},
    removeParameters: input.removeParameters ?? [],
  });
}
