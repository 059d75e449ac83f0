import { invalid, ok, type Result } from "../../failure";
import { MAX_BATCH_GET_GROUPS, MAX_BATCH_GET_IDENTIFIERS, parseTtl, type TtlDuration } from "../../records";
import type { BatchGetRequest, StoreTarget } from "../../service";
import { asObject } from "../body";

/**
 * The native API's record inputs, parsed once for every transport that
 * speaks them: the HTTP routes (records.ts) and the Workers RPC binding
 * (src/rpc), so both refuse the same inputs with the same field names.
 * Each takes the parsed JSON body (or the RPC argument) as `unknown`.
 */

const STORE_TARGETS: readonly StoreTarget[] = ["online", "offline"];
const PUT_KEYS = new Set(["record", "targetStores", "ttl"]);

export function parseTargets(raw: unknown, field: string): Result<StoreTarget[] | undefined> {
  if (raw === undefined) return ok(undefined);
  if (!Array.isArray(raw) || !raw.every((t): t is StoreTarget => (STORE_TARGETS as readonly unknown[]).includes(t))) {
    return invalid(field, `must be a list of ${STORE_TARGETS.join(", ")}`);
  }
  return ok(raw);
}

export interface PutBody {
  record: Record<string, unknown>;
  targetStores?: StoreTarget[];
  ttl?: TtlDuration;
}

export function parsePutBody(body: unknown): Result<PutBody> {
  const object = asObject(body, "body");
  if (!object.ok) return object;
  const unknownKey = Object.keys(object.value).find((k) => !PUT_KEYS.has(k));
  if (unknownKey !== undefined) return invalid(unknownKey, "is not a field of a put (expected record, targetStores, ttl)");
  const record = asObject(object.value.record, "record");
  if (!record.ok) return record;
  const targetStores = parseTargets(object.value.targetStores, "targetStores");
  if (!targetStores.ok) return targetStores;
  const ttl = object.value.ttl === undefined ? ok(undefined) : parseTtl("ttl", object.value.ttl);
  if (!ttl.ok) return ttl;
  return ok({
    record: record.value,
    ...(targetStores.value ? { targetStores: targetStores.value } : {}),
    ...(ttl.value ? { ttl: ttl.value } : {}),
  });
}

export function parseBatchGet(body: unknown): Result<BatchGetRequest[]> {
  const object = asObject(body, "body");
  if (!object.ok) return object;
  const requests = object.value.requests;
  if (!Array.isArray(requests) || requests.length < 1 || requests.length > MAX_BATCH_GET_GROUPS) {
    return invalid("requests", `must be a list of 1 to ${MAX_BATCH_GET_GROUPS} {featureGroup, recordIdentifiers, features?}`);
  }
  const out: BatchGetRequest[] = [];
  for (const [i, raw] of requests.entries()) {
    const field = `requests[${i}]`;
    const item = asObject(raw, field);
    if (!item.ok) return item;
    const { featureGroup, recordIdentifiers, features } = item.value;
    if (typeof featureGroup !== "string") return invalid(`${field}.featureGroup`, "must be a feature group name");
    if (!Array.isArray(recordIdentifiers) || recordIdentifiers.length < 1 || recordIdentifiers.length > MAX_BATCH_GET_IDENTIFIERS) {
      return invalid(`${field}.recordIdentifiers`, `must be a list of 1 to ${MAX_BATCH_GET_IDENTIFIERS} identifiers`);
    }
    const badId = recordIdentifiers.findIndex((id) => typeof id !== "string" && typeof id !== "number");
    if (badId >= 0) return invalid(`${field}.recordIdentifiers[${badId}]`, "must be a string or an integer");
    if (features !== undefined && (!Array.isArray(features) || !features.every((f) => typeof f === "string"))) {
      return invalid(`${field}.features`, "must be a list of feature names");
    }
    out.push({ featureGroup, recordIdentifiers: recordIdentifiers.map(String), features: (features as string[] | undefined) ?? [] });
  }
  return ok(out);
}

