import { refreshForUnknownFeature, type ServingGroup } from "../catalog";
import { fail, ok, type Result } from "../failure";
import { pick, shardIndexOf, type DeletionMode, type StoredRecord } from "../online";
import {
  expiresAtMs,
  parseFeatureSubset,
  parseRecordIdentifier,
  validateRecord,
  type CanonicalRecord,
  type TtlDuration,
  type ValueEncoding,
} from "../records";
import type { StoreContext } from "./context";
import { loadShardKeys, shardKeysOf } from "./keys";
import { fromShard, RETRY, shardStub, withServingGroup, type Attempt } from "./shards";
import { resolveTargets, type StoreTarget } from "./targets";
import { cachedRecord, forgetRecord, rememberRecord } from "./read-cache";

/**
 * The record operations both APIs share: validation, event-time rules and
 * routing are decided here once.
 */

export interface PutRecordRequest {
  featureGroup: string;
  entries: ReadonlyArray<readonly [string, unknown]>;
  encoding: ValueEncoding;
  /** How errors name a feature's field ("age" → "record.age"). */
  fieldOf: (feature: string) => string;
  ttl?: TtlDuration;
  targetStores?: StoreTarget[];
  targetStoresField: string;
}

export interface PutRecordResult {
  online: "written" | "older_event_time_ignored" | "not_targeted";
  offline: "queued" | "not_targeted";
  expiresAtMs: number | null;
}

async function validateFresh(ctx: StoreContext, serving: ServingGroup, req: PutRecordRequest): Promise<Result<{ record: CanonicalRecord; serving: ServingGroup }>> {
  let validated = validateRecord(serving.schema, req.entries, req.encoding, req.fieldOf);
  if (!validated.ok && validated.failure.reason === "unknown_feature") {
    const fresh = await refreshForUnknownFeature(ctx.db, serving, ctx.now);
    if (fresh) {
      serving = fresh;
      validated = validateRecord(serving.schema, req.entries, req.encoding, req.fieldOf);
    }
  }
  return validated.ok ? ok({ record: validated.value, serving }) : validated;
}

export function putRecord(ctx: StoreContext, req: PutRecordRequest): Promise<Result<PutRecordResult>> {
  return withServingGroup(ctx, req.featureGroup, async (initial): Promise<Attempt<PutRecordResult>> => {
    const checked = await validateFresh(ctx, initial, req);
    if (!checked.ok) return checked;
    const { record, serving } = checked.value;
    if (serving !== initial) {
      const keys = await loadShardKeys(ctx, serving);
      if (!keys.ok) return keys;
    }
    const { group } = serving;
    const targets = resolveTargets(group, req.targetStoresField, req.targetStores);
    if (!targets.ok) return targets;
    const expires = targets.value.online ? expiresAtMs(record.eventTimeMs, req.ttl, group.onlineStore.ttl) : null;
    const reply = fromShard(
      await shardStub(ctx, group.generation, shardIndexOf(record.recordIdentifier, group.shardCount)).put({
        catalogVersion: group.catalogVersion,
        ...shardKeysOf(serving),
        recordIdentifier: record.recordIdentifier,
        eventKey: record.eventKey,
        expiresAtMs: expires,
        body: record.body,
        online: targets.value.online,
        offline: targets.value.offline,
        apiInvocationTimeMs: ctx.now,
      }),
    );
    if (reply === RETRY) return RETRY;
    // Only a record a bounded-staleness read took can have a copy to drop: other puts make no cache call.
    if (targets.value.online && reply.applied && reply.cachedCopy) await forgetChangedRecord(serving, record.recordIdentifier);
    return ok({
      online: !targets.value.online ? "not_targeted" : reply.applied ? "written" : "older_event_time_ignored",
      offline: targets.value.offline ? "queued" : "not_targeted",
      expiresAtMs: expires,
    });
  });
}

export interface GetRecordRequest {
  featureGroup: string;
  recordIdentifier: string;
  recordIdentifierField: string;
  features: readonly string[];
  featuresField: string;
  /**
   * How stale the answer may be (ms); 0 or absent: strongly consistent, from
   * the shard. Within the bound the answer may come from the colo cache
   * (read-cache.ts). The caller has authorized the read already.
   */
  maxStalenessMs?: number;
}

/** A record as served, with the age of what was served (0: read from its shard by this request). */
export type ServedRecord = StoredRecord & { ageMs: number };

/** Whether the colo cache may hold the group's records at all: never when its values are encrypted. */
function cacheMayHold(serving: ServingGroup): boolean {
  return shardKeysOf(serving).keys === undefined;
}

/** Whether a read may be answered from the colo cache: it asked for a bound, and the cache may hold the group's records. */
export function mayUseReadCache(serving: ServingGroup, maxStalenessMs: number | undefined): maxStalenessMs is number {
  return maxStalenessMs !== undefined && maxStalenessMs > 0 && cacheMayHold(serving);
}

/**
 * After a write changed a record online: drops the colo's copy, so reads
 * here see the write. Skipped (no Cache API call on the write path) for
 * groups the cache never holds.
 */
export async function forgetChangedRecord(serving: ServingGroup, recordIdentifier: string): Promise<void> {
  if (cacheMayHold(serving)) await forgetRecord(serving.group.generation, recordIdentifier);
}

/** The record restricted to the feature subset, as the shard restricts it. */
export function subsetOf(record: StoredRecord, features: string[] | undefined): StoredRecord {
  return features ? { ...record, body: pick(record.body, features) } : record;
}

export function getRecord(ctx: StoreContext, req: GetRecordRequest): Promise<Result<ServedRecord | null>> {
  return withServingGroup(ctx, req.featureGroup, async (serving): Promise<Attempt<ServedRecord | null>> => {
    const id = parseRecordIdentifier(serving.schema, req.recordIdentifierField, req.recordIdentifier);
    if (!id.ok) return id;
    const subset = parseFeatureSubset(serving.schema, req.featuresField, req.features);
    if (!subset.ok) return subset;
    const { group } = serving;
    if (!group.onlineStore.enabled) return fail({ reason: "invalid_field", field: "featureGroup", rule: `${group.name} has no online store` });
    const cacheable = mayUseReadCache(serving, req.maxStalenessMs);
    if (cacheable) {
      const hit = await cachedRecord(group.generation, id.value, ctx.now, req.maxStalenessMs!);
      if (hit) return ok({ ...subsetOf(hit.record, subset.value), ageMs: hit.ageMs });
    }
    const reply = fromShard(
      await shardStub(ctx, group.generation, shardIndexOf(id.value, group.shardCount)).get({
        catalogVersion: group.catalogVersion,
        ...shardKeysOf(serving),
        recordIdentifiers: [id.value],
        // A read that fills the cache takes the whole record, so the copy serves any feature subset.
        ...(subset.value && !cacheable ? { features: subset.value } : {}),
        ...(cacheable ? { fillsCache: true } : {}),
      }),
    );
    if (reply === RETRY) return RETRY;
    const found = reply.records[0];
    if (!found) return ok(null);
    if (!cacheable) return ok({ ...found, ageMs: 0 });
    await rememberRecord(group.generation, found, ctx.now);
    return ok({ ...subsetOf(found, subset.value), ageMs: 0 });
  });
}

export interface DeleteRecordRequest {
  featureGroup: string;
  recordIdentifier: string;
  eventTime: string;
  mode: DeletionMode;
  targetStores?: StoreTarget[];
  targetStoresField: string;
  /** Field names for errors, per API. */
  recordIdentifierField: string;
  eventTimeField: string;
}

export interface DeleteRecordResult {
  online: "deleted" | "older_event_time_unchanged" | "not_targeted";
  offline: "queued" | "not_targeted";
}

/** Builds the deletion's canonical (identifier, event time) record with the same parsers as a put. */
function deletionRecord(serving: ServingGroup, req: DeleteRecordRequest): Result<CanonicalRecord> {
  const { schema } = serving;
  const id = parseRecordIdentifier(schema, req.recordIdentifierField, req.recordIdentifier);
  if (!id.ok) return id;
  return validateRecord(
    schema,
    [
      [schema.recordIdentifierFeature, req.recordIdentifier],
      [schema.eventTimeFeature, req.eventTime],
    ],
    "strings",
    (feature) => (feature === schema.eventTimeFeature ? req.eventTimeField : req.recordIdentifierField),
  );
}

export function deleteRecord(ctx: StoreContext, req: DeleteRecordRequest): Promise<Result<DeleteRecordResult>> {
  return withServingGroup(ctx, req.featureGroup, async (serving): Promise<Attempt<DeleteRecordResult>> => {
    const record = deletionRecord(serving, req);
    if (!record.ok) return record;
    const { group } = serving;
    const targets = resolveTargets(group, req.targetStoresField, req.targetStores);
    if (!targets.ok) return targets;
    const reply = fromShard(
      await shardStub(ctx, group.generation, shardIndexOf(record.value.recordIdentifier, group.shardCount)).delete({
        catalogVersion: group.catalogVersion,
        ...shardKeysOf(serving),
        recordIdentifier: record.value.recordIdentifier,
        eventKey: record.value.eventKey,
        body: record.value.body,
        mode: req.mode,
        online: targets.value.online,
        offline: targets.value.offline,
        apiInvocationTimeMs: ctx.now,
      }),
    );
    if (reply === RETRY) return RETRY;
    if (reply.outcome === "refused_not_newer") {
      return fail({ reason: "event_time_not_newer", featureGroup: group.name, recordIdentifier: record.value.recordIdentifier, eventTime: req.eventTime });
    }
    if (targets.value.online && reply.outcome === "deleted") await forgetChangedRecord(serving, record.value.recordIdentifier);
    return ok({
      online: !targets.value.online ? "not_targeted" : reply.outcome === "deleted" ? "deleted" : "older_event_time_unchanged",
      offline: targets.value.offline ? "queued" : "not_targeted",
    });
  });
}
