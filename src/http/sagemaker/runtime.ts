import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { FailureError, invalid, ok, orThrow, type Result } from "../../failure";
import { MAX_BATCH_GET_BODY_BYTES, MAX_PUT_BODY_BYTES, type TtlDuration } from "../../records";
import { batchGetRecords, deleteRecord, getRecord, listRecords, putRecord, updateRecord, type BatchGetRequest } from "../../service";
import { asObject, readJsonBody } from "../body";
import type { AppContext, AppEnv } from "../context";
import { wireError } from "./errors";
import { authorize } from "../authorize";
import { membersOf, sageMakerBodyGroups, sageMakerGroupParam } from "../resources";
import { expirationWanted, featureGroupName, recordEntries, targetStores, ttlDuration, wireRecordResult } from "./wire";

/**
 * SageMaker Feature Store runtime (restJson1), on the core both APIs share.
 * Paths, members and limits follow the service model in
 * @aws-sdk/client-sagemaker-featurestore-runtime.
 */
export const runtimeApi = new Hono<AppEnv>();

const MAX_BATCH_WRITE_ENTRIES = 25;
const MAX_BATCH_GET_IDENTIFIERS = 100;

/** Names the operation, so errors render in its shape (see errors.ts). */
const operation = (name: string) =>
  createMiddleware<AppEnv>(async (c, next) => {
    c.set("wire", { api: "runtime", operation: name });
    await next();
  });

const groupParam = (c: AppContext) => featureGroupName(c.req.param("name") ?? "", c.env.FS_ACCOUNT_ID);
const fieldOf = (feature: string) => `Record.${feature}`;

async function jsonBody(c: AppContext, maxBytes: number): Promise<Record<string, unknown>> {
  return orThrow(asObject(orThrow(await readJsonBody(c.req.raw, maxBytes)), "body"));
}

function requiredQuery(c: AppContext, name: string): string {
  const value = c.req.query(name);
  if (value === undefined) throw new FailureError({ reason: "invalid_field", field: name, rule: "is required" });
  return value;
}

runtimeApi.put("/FeatureGroup/:name", operation("PutRecord"), authorize("sagemaker:PutRecord", sageMakerGroupParam), async (c) => {
  const body = await jsonBody(c, MAX_PUT_BODY_BYTES);
  const targets = orThrow(targetStores(body.TargetStores, "TargetStores"));
  const ttl = orThrow(ttlDuration(body.TtlDuration, "TtlDuration"));
  orThrow(
    await putRecord(c.get("store"), {
      featureGroup: groupParam(c),
      entries: orThrow(recordEntries(body.Record, "Record")),
      encoding: "strings",
      fieldOf,
      targetStoresField: "TargetStores",
      ...(targets ? { targetStores: targets } : {}),
      ...(ttl ? { ttl } : {}),
    }),
  );
  return c.json({});
});

runtimeApi.get("/FeatureGroup/:name", operation("GetRecord"), authorize("sagemaker:GetRecord", sageMakerGroupParam), async (c) => {
  const withExpiry = orThrow(expirationWanted(c.req.query("ExpirationTimeResponse"), "ExpirationTimeResponse"));
  const record = orThrow(
    await getRecord(c.get("store"), {
      featureGroup: groupParam(c),
      recordIdentifier: requiredQuery(c, "RecordIdentifierValueAsString"),
      recordIdentifierField: "RecordIdentifierValueAsString",
      features: c.req.queries("FeatureName") ?? [],
      featuresField: "FeatureName",
    }),
  );
  // A miss is 200 with an empty body, as the real service answers.
  return c.json(record ? wireRecordResult(record, withExpiry) : {});
});

runtimeApi.delete("/FeatureGroup/:name", operation("DeleteRecord"), authorize("sagemaker:DeleteRecord", sageMakerGroupParam), async (c) => {
  const mode = c.req.query("DeletionMode") ?? "SoftDelete";
  if (mode !== "SoftDelete" && mode !== "HardDelete") orThrow(invalid("DeletionMode", "must be SoftDelete or HardDelete"));
  const queried = c.req.queries("TargetStores");
  const targets = orThrow(targetStores(queried, "TargetStores"));
  orThrow(
    await deleteRecord(c.get("store"), {
      featureGroup: groupParam(c),
      recordIdentifier: requiredQuery(c, "RecordIdentifierValueAsString"),
      recordIdentifierField: "RecordIdentifierValueAsString",
      eventTime: requiredQuery(c, "EventTime"),
      eventTimeField: "EventTime",
      mode: mode === "HardDelete" ? "hard" : "soft",
      targetStoresField: "TargetStores",
      ...(targets ? { targetStores: targets } : {}),
    }),
  );
  return c.json({});
});

runtimeApi.post("/FeatureGroup/:name/ListRecords", operation("ListRecords"), authorize("sagemaker:ListRecords", sageMakerGroupParam), async (c) => {
  const body = await jsonBody(c, MAX_PUT_BODY_BYTES);
  const { MaxResults, NextToken, IncludeSoftDeletedRecords } = body;
  if (MaxResults !== undefined && (!Number.isInteger(MaxResults) || (MaxResults as number) < 1 || (MaxResults as number) > 100)) {
    orThrow(invalid("MaxResults", "must be an integer from 1 to 100"));
  }
  if (NextToken !== undefined && typeof NextToken !== "string") orThrow(invalid("NextToken", "must be a string"));
  if (IncludeSoftDeletedRecords !== undefined && typeof IncludeSoftDeletedRecords !== "boolean") orThrow(invalid("IncludeSoftDeletedRecords", "must be a boolean"));
  const page = orThrow(
    await listRecords(c.get("store"), {
      featureGroup: groupParam(c),
      limit: (MaxResults as number | undefined) ?? 100,
      nextTokenField: "NextToken",
      includeSoftDeleted: IncludeSoftDeletedRecords === true,
      ...(typeof NextToken === "string" && NextToken !== "" ? { nextToken: NextToken } : {}),
    }),
  );
  return c.json({ RecordIdentifiers: page.recordIdentifiers, ...(page.nextToken ? { NextToken: page.nextToken } : {}) });
});

runtimeApi.post("/FeatureGroup/:name/Record", operation("UpdateRecord"), authorize("sagemaker:UpdateRecord", sageMakerGroupParam), async (c) => {
  const body = await jsonBody(c, MAX_PUT_BODY_BYTES);
  const id = body.RecordIdentifierValueAsString;
  if (typeof id !== "string") orThrow(invalid("RecordIdentifierValueAsString", "is required"));
  const targets = orThrow(targetStores(body.TargetStores, "TargetStores"));
  const ttl = orThrow(ttlDuration(body.TtlDuration, "TtlDuration"));
  orThrow(
    await updateRecord(c.get("store"), {
      featureGroup: groupParam(c),
      recordIdentifier: id as string,
      recordIdentifierField: "RecordIdentifierValueAsString",
      entries: orThrow(recordEntries(body.Features, "Features")),
      encoding: "strings",
      featuresField: "Features",
      fieldOf: (feature) => `Features.${feature}`,
      targetStoresField: "TargetStores",
      ...(targets ? { targetStores: targets } : {}),
      ...(ttl ? { ttl } : {}),
    }),
  );
  return c.json({});
});

interface WireIdentifiers {
  requested: string;
  request: BatchGetRequest;
}

function parseIdentifiers(raw: unknown, accountId: string): Result<WireIdentifiers[]> {
  if (!Array.isArray(raw) || raw.length < 1 || raw.length > 100) return invalid("Identifiers", "must be a list of 1 to 100 BatchGetRecordIdentifier");
  const out: WireIdentifiers[] = [];
  for (const [i, item] of raw.entries()) {
    const field = `Identifiers[${i}]`;
    const object = asObject(item, field);
    if (!object.ok) return object;
    const { FeatureGroupName, RecordIdentifiersValueAsString: ids, FeatureNames } = object.value;
    if (typeof FeatureGroupName !== "string") return invalid(`${field}.FeatureGroupName`, "is required");
    if (!Array.isArray(ids) || ids.length < 1 || ids.length > MAX_BATCH_GET_IDENTIFIERS || !ids.every((id) => typeof id === "string")) {
      return invalid(`${field}.RecordIdentifiersValueAsString`, `must be a list of 1 to ${MAX_BATCH_GET_IDENTIFIERS} strings`);
    }
    if (FeatureNames !== undefined && (!Array.isArray(FeatureNames) || !FeatureNames.every((f) => typeof f === "string"))) {
      return invalid(`${field}.FeatureNames`, "must be a list of feature names");
    }
    out.push({
      requested: FeatureGroupName,
      request: { featureGroup: featureGroupName(FeatureGroupName, accountId), recordIdentifiers: ids as string[], features: (FeatureNames as string[] | undefined) ?? [] },
    });
  }
  return ok(out);
}

runtimeApi.post("/BatchGetRecord", operation("BatchGetRecord"), authorize("sagemaker:BatchGetRecord", sageMakerBodyGroups(MAX_BATCH_GET_BODY_BYTES, membersOf("Identifiers", "FeatureGroupName"))), async (c) => {
  const body = await jsonBody(c, MAX_BATCH_GET_BODY_BYTES);
  const withExpiry = orThrow(expirationWanted(body.ExpirationTimeResponse, "ExpirationTimeResponse"));
  const identifiers = orThrow(parseIdentifiers(body.Identifiers, c.env.FS_ACCOUNT_ID));
  const result = await batchGetRecords(c.get("store"), identifiers.map((i) => i.request), (i) => `Identifiers[${i}]`);
  // Results name groups as the client did (a name or an ARN).
  const requestedName = new Map(identifiers.map((i) => [i.request.featureGroup, i.requested]));
  const asRequested = (name: string) => requestedName.get(name) ?? name;
  const Errors = result.errors.flatMap(({ featureGroup, recordIdentifier, failure }) => {
    const error = wireError(failure, "runtime", "BatchGetRecord");
    // A group-level failure is reported for each of its identifiers: the model requires one per error.
    const ids = recordIdentifier !== undefined ? [recordIdentifier] : (identifiers.find((i) => i.request.featureGroup === featureGroup)?.request.recordIdentifiers ?? []);
    return ids.map((id) => ({ FeatureGroupName: asRequested(featureGroup), RecordIdentifierValueAsString: id, ErrorCode: error.code, ErrorMessage: error.message }));
  });
  return c.json({
    Records: result.found.map(({ featureGroup, record }) => ({
      FeatureGroupName: asRequested(featureGroup),
      RecordIdentifierValueAsString: record.recordIdentifier,
      ...wireRecordResult(record, withExpiry),
    })),
    Errors,
    UnprocessedIdentifiers: result.unprocessed.map((r) => ({
      FeatureGroupName: asRequested(r.featureGroup),
      RecordIdentifiersValueAsString: r.recordIdentifiers,
      ...(r.features.length ? { FeatureNames: r.features } : {}),
    })),
  });
});

runtimeApi.post("/BatchWriteRecord", operation("BatchWriteRecord"), authorize("sagemaker:BatchWriteRecord", sageMakerBodyGroups(MAX_BATCH_GET_BODY_BYTES, membersOf("Entries", "FeatureGroupName"))), async (c) => {
  const body = await jsonBody(c, MAX_BATCH_GET_BODY_BYTES);
  const entries = body.Entries;
  if (!Array.isArray(entries) || entries.length < 1 || entries.length > MAX_BATCH_WRITE_ENTRIES) {
    orThrow(invalid("Entries", `must be a list of 1 to ${MAX_BATCH_WRITE_ENTRIES} BatchWriteRecordEntry`));
  }
  const defaultTtl = orThrow(ttlDuration(body.TtlDuration, "TtlDuration"));
  const Errors: { Entry: unknown; ErrorCode: string; ErrorMessage: string }[] = [];
  // In order, so two entries for one record apply as two consecutive puts would.
  for (const [i, raw] of (entries as unknown[]).entries()) {
    const outcome = await writeEntry(c, raw, `Entries[${i}]`, defaultTtl);
    if (!outcome.ok) {
      const error = wireError(outcome.failure, "runtime", "PutRecord");
      Errors.push({ Entry: raw, ErrorCode: error.code, ErrorMessage: error.message });
    }
  }
  return c.json({ Errors, UnprocessedEntries: [] });
});

async function writeEntry(c: AppContext, raw: unknown, field: string, defaultTtl: TtlDuration | undefined): Promise<Result<unknown>> {
  const entry = asObject(raw, field);
  if (!entry.ok) return entry;
  const { FeatureGroupName, Record, TargetStores, TtlDuration } = entry.value;
  if (typeof FeatureGroupName !== "string") return invalid(`${field}.FeatureGroupName`, "is required");
  const record = recordEntries(Record, `${field}.Record`);
  if (!record.ok) return record;
  const targets = targetStores(TargetStores, `${field}.TargetStores`);
  if (!targets.ok) return targets;
  const ttl = ttlDuration(TtlDuration, `${field}.TtlDuration`);
  if (!ttl.ok) return ttl;
  const effectiveTtl = ttl.value ?? defaultTtl;
  return putRecord(c.get("store"), {
    featureGroup: featureGroupName(FeatureGroupName, c.env.FS_ACCOUNT_ID),
    entries: record.value,
    encoding: "strings",
    fieldOf: (feature) => `${field}.Record.${feature}`,
    targetStoresField: `${field}.TargetStores`,
    ...(targets.value ? { targetStores: targets.value } : {}),
    ...(effectiveTtl ? { ttl: effectiveTtl } : {}),
  });
}
