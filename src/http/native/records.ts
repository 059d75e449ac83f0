import { Hono } from "hono";
import { FailureError, invalid, orThrow } from "../../failure";
import { isoFromEpochMs, MAX_BATCH_GET_BODY_BYTES, MAX_PUT_BODY_BYTES, parseTtl } from "../../records";
import type { StoredRecord } from "../../online";
import { batchGetRecords, deleteRecord, getRecord, listRecords, MAX_STALENESS_MS, putRecord, updateRecord } from "../../service";
import { asObject, readJsonBody } from "../body";
import type { AppContext, AppEnv } from "../context";
import { authorize } from "../authorize";
import { bodyGroups, groupParam, membersOf } from "../resources";
import { failureMessage } from "../failures";
import { enumParam, intParam, listParam } from "../query";
import { rawJson } from "../render";
import { parseBatchGet, parsePutBody, parseTargets } from "./record-input";

/** Record routes: put, get and delete one record, and batch get. */
export const recordRoutes = new Hono<AppEnv>();

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

/** A read's bound on staleness (`?maxStalenessMs=`, 0 = strongly consistent, the default). */
const stalenessParam = (c: AppContext) => orThrow(intParam(c, "maxStalenessMs", 0, MAX_STALENESS_MS, 0));

/** `Age` (whole seconds, as HTTP caches state it) and the exact age in ms, for reads that asked for a bound. */
const ageHeaders = (ageMs: number): Record<string, string> => ({ age: String(Math.floor(ageMs / 1000)), "x-record-age-ms": String(ageMs) });

recordRoutes.get("/feature-groups/:name/records/:id", authorize("sagemaker:GetRecord", groupParam), async (c) => {
  const featureGroup = c.req.param("name");
  const recordIdentifier = c.req.param("id");
  const maxStalenessMs = stalenessParam(c);
  const record = orThrow(
    await getRecord(c.get("store"), {
      featureGroup,
      recordIdentifier,
      recordIdentifierField: "recordIdentifier",
      features: listParam(c, "features"),
      featuresField: "features",
      maxStalenessMs,
    }),
  );
  if (!record) throw new FailureError({ reason: "record_not_found", featureGroup, recordIdentifier });
  return rawJson(recordJson(record), maxStalenessMs > 0 ? ageHeaders(record.ageMs) : {});
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

recordRoutes.post("/records/batch-get", authorize("sagemaker:BatchGetRecord", bodyGroups(MAX_BATCH_GET_BODY_BYTES, membersOf("requests", "featureGroup"))), async (c) => {
  const maxStalenessMs = stalenessParam(c);
  const requests = orThrow(parseBatchGet(orThrow(await readJsonBody(c.req.raw, MAX_BATCH_GET_BODY_BYTES))));
  const result = await batchGetRecords(c.get("store"), requests, (i) => `requests[${i}]`, { maxStalenessMs });
  // Records are spliced in as stored JSON text: no parse and re-encode per record.
  const records = result.found.map(
    ({ featureGroup, record, ageMs }) =>
      `{"featureGroup":${JSON.stringify(featureGroup)},"recordIdentifier":${JSON.stringify(record.recordIdentifier)},${maxStalenessMs > 0 ? `"ageMs":${ageMs},` : ""}${recordJson(record).slice(1)}`,
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
