import {
  createFeatureGroup as insertFeatureGroup,
  forgetServingGroup,
  getFeatureGroup,
  parseCreateFeatureGroup,
  parseUpdateFeatureGroup,
  removeFeatureGroup,
  setFeatureGroupStatus,
  updateFeatureGroup as writeFeatureGroupUpdate,
  type FeatureGroup,
} from "../catalog";
import { newDataKeyStatements, type GroupEncryption } from "../crypto/data-keys";
import { masterKeyring } from "../crypto/keyring";
import { fail, ok, type Result } from "../failure";
import type { StoreContext } from "./context";
import { onEveryShard, shardStub } from "./shards";
import type { OutboxStatus } from "../online";

/**
 * Control-plane operations. They read D1 directly (never the cache) and tell
 * the shards about changes before answering, which is what lets the hot path
 * trust its cache (catalog/cache.ts).
 */

/** @param sagemakerSettings SageMaker-only settings to keep for Describe (control plane only). */
export async function createFeatureGroup(ctx: StoreContext, body: unknown, sagemakerSettings?: Record<string, unknown>): Promise<Result<FeatureGroup>> {
  const input = parseCreateFeatureGroup(body);
  if (!input.ok) return input;
  const generation = crypto.randomUUID();
  const keys = await dataKeyStatements(ctx, generation, input.value.encryption);
  if (!keys.ok) return keys;
  const created = await insertFeatureGroup(ctx.db, { ...input.value, ...(sagemakerSettings ? { sagemakerSettings } : {}) }, generation, ctx.now, keys.value);
  if (created.ok) forgetServingGroup(created.value.name);
  return created;
}

/** The new group's data keys, sealed by the master keyring; without a usable keyring an encrypted group is not created (503). */
async function dataKeyStatements(ctx: StoreContext, generation: string, encryption: GroupEncryption): Promise<Result<D1PreparedStatement[]>> {
  if (!encryption.online && !encryption.offline) return ok([]);
  const keyring = await masterKeyring(ctx.secrets);
  if (!keyring.ok) return keyring;
  return ok(await newDataKeyStatements(ctx.db, keyring.value, generation, encryption, ctx.now));
}

export async function describeFeatureGroup(ctx: StoreContext, name: string): Promise<Result<FeatureGroup>> {
  const group = await getFeatureGroup(ctx.db, name);
  return group ? ok(group) : fail({ reason: "feature_group_not_found", featureGroup: name });
}

function requireCreated(group: FeatureGroup): Result<FeatureGroup> {
  return group.status === "Created" ? ok(group) : fail({ reason: "feature_group_busy", featureGroup: group.name, status: group.status });
}

export async function updateFeatureGroup(ctx: StoreContext, name: string, body: unknown): Promise<Result<FeatureGroup>> {
  const found = await describeFeatureGroup(ctx, name);
  if (!found.ok) return found;
  const current = requireCreated(found.value);
  if (!current.ok) return current;
  const update = parseUpdateFeatureGroup(body, current.value.features);
  if (!update.ok) return update;
  const updated = await writeFeatureGroupUpdate(ctx.db, current.value, update.value, ctx.now);
  const synced = await onEveryShard(ctx, updated, (shard) => shard.syncCatalog(updated.catalogVersion));
  return synced.ok ? ok(updated) : synced;
}

/**
 * Deletes a group: status Deleting, every shard drops its records and
 * refuses later calls, then the catalog rows go. A failure part-way leaves
 * DeleteFailed, and repeating the delete finishes the job.
 */
export async function deleteFeatureGroup(ctx: StoreContext, name: string): Promise<Result<void>> {
  const found = await describeFeatureGroup(ctx, name);
  if (!found.ok) return found;
  // Any status may be deleted again: every step below is idempotent, so a
  // delete interrupted part-way is finished by repeating it.
  const group = found.value;
  await setFeatureGroupStatus(ctx.db, group, "Deleting", ctx.now);
  forgetServingGroup(name);
  const dropped = await onEveryShard(ctx, group, (shard) => shard.drop());
  if (!dropped.ok) {
    await setFeatureGroupStatus(ctx.db, group, "DeleteFailed", ctx.now);
    return dropped;
  }
  await removeFeatureGroup(ctx.db, group, ctx.now);
  return ok(undefined);
}

export type OutboxSummary = OutboxStatus;

const earliest = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.min(a, b));

/** Sums every shard's outbox: rows not yet confirmed in the offline store, sends awaiting registration, and retries in progress. */
export async function outboxSummary(ctx: StoreContext, group: FeatureGroup): Promise<OutboxSummary> {
  return (await groupWriteStatus(ctx, group)).outbox;
}

export interface GroupWriteStatus {
  /** The newest online write any shard applied (null: none since shards began keeping it). */
  lastOnlineWriteAt: number | null;
  outbox: OutboxSummary;
}

/**
 * Asks every shard of the group, in parallel, for its last online write and
 * its outbox (one RPC each): the group's freshness without reading records.
 */
export async function groupWriteStatus(ctx: StoreContext, group: FeatureGroup): Promise<GroupWriteStatus> {
  const statuses = await Promise.all(Array.from({ length: group.shardCount }, (_, i) => shardStub(ctx, group.generation, i).writeStatus()));
  const outbox = statuses.reduce<OutboxSummary>(
    (sum, { outbox: s }) => ({
      rows: sum.rows + s.rows,
      sealedBatches: sum.sealedBatches + s.sealedBatches,
      sentBatches: sum.sentBatches + s.sentBatches,
      resentBatches: sum.resentBatches + s.resentBatches,
      maxAttempts: Math.max(sum.maxAttempts, s.maxAttempts),
      maxSends: Math.max(sum.maxSends, s.maxSends),
      oldestAt: earliest(sum.oldestAt, s.oldestAt),
      oldestSentAt: earliest(sum.oldestSentAt, s.oldestSentAt),
    }),
    { rows: 0, sealedBatches: 0, sentBatches: 0, resentBatches: 0, maxAttempts: 0, maxSends: 0, oldestAt: null, oldestSentAt: null },
  );
  const writes = statuses.flatMap((s) => (s.lastOnlineWriteAt === null ? [] : [s.lastOnlineWriteAt]));
  return { lastOnlineWriteAt: writes.length > 0 ? Math.max(...writes) : null, outbox };
}
