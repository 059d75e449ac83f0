import { z } from "zod";
import { FailureError, orThrow } from "../../failure";
import { isoFromEpochMs, MAX_BATCH_GET_BODY_BYTES, MAX_PUT_BODY_BYTES } from "../../records";
import type { StoredRecord } from "../../online";
import { batchGetRecords, deleteRecord, getRecord, listRecords, MAX_STALENESS_MS, putRecord, updateRecord } from "../../service";
import { bodyGroups, groupParam, membersOf } from "../resources";
import { failureMessage } from "../failures";
import { rawJson } from "../render";
import { RouteGroup } from "../route";
import { batchGetBodySchema, batchGetRequests, putBodySchema, targetStoresSchema, updateBodySchema } from "./record-input";
import { enumQuery, groupPath, intQuery, listQuery, pathParam, stringQuery } from "./schemas/common";
import { batchGetResponse, deleteRecordResponse, listRecordsResponse, putRecordResponse, recordResponse, updateRecordResponse } from "./schemas/records";

/** Record routes: put, get, update and delete one record, list identifiers, and batch get. */
export const recordRoutes = new RouteGroup("/");

/** `{"record":<stored JSON>,"expiresAt":...}` without re-encoding the record. */
function recordJson(record: StoredRecord): string {
  const expires = record.expiresAtMs === null ? "" : `,"expiresAt":"${isoFromEpochMs(record.expiresAtMs)}"`;
  return `{"record":${record.body}${expires}}`;
}

const recordPath = groupPath.extend({ id: pathParam("The record identifier.") });

/** A read's bound on staleness (`?maxStalenessMs=`, 0 = strongly consistent, the default). */
const stalenessQuery = intQuery(0, MAX_STALENESS_MS, 0, "How stale (ms) a read may be, served from a replica's cache; 0 reads the shard.");

/** `Age` (whole seconds, as HTTP caches state it) and the exact age in ms, for reads that asked for a bound. */
const ageHeaders = (ageMs: number): Record<string, string> => ({ age: String(Math.floor(ageMs / 1000)), "x-record-age-ms": String(ageMs) });

recordRoutes.add(
  {
    method: "put",
    path: "/feature-groups/:name/records",
    operationId: "putRecord",
    summary: "Write one record (a newer event time replaces the stored record)",
    tag: "Records",
    action: "sagemaker:PutRecord",
    groups: groupParam,
    params: groupPath,
    body: { schema: putBodySchema, maxBytes: MAX_PUT_BODY_BYTES },
    responses: [{ status: 200, description: "Where the record went.", schema: putRecordResponse }],
    example: { params: { name: "users" }, body: { record: { user_id: "u1", event_time: "2026-11-25T08:00:00Z", age: 31 }, targetStores: ["online"], ttl: { unit: "Days", value: 30 } } },
  },
  async (c, { params, body }) => {
    const result = orThrow(
      await putRecord(c.get("store"), {
        featureGroup: params.name,
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
  },
);

recordRoutes.add(
  {
    method: "get",
    path: "/feature-groups/:name/records",
    operationId: "listRecords",
    summary: "List record identifiers of the online store, a page at a time",
    tag: "Records",
    action: "sagemaker:ListRecords",
    groups: groupParam,
    params: groupPath,
    query: z.object({
      limit: intQuery(1, 1000, 100, "Identifiers per page."),
      nextToken: stringQuery("The token of the previous page."),
      includeSoftDeleted: enumQuery(["true", "false"], "false", "Whether soft-deleted records are listed."),
    }),
    responses: [{ status: 200, description: "A page of identifiers.", schema: listRecordsResponse }],
    example: { params: { name: "users" }, query: { limit: "100" } },
  },
  async (c, { params, query }) => {
    const page = orThrow(
      await listRecords(c.get("store"), {
        featureGroup: params.name,
        limit: query.limit,
        nextTokenField: "nextToken",
        includeSoftDeleted: query.includeSoftDeleted === "true",
        ...(query.nextToken ? { nextToken: query.nextToken } : {}),
      }),
    );
    return c.json(page);
  },
);

recordRoutes.add(
  {
    method: "patch",
    path: "/feature-groups/:name/records/:id",
    operationId: "updateRecord",
    summary: "Change some features of a stored record",
    tag: "Records",
    action: "sagemaker:UpdateRecord",
    groups: groupParam,
    params: recordPath,
    body: { schema: updateBodySchema, maxBytes: MAX_PUT_BODY_BYTES },
    responses: [{ status: 200, description: "The record's expiry, when it has one.", schema: updateRecordResponse }],
    example: { params: { name: "users", id: "u1" }, body: { features: { event_time: "2026-11-25T09:00:00Z", age: 32 } } },
  },
  async (c, { params, body }) => {
    const result = orThrow(
      await updateRecord(c.get("store"), {
        featureGroup: params.name,
        recordIdentifier: params.id,
        recordIdentifierField: "recordIdentifier",
        entries: Object.entries(body.features),
        encoding: "typed",
        featuresField: "features",
        fieldOf: (feature) => `features.${feature}`,
        targetStoresField: "targetStores",
        ...(body.ttl ? { ttl: body.ttl } : {}),
        ...(body.targetStores ? { targetStores: body.targetStores } : {}),
      }),
    );
    return c.json(result.expiresAtMs !== null ? { expiresAt: isoFromEpochMs(result.expiresAtMs) } : {});
  },
);

recordRoutes.add(
  {
    method: "get",
    path: "/feature-groups/:name/records/:id",
    operationId: "getRecord",
    summary: "Read one record from the online store",
    tag: "Records",
    action: "sagemaker:GetRecord",
    groups: groupParam,
    params: recordPath,
    query: z.object({ features: listQuery("Features to return (default: all)."), maxStalenessMs: stalenessQuery }),
    responses: [
      {
        status: 200,
        description: "The record. With maxStalenessMs above 0, `Age` and `x-record-age-ms` say how old the answer is.",
        schema: recordResponse,
        headers: { age: "Seconds since the answer was read from the shard.", "x-record-age-ms": "The same, in milliseconds." },
      },
    ],
    example: { params: { name: "users", id: "u1" }, query: { features: ["age", "city"] } },
  },
  async (c, { params, query }) => {
    const record = orThrow(
      await getRecord(c.get("store"), {
        featureGroup: params.name,
        recordIdentifier: params.id,
        recordIdentifierField: "recordIdentifier",
        features: query.features ?? [],
        featuresField: "features",
        maxStalenessMs: query.maxStalenessMs,
      }),
    );
    if (!record) throw new FailureError({ reason: "record_not_found", featureGroup: params.name, recordIdentifier: params.id });
    return rawJson(recordJson(record), query.maxStalenessMs > 0 ? ageHeaders(record.ageMs) : {});
  },
);

recordRoutes.add(
  {
    method: "delete",
    path: "/feature-groups/:name/records/:id",
    operationId: "deleteRecord",
    summary: "Delete a record (soft: a tombstone; hard: removed)",
    tag: "Records",
    action: "sagemaker:DeleteRecord",
    groups: groupParam,
    params: recordPath,
    query: z.object({
      eventTime: z.string({ error: "is required (the deletion's event time)" }).describe("The deletion's event time, in the group's event-time format."),
      mode: enumQuery(["soft", "hard"], "soft", "Soft keeps a tombstone; hard removes the record."),
      targetStores: targetStoresSchema,
    }),
    responses: [{ status: 200, description: "What each store did.", schema: deleteRecordResponse }],
    example: { params: { name: "users", id: "u1" }, query: { eventTime: "2026-11-25T10:00:00Z", mode: "soft" } },
  },
  async (c, { params, query }) => {
    const result = orThrow(
      await deleteRecord(c.get("store"), {
        featureGroup: params.name,
        recordIdentifier: params.id,
        recordIdentifierField: "recordIdentifier",
        eventTime: query.eventTime,
        eventTimeField: "eventTime",
        mode: query.mode,
        targetStoresField: "targetStores",
        ...(query.targetStores ? { targetStores: query.targetStores } : {}),
      }),
    );
    return c.json(result);
  },
);

recordRoutes.add(
  {
    method: "post",
    path: "/records/batch-get",
    operationId: "batchGetRecords",
    summary: "Read records of one or more groups in one request",
    tag: "Records",
    action: "sagemaker:BatchGetRecord",
    groups: bodyGroups(MAX_BATCH_GET_BODY_BYTES, membersOf("requests", "featureGroup")),
    query: z.object({ maxStalenessMs: stalenessQuery }),
    body: { schema: batchGetBodySchema, maxBytes: MAX_BATCH_GET_BODY_BYTES },
    responses: [{ status: 200, description: "Found records, misses, per-item errors and identifiers to retry.", schema: batchGetResponse }],
    example: { body: { requests: [{ featureGroup: "users", recordIdentifiers: ["u1", "u2"], features: ["age"] }] } },
  },
  async (c, { query, body }) => {
    const maxStalenessMs = query.maxStalenessMs;
    const result = await batchGetRecords(c.get("store"), batchGetRequests(body), (i) => `requests[${i}]`, { maxStalenessMs });
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
  },
);
