import { epochMsOfKey } from "../records";

/**
 * Where offline data lives in R2. Keys are built only from our own values
 * (group names match NAME_PATTERN, generations are UUIDs, partitions are
 * digits), never from client text.
 *
 *   <prefix>/<group>/<generation>/data/year=YYYY/month=MM/day=DD/hour=HH/<file>.parquet
 */
export interface OfflineLocationConfig {
  OFFLINE_PREFIX?: string;
  OFFLINE_BUCKET_NAME?: string;
}

export const DEFAULT_OFFLINE_PREFIX = "offline-store";
export const DEFAULT_OFFLINE_BUCKET_NAME = "feature-store-offline";

export function offlinePrefixOf(env: OfflineLocationConfig): string {
  return (env.OFFLINE_PREFIX ?? DEFAULT_OFFLINE_PREFIX).replace(/\/+$/, "");
}

export function stagingPrefixOf(env: OfflineLocationConfig): string {
  return `${offlinePrefixOf(env)}/_staging`;
}

/** Bulk requests' valid rows waiting to go online (service/bulk-spill.ts); deleted by the request, swept after the grace period. */
export function bulkStagingPrefixOf(env: OfflineLocationConfig): string {
  return `${offlinePrefixOf(env)}/_bulk`;
}

export function bucketNameOf(env: OfflineLocationConfig): string {
  return env.OFFLINE_BUCKET_NAME ?? DEFAULT_OFFLINE_BUCKET_NAME;
}

/** The data prefix of one group generation (no trailing slash). */
export function dataPrefix(env: OfflineLocationConfig, featureGroup: string, generation: string): string {
  return `${offlinePrefixOf(env)}/${featureGroup}/${generation}/data`;
}

const two = (n: number) => String(n).padStart(2, "0");

/** The hourly Hive partition of an event time, "year=2026/month=11/day=25/hour=08". */
export function partitionOf(eventKey: string): string {
  const date = new Date(epochMsOfKey(eventKey));
  return `year=${String(date.getUTCFullYear()).padStart(4, "0")}/month=${two(date.getUTCMonth() + 1)}/day=${two(date.getUTCDate())}/hour=${two(date.getUTCHours())}`;
}

/** The first and last epoch millisecond a partition covers. */
export function partitionRange(partition: string): { startMs: number; endMs: number } | null {
  const m = /^year=(\d{4})\/month=(\d{2})\/day=(\d{2})\/hour=(\d{2})$/.exec(partition);
  if (!m) return null;
  const date = new Date(0);
  date.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  date.setUTCHours(Number(m[4]), 0, 0, 0);
  return { startMs: date.getTime(), endMs: date.getTime() + 3_600_000 - 1 };
}

/** A file's key: its name derives from the batch identities it holds, so rewriting the same batches lands on the same key. */
export function fileKey(env: OfflineLocationConfig, featureGroup: string, generation: string, partition: string, name: string): string {
  return `${dataPrefix(env, featureGroup, generation)}/${partition}/${name}.parquet`;
}

const utf8 = new TextEncoder();

/** Hex SHA-256 of a text, for content-derived file names. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", utf8.encode(text)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
