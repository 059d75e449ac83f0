import type { FeatureGroup } from "../catalog";
import { dataKeyLookup, offlineReadOptions } from "../crypto";
import { failureMessage } from "../http/failures";
import type { Env } from "../env";
import { activeFiles } from "../offline";
import { type FooterSummary, sampleHistograms, type SampleHistograms, summarizeFooters } from "../query";
import { lastFileWriteAt, offlineLagMs, type OutboxSummary, type StoreContext } from "../service";
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
  /** Numeric features binned over one small row group of the newest file. */
  histograms: SampleHistograms | { unavailable: string };
}

/** Scalar numbers other than the identifier and event time: what a histogram can show. */
export const numericFeatures = (group: FeatureGroup): string[] =>
  group.features.filter((f) => !f.collection && (f.type === "Integral" || f.type === "Fractional") && f.name !== group.eventTimeFeature && f.name !== group.recordIdentifierFeature).map((f) => f.name);

/** @param outboxOf the shards' outboxes, summed: asked together with the last online write (groupWriteStatus), read here while the manifest is. */
export async function offlineView(store: StoreContext, env: Env, group: FeatureGroup, outboxOf: Promise<OutboxSummary>): Promise<OfflineView> {
  const [files, outbox] = await Promise.all([activeFiles(store.db, group.generation), outboxOf]);
  let stats: OfflineView["stats"];
  let histograms: OfflineView["histograms"];
  const keys = files.length > 0 ? await dataKeyLookup(store.db, env)(group.generation) : null;
  if (keys && !keys.ok) {
    stats = { unavailable: `the group's data keys cannot be read: ${failureMessage(keys.failure)}` };
    histograms = stats;
  } else {
    const optionsOf = (key: string): R2GetOptions => {
      const options = keys ? offlineReadOptions(keys.value, key) : null;
      return options?.ok ? options.value : {};
    };
    // A file we cannot read must not take the rest of the page down with it.
    const logged = (what: string) => (error: unknown) => {
      console.error(`${what} failed`, { featureGroup: group.name, error: error instanceof Error ? error.message : String(error) });
      return { unavailable: `the offline files could not be read for ${what}` };
    };
    [stats, histograms] = await Promise.all([
      summarizeFooters(env.OFFLINE_BUCKET, files, optionsOf).catch(logged("statistics")),
      sampleHistograms(env.OFFLINE_BUCKET, files, numericFeatures(group), optionsOf).catch(logged("histograms")),
    ]);
  }
  return {
    files: files.length,
    rows: files.reduce((sum, f) => sum + f.rowCount, 0),
    bytes: files.reduce((sum, f) => sum + f.byteSize, 0),
    lastFileWriteAt: lastFileWriteAt(files),
    outbox,
    lagMs: offlineLagMs(outbox, store.now),
    volume: writeVolume(files, VOLUME_BINS),
    stats,
    histograms,
  };
}
