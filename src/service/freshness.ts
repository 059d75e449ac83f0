import { ok, type Result } from "../failure";
import { activeFiles } from "../offline/manifest";
import type { StoreContext } from "./context";
import { describeFeatureGroup, groupWriteStatus, type OutboxSummary } from "./feature-groups";

/** How current a group's two stores are, in epoch milliseconds. */
export interface GroupFreshness {
  featureGroup: string;
  /** The newest write any shard applied (null: none since the shards began keeping it). */
  lastOnlineWriteAt: number | null;
  /** Absent when the group has no offline store. */
  offline?: {
    /** The newest write time in a registered offline file (null: no file yet). */
    lastFileWriteAt: number | null;
    /** Acknowledged rows not yet in a registered file. */
    pending: OutboxSummary;
    /** How long the oldest of those has waited (0 when none wait): how far the offline store trails the online one. */
    lagMs: number;
  };
}

/** The newest write time in the given offline files (null: none). */
export const lastFileWriteAt = (files: readonly { maxWriteTime: number }[]): number | null => (files.length > 0 ? Math.max(...files.map((f) => f.maxWriteTime)) : null);

/** How long the oldest acknowledged row not yet in a file has waited (0 when none wait). */
export const offlineLagMs = (outbox: Pick<OutboxSummary, "oldestAt">, now: number): number => (outbox.oldestAt === null ? 0 : Math.max(0, now - outbox.oldestAt));

/**
 * A group's freshness without reading records: one RPC per shard (last
 * write and outbox, in parallel) and, with an offline store, the manifest's
 * active files.
 */
export async function groupFreshness(ctx: StoreContext, name: string): Promise<Result<GroupFreshness>> {
  const described = await describeFeatureGroup(ctx, name);
  if (!described.ok) return described;
  const group = described.value;
  const [status, files] = await Promise.all([groupWriteStatus(ctx, group), group.offlineStore.enabled ? activeFiles(ctx.db, group.generation) : undefined]);
  const freshness: GroupFreshness = { featureGroup: group.name, lastOnlineWriteAt: status.lastOnlineWriteAt };
  if (files === undefined) return ok(freshness);
  return ok({
    ...freshness,
    offline: {
      lastFileWriteAt: lastFileWriteAt(files),
      pending: status.outbox,
      lagMs: offlineLagMs(status.outbox, ctx.now),
    },
  });
}
