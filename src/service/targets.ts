import { invalid, ok, type Result } from "../failure";
import type { FeatureGroup } from "../catalog";

export type StoreTarget = "online" | "offline";

export interface Targets {
  online: boolean;
  offline: boolean;
}

/**
 * Resolves which stores a write reaches: by default every store the group
 * has; an explicit list must name only stores the group has.
 */
export function resolveTargets(group: FeatureGroup, field: string, requested: readonly StoreTarget[] | undefined): Result<Targets> {
  if (requested === undefined) return ok({ online: group.onlineStore.enabled, offline: group.offlineStore.enabled });
  if (requested.length === 0) return invalid(field, "must name at least one store");
  const online = requested.includes("online");
  const offline = requested.includes("offline");
  if (online && !group.onlineStore.enabled) return invalid(field, `names the online store, but feature group ${group.name} has none`);
  if (offline && !group.offlineStore.enabled) return invalid(field, `names the offline store, but feature group ${group.name} has none`);
  return ok({ online, offline });
}
