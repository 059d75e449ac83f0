import { fail, ok, type Result } from "../failure";
import { shardIndexOf } from "../online";
import { eventTimeOf, MAX_RECORD_BYTES, parseRecordIdentifier, ttlMs, validateFeatures, type TtlDuration, type ValueEncoding } from "../records";
import type { StoreContext } from "./context";
import { shardKeysOf } from "./keys";
import { forgetChangedRecord } from "./records";
import { fromShard, RETRY, shardStub, withServingGroup, type Attempt } from "./shards";
import { resolveTargets, type StoreTarget } from "./targets";

export interface UpdateRecordRequest {
  featureGroup: string;
  recordIdentifier: string;
  recordIdentifierField: string;
  entries: ReadonlyArray<readonly [string, unknown]>;
  encoding: ValueEncoding;
  featuresField: string;
  fieldOf: (feature: string) => string;
  ttl?: TtlDuration;
  targetStores?: StoreTarget[];
  targetStoresField: string;
}

/**
 * Merges the given features into the live online record (SageMaker
 * UpdateRecord). The merged record is what reaches the offline store.
 */
export function updateRecord(ctx: StoreContext, req: UpdateRecordRequest): Promise<Result<{ expiresAtMs: number | null }>> {
  return withServingGroup(ctx, req.featureGroup, async (serving): Promise<Attempt<{ expiresAtMs: number | null }>> => {
    const { group, schema } = serving;
    const id = parseRecordIdentifier(schema, req.recordIdentifierField, req.recordIdentifier);
    if (!id.ok) return id;
    const values = validateFeatures(schema, req.entries, req.encoding, req.fieldOf);
    if (!values.ok) return values;
    if (Object.keys(values.value).length === 0) return fail({ reason: "invalid_field", field: req.featuresField, rule: "must change at least one feature" });
    const idValue = values.value[schema.recordIdentifierFeature];
    if (idValue !== undefined && String(idValue) !== id.value) {
      return fail({ reason: "invalid_field", field: req.fieldOf(schema.recordIdentifierFeature), rule: "must equal the identifier being updated" });
    }
    const eventTime = eventTimeOf(schema, values.value, req.fieldOf);
    if (!eventTime.ok) return eventTime;
    const targets = resolveTargets(group, req.targetStoresField, req.targetStores);
    if (!targets.ok) return targets;
    if (!group.onlineStore.enabled) return fail({ reason: "invalid_field", field: "featureGroup", rule: `${group.name} has no online store to update` });
    const ttl = req.ttl ?? group.onlineStore.ttl;
    const recompute = req.ttl !== undefined || eventTime.value !== null;
    const reply = fromShard(
      await shardStub(ctx, group.generation, shardIndexOf(id.value, group.shardCount)).update({
        catalogVersion: group.catalogVersion,
        ...shardKeysOf(serving),
        recordIdentifier: id.value,
        features: JSON.stringify(values.value),
        eventKey: eventTime.value?.key ?? null,
        ...(recompute ? { ttlMs: ttl ? ttlMs(ttl) : null } : {}),
        online: targets.value.online,
        offline: targets.value.offline,
        apiInvocationTimeMs: ctx.now,
      }),
    );
    if (reply === RETRY) return RETRY;
    switch (reply.outcome) {
      case "updated":
        await forgetChangedRecord(serving, id.value);
        return ok({ expiresAtMs: reply.expiresAtMs });
      case "not_found":
        return fail({ reason: "record_not_found", featureGroup: group.name, recordIdentifier: id.value });
      case "older_event_time":
        return fail({ reason: "update_older_event_time", featureGroup: group.name, recordIdentifier: id.value });
      case "too_large":
        return fail({ reason: "payload_too_large", field: "record", limitBytes: MAX_RECORD_BYTES });
    }
  });
}
