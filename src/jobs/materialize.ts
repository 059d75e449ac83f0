import { getFeatureGroup, recordSchemaOf } from "../catalog";
import type { Env } from "../env";
import type { Failure } from "../failure";
import { expiresAtMs, parseEventTime, type FeatureValue } from "../records";
import { bulkIngest, type BulkRow, type StoreContext } from "../service";
import type { RunProgress } from "./repository";

/**
 * Materialise: the latest record per identifier in the offline store (the
 * query worker's as-of snapshot, "as of now") written into the online store.
 *
 * - Online only: the writes go through bulk ingest with targetStores
 *   ["online"], so the shards apply them with putMany and the outbox sees
 *   nothing: no offline row is ever added by materialising.
 * - Event-time rule: a shard applies a record only when it is at least as new
 *   as what it holds (a live record or a tombstone), so a newer online record
 *   is never overwritten and a soft-deleted identifier stays deleted.
 *   Identifiers whose latest offline version is a deletion are not in the
 *   snapshot, so they are not brought back either.
 * - Records already past their TTL are skipped (they would never be served).
 * - Version order: each record goes online with its offline version's write
 *   sequence (records/order.ts), so a shard keeps an online record that is
 *   newer by (event time, sequence) and online and offline agree on ties.
 *
 * It pages through the snapshot by identifier; the cursor is stored on the
 * run, so a run too large for one invocation continues on the next tick.
 */
export const MATERIALIZE_PAGE_RECORDS = 5_000;

/** QUERY reads the snapshot; bulk ingest takes the offline bucket too, though online-only writes never touch it. */
export type MaterializeEnv = Pick<Env, "QUERY" | "OFFLINE_BUCKET" | "OFFLINE_PREFIX" | "OFFLINE_BUCKET_NAME">;

export interface MaterializeSlice {
  progress: RunProgress;
  done: boolean;
  /** Why the run stops here; progress still counts what was written before. */
  failure?: Failure;
}

async function* asRows(records: readonly { record: Record<string, FeatureValue>; writeSequence: number }[]): AsyncGenerator<BulkRow> {
  for (const [i, { record, writeSequence }] of records.entries()) yield { row: i + 1, entries: Object.entries(record), sequence: writeSequence };
}

/** Materialises up to `pages` pages of the snapshot after `cursor`. */
export async function materializeSlice(env: MaterializeEnv, store: StoreContext, featureGroup: string, cursor: string | null, pages: number): Promise<MaterializeSlice> {
  const group = await getFeatureGroup(store.db, featureGroup);
  const progress: RunProgress = { rowsRead: 0, rowsWritten: 0, rowsInvalid: 0, rowsOlderIgnored: 0, cursor };
  if (!group || group.status !== "Created") return { progress, done: true, failure: { reason: "feature_group_not_found", featureGroup } };
  if (!group.onlineStore.enabled || !group.offlineStore.enabled) {
    return { progress, done: true, failure: { reason: "invalid_field", field: "featureGroup", rule: `must have both an online and an offline store to materialize; ${group.name} does not` } };
  }
  const schema = recordSchemaOf(group);
  const timeDef = schema.features.get(schema.eventTimeFeature);
  for (let page = 0; page < pages; page++) {
    const snapshot = await env.QUERY.asOf({
      featureGroup: group.name,
      generation: group.generation,
      limit: MATERIALIZE_PAGE_RECORDS,
      ...(progress.cursor !== null ? { after: progress.cursor } : {}),
    });
    if (!snapshot.ok) return { progress, done: true, failure: snapshot.failure };
    const { records, nextAfter } = snapshot.value;
    progress.rowsRead += records.length;
    const live = records
      .filter((r) => {
        const time = parseEventTime(schema.eventTimeFeature, timeDef?.type ?? "String", r.record[schema.eventTimeFeature]);
        if (!time.ok) return true; // validation reports it below
        const expiry = expiresAtMs(time.value.epochMs, undefined, group.onlineStore.ttl);
        return expiry === null || expiry > store.now;
      });
    if (live.length > 0) {
      const written = await bulkIngest(store, { db: store.db, bucket: env.OFFLINE_BUCKET, location: env }, { featureGroup: group.name, encoding: "typed", onInvalid: "skip", targetStores: ["online"] }, () => asRows(live));
      if (!written.ok) return { progress, done: true, failure: written.failure };
      progress.rowsWritten += written.value.online.written;
      progress.rowsOlderIgnored += written.value.online.olderEventTimeIgnored;
      progress.rowsInvalid += written.value.invalidRows;
      if (written.value.failure) return { progress, done: true, failure: written.value.failure };
    }
    if (nextAfter === undefined) return { progress: { ...progress, cursor: null }, done: true };
    progress.cursor = nextAfter;
  }
  return { progress, done: false };
}
