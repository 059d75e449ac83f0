import type { FeatureGroup } from "../catalog";
import { dataKeyLookup, offlineReadOptions } from "../crypto/offline-objects";
import { failureMessage } from "../http/failures";
import type { Env } from "../env";
import { activeFiles } from "../offline/manifest";
import { summarizeFooters, type FooterSummary } from "../query/column-stats";
import { outboxSummary, type OutboxSummary, type StoreContext } from "../service";
import { writeVolume } from "./charts";

/**
 * What a group page shows of the offline store, from the manifest in D1,
 * the shards' outbox counters and the Parquet footers: never a data page,
 * so the page costs the same for a thousand rows as for a million.
 */

/** Bins of the write-volume chart. */
export const VOLUME_BINS = 24;

export interface OfflineView {
  files: number;
  rows: number;
  bytes: number;
  /** Newest write time in any registered file. */
  lastFileWriteAt: number | null;
  outbox: OutboxSummary;
  /** How long the oldest row not yet in a registered file has waited; 0 when none waits. */
  lagMs: number;
  volume: { start: number; end: number; rows: number }[];
  stats: FooterSummary | { unavailable: string };
}

export async function offlineView(store: StoreContext, env: Env, group: FeatureGroup): Promise<OfflineView> {
  const [files, outbox] = await Promise.all([activeFiles(store.db, group.generation), outboxSummary(store, group)]);
  let stats: OfflineView["stats"];
  const keys = files.length > 0 ? await dataKeyLookup(store.db, env)(group.generation) : null;
  if (keys && !keys.ok) {
    stats = { unavailable: `the group's data keys cannot be read: ${failureMessage(keys.failure)}` };
  } else {
    const optionsOf = (key: string): R2GetOptions => {
      const options = keys ? offlineReadOptions(keys.value, key) : null;
      return options?.ok ? options.value : {};
    };
    try {
      stats = await summarizeFooters(env.OFFLINE_BUCKET, files, optionsOf);
    } catch (error) {
      // A footer we cannot read must not take the rest of the page down with it.
      console.error("footer statistics failed", { featureGroup: group.name, error: error instanceof Error ? error.message : String(error) });
      stats = { unavailable: "the offline files' footers could not be read" };
    }
  }
  return {
    files: files.length,
    rows: files.reduce((sum, f) => sum + f.rowCount, 0),
    bytes: files.reduce((sum, f) => sum + f.byteSize, 0),
    lastFileWriteAt: files.length > 0 ? Math.max(...files.map((f) => f.maxWriteTime)) : null,
    outbox,
    lagMs: outbox.oldestAt === null ? 0 : Math.max(0, store.now - outbox.oldestAt),
    volume: writeVolume(files, VOLUME_BINS),
    stats,
  };
}
