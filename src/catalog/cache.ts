import type { RecordSchema } from "../records";
import { recordSchemaOf, type FeatureGroup } from "./model";
import { getFeatureGroup, type CatalogDb } from "./repository";

/**
 * The isolate's cache of feature group definitions, so GetRecord and
 * PutRecord never query D1 on the hot path.
 *
 * Invalidation (see docs/architecture.md, "Catalog cache"):
 * 1. The isolate that changes a group drops its own entry at once.
 * 2. Every shard call carries the cached catalogVersion; an UpdateFeatureGroup
 *    or DeleteFeatureGroup tells every shard the new version (or that the
 *    generation is dropped) before it answers. A shard refuses calls made
 *    with an older version, and the caller reloads from D1 and retries once.
 * 3. Features are only ever added, so a definition that is stale can only
 *    refuse a feature that now exists: such a refusal reloads the group
 *    (at most once per REFRESH_ON_UNKNOWN_MS per group) before answering.
 * 4. MAX_AGE_MS bounds how long anything else may linger.
 */
export interface ServingGroup {
  group: FeatureGroup;
  schema: RecordSchema;
  loadedAt: number;
}

const MAX_ENTRIES = 1_000;
const MAX_AGE_MS = 5 * 60_000;
const REFRESH_ON_UNKNOWN_MS = 1_000;

const entries = new Map<string, ServingGroup>();

function remember(group: FeatureGroup, now: number): ServingGroup {
  const serving = { group, schema: recordSchemaOf(group), loadedAt: now };
  entries.delete(group.name);
  entries.set(group.name, serving);
  if (entries.size > MAX_ENTRIES) {
    const oldest = entries.keys().next().value;
    if (oldest !== undefined) entries.delete(oldest);
  }
  return serving;
}

/** Returns the group's serving definition, loading it from D1 on a miss. */
export async function servingGroup(db: CatalogDb, name: string, now: number): Promise<ServingGroup | null> {
  const cached = entries.get(name);
  if (cached && now - cached.loadedAt < MAX_AGE_MS) return cached;
  return reloadServingGroup(db, name, now);
}

/** Reads the group from D1, replacing any cached entry. Missing groups are not cached. */
export async function reloadServingGroup(db: CatalogDb, name: string, now: number): Promise<ServingGroup | null> {
  const group = await getFeatureGroup(db, name);
  if (!group || group.status !== "Created") {
    entries.delete(name);
    return null;
  }
  return remember(group, now);
}

/**
 * Reloads a group that refused a feature name, unless it was loaded within
 * REFRESH_ON_UNKNOWN_MS (so a client repeating a typo cannot flood D1).
 * Returns the fresh entry, or null when a reload would not help.
 */
export async function refreshForUnknownFeature(db: CatalogDb, serving: ServingGroup, now: number): Promise<ServingGroup | null> {
  if (now - serving.loadedAt < REFRESH_ON_UNKNOWN_MS) return null;
  return reloadServingGroup(db, serving.group.name, now);
}

export function forgetServingGroup(name: string): void {
  entries.delete(name);
}
