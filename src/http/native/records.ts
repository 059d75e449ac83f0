import { Hono } from "hono";
import { FailureError, invalid, ok, orThrow, type Result } from "../../failure";
import {
  isoFromEpochMs,
  MAX_BATCH_GET_BODY_BYTES,
  MAX_BATCH_GET_GROUPS,
  MAX_BATCH_GET_IDENTIFIERS,
  MAX_PUT_BODY_BYTES,
  parseTtl,
  type TtlDuration,
} from "../../records";
import type { StoredRecord } from "../../online";
import { batchGetRecords, deleteRecord, getRecord, listRecords, putRecord, updateRecord, type BatchGetRequest, type StoreTarget } from "../../service";
import { asObject, readJsonBody } from "../body";
import type { AppEnv } from "../context";
import { authorize } from "../authorize";
import { bodyGroups, groupParam, membersOf } from "../resources";
import { failureMessage } from "../failures";
import { enumParam, intParam, listParam } from "../query";
import { rawJson } from "../render";

/** Record routes: put, get and delete one record, and batch get. */
export const recordRoutes = new Hono<AppEnv>();

const STORE_TARGETS: readonly StoreTarget[] = ["online", "offline"];
const PUT_KEYS = new Set(["record", "targetStores", "ttl"]);

function parseTargets(raw: unknown, field: string): Result<StoreTarget[] | undefined> {
  if (raw === undefined) return ok(undefined);
  if (!Array.isArray(raw) || !raw.every((t): t is StoreTarget => (STORE_TARGETS as readonly unknown[]).includes(t))) {
    return invalid(field, `must be a list of ${STORE_TARGETS.join(", ")}`);
  }
  return ok(raw);
}

interface PutBody {
  record: Record<string, unknown>;
  targetStores?: StoreTarget[];
  ttl?: TtlDuration;
}

function parsePutBody(body: unknown): Result<PutBody> {
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

/** `{"record":<stored JSON>,"expiresAt":...}` without re-encoding the record. */
function recordJson(record: StoredRecord): string {
  const expires = record.expiresAtMs === null ? "" : `,"expiresAt":"${isoFromEpochMs(record.expiresAtMs)}"`;
  return `{"record":${record.body}${expires}}`;
}

recordRoutes.put("/feature-groups/:name/records", authorize("sagemaker:PutRecord", groupParam), async (c) => {
  const body = orThrow(parsePutBody(orThrow(await readJsonBody(c.req.raw, MAX_PUT_BODY_BYTES))));
  const result = orThrow(
    await putRecord(c.get("store"), {
      featureGroup: c.req.param("name"),
      entries: Object.entries(body.record),
      encoding: "typed",
      fieldOf: (feature) => `record.${feature}`,
      targetStoresField: "targetStores",
      ...(body.ttl ? { ttl: body.ttl } : {}),
      ...(body.targetStores ? { targetStores: body.targetStores } : {}),
    }),
  );
  return c.json({
    online: result.online,
    offline: result.offline,
    ...(result.expiresAtMs !== null ? { expiresAt: isoFromEpochMs(result.expiresAtMs) } : {}),
  });
});

recordRoutes.get("/feature-groups/:name/records", authorize("sagemaker:ListRecords", groupParam), async (c) => {
  const nextToken = c.req.query("nextToken");
  const page = orThrow(
    await listRecords(c.get("store"), {
      featureGroup: c.req.param("name"),
      limit: orThrow(intParam(c, "limit", 1, 1000, 100)),
      nextTokenField: "nextToken",
      includeSoftDeleted: orThrow(enumParam(c, "includeSoftDeleted", ["true", "false"] as const, "false")) === "true",
      ...(nextToken ? { nextToken } : {}),
    }),
  );
  return c.json(page);
});

const PATCH_KEYS = new Set(["features", "targetStores", "ttl"]);

recordRoutes.patch("/feature-groups/:name/records/:id", authorize("sagemaker:UpdateRecord", groupParam), async (c) => {
  const body = orThrow(asObject(orThrow(await readJsonBody(c.req.raw, MAX_PUT_BODY_BYTES)), "body"));
  const unknownKey = Object.keys(body).find((k) => !PATCH_KEYS.has(k));
  if (unknownKey !== undefined) orThrow(invalid(unknownKey, "is not a field of a record update (expected features, targetStores, ttl)"));
  const features = orThrow(asObject(body.features, "features"));
  const targetStores = orThrow(parseTargets(body.targetStores, "targetStores"));
  const ttl = body.ttl === undefined ? undefined : orThrow(parseTtl("ttl", body.ttl));
  const result = orThrow(
    await updateRecord(c.get("store"), {
      featureGroup: c.req.param("name"),
      recordIdentifier: c.req.param("id"),
      recordIdentifierField: "recordIdentifier",
      entries: Object.entries(features),
      encoding: "typed",
      featuresField: "features",
      fieldOf: (feature) => `features.${feature}`,
      targetStoresField: "targetStores",
      ...(ttl ? { ttl } : {}),
      ...(targetStores ? { targetStores } : {}),
    }),
  );
  return c.json(result.expiresAtMs !== null ? { expiresAt: isoFromEpochMs(result.expiresAtMs) } : {});
});

recordRoutes.get("/feature-groups/:name/records/:id", authorize("sagemaker:GetRecord", groupParam), async (c) => {
  const featureGroup = c.req.param("name");
  const recordIdentifier = c.req.param("id");
  const record = orThrow(
    await getRecord(c.get("store"), {
      featureGroup,
      recordIdentifier,
      recordIdentifierField: "recordIdentifier",
      features: listParam(c, "features"),
      featuresField: "features",
    }),
  );
  if (!record) throw new FailureError({ reason: "record_not_found", featureGroup, recordIdentifier });
  return rawJson(recordJson(record));
});

recordRoutes.delete("/feature-groups/:name/records/:id", authorize("sagemaker:DeleteRecord", groupParam), async (c) => {
  const eventTime = c.req.query("eventTime");
  if (eventTime === undefined) throw new FailureError({ reason: "invalid_field", field: "eventTime", rule: "is required (the deletion's event time)" });
  const mode = orThrow(enumParam(c, "mode", ["soft", "hard"] as const, "soft"));
  const targets = listParam(c, "targetStores");
  const result = orThrow(
    await deleteRecord(c.get("store"), {
      featureGroup: c.req.param("name"),
      recordIdentifier: c.req.param("id"),
      recordIdentifierField: "recordIdentifier",
      eventTime,
      eventTimeField: "eventTime",
      mode,
      targetStoresField: "targetStores",
      ...(targets.length ? { targetStores: orThrow(parseTargets(targets, "targetStores")) ?? [] } : {}),
    }),
  );
  return c.json(result);
});

function parseBatchGet(body: unknown): Result<BatchGetRequest[]> {
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

recordRoutes.post("/records/batch-get", authorize("sagemaker:BatchGetRecord", bodyGroups(MAX_BATCH_GET_BODY_BYTES, membersOf("requests", "featureGroup"))), async (c) => {
  const requests = orThrow(parseBatchGet(orThrow(await readJsonBody(c.req.raw, MAX_BATCH_GET_BODY_BYTES))));
  const result = await batchGetRecords(c.get("store"), requests, (i) => `requests[${i}]`);
  // Records are spliced in as stored JSON text: no parse and re-encode per record.
  const records = result.found.map(
    ({ featureGroup, record }) =>
      `{"featureGroup":${JSON.stringify(featureGroup)},"recordIdentifier":${JSON.stringify(record.recordIdentifier)},${recordJson(record).slice(1)}`,
  );
  const errors = result.errors.map(({ featureGroup, recordIdentifier, failure }) => ({
    featureGroup,
    ...(recordIdentifier !== undefined ? { recordIdentifier } : {}),
    error: { code: failure.reason, message: failureMessage(failure) },
  }));
  const unprocessed = result.unprocessed.map((r) => ({ featureGroup: r.featureGroup, recordIdentifiers: r.recordIdentifiers, ...(r.features.length ? { features: r.features } : {}) }));
  return rawJson(
    `{"records":[${records.join(",")}],"misses":${JSON.stringify(result.misses)},"errors":${JSON.stringify(errors)},"unprocessed":${JSON.stringify(unprocessed)}}`,
  );
});
