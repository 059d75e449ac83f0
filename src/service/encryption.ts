import { updateFeatureGroup as writeFeatureGroupUpdate, type FeatureGroup } from "../catalog";
import { encryptionOf, rewrapAllDataKeys, rotateDataKey, type KeyStore, type RewrapReport } from "../crypto/data-keys";
import { fail, invalid, ok, type Result } from "../failure";
import type { StoreContext } from "./context";
import { describeFeatureGroup } from "./feature-groups";
import { onEveryShard } from "./shards";

/**
 * Encryption-at-rest operations: describe, data key rotation and master key
 * re-wrapping (docs/security-encryption.md).
 */

export interface StoreEncryptionView {
  enabled: boolean;
  /** The data key version new values are encrypted with. */
  activeKeyVersion?: number;
}

export type EncryptionView = Record<KeyStore, StoreEncryptionView>;

/** Which stores of a group are encrypted (no key material, no master key needed). */
export async function encryptionView(ctx: StoreContext, group: FeatureGroup): Promise<EncryptionView> {
  const versions = await encryptionOf(ctx.db, group.generation);
  const view = (version: number | undefined): StoreEncryptionView => (version ? { enabled: true, activeKeyVersion: version } : { enabled: false });
  return { online: view(versions.online), offline: view(versions.offline) };
}

/**
 * Adds a new version of a group's data key for one store. Online: the
 * group's catalog version is bumped and every shard told, so no caller keeps
 * sealing with the old version once this answers (old versions stay
 * readable). Offline: writers pick the new version up within the key cache's
 * age (5 minutes); objects keep naming the version that encrypted them.
 */
export async function rotateGroupDataKey(ctx: StoreContext, name: string, store: KeyStore): Promise<Result<{ featureGroup: string; store: KeyStore; activeKeyVersion: number }>> {
  const found = await describeFeatureGroup(ctx, name);
  if (!found.ok) return found;
  const group = found.value;
  if (group.status !== "Created") return fail({ reason: "feature_group_busy", featureGroup: name, status: group.status });
  const rotated = await rotateDataKey(ctx.db, ctx.secrets, group.generation, store, ctx.now);
  if (!rotated.ok) return rotated;
  if (!rotated.value) return invalid("store", `feature group ${name} does not encrypt its ${store} store`);
  if (store === "online") {
    const updated = await writeFeatureGroupUpdate(ctx.db, group, { addFeatures: [] }, ctx.now);
    const synced = await onEveryShard(ctx, updated, (shard) => shard.syncCatalog(updated.catalogVersion));
    if (!synced.ok) return synced;
  }
  return ok({ featureGroup: name, store, activeKeyVersion: rotated.value.version });
}

/** Re-seals every data key under the active master key; afterwards older master keys may leave FS_MASTER_KEYS. */
export function rewrapDataKeys(ctx: StoreContext): Promise<Result<RewrapReport>> {
  return rewrapAllDataKeys(ctx.db, ctx.secrets, ctx.now);
}
