import { NAME_PATTERN } from "../../src/records";
import { rawPercent, brokenJson, hostileNumber, hostileObject, hostileQueryValue, hostileSegment, hostileString, hostileValue } from "./hostile";
import type { Prng } from "./prng";

/**
 * Every route the fuzzer drives, one entry each. A new route is one line:
 * `{ name, api, mutating, build: (r, fx) => request }`, usually built from
 * the helpers below (`jsonRequest`, `groupSegment`, `broken`).
 *
 * `mutating` routes must be given input that is invalid somewhere (each
 * builder plants at least one "breaker"), so any 2xx from them is a finding,
 * unless `partial` says the route answers 200 while reporting per-item
 * failures (nothing is written either way; the store snapshot checks that).
 */

export interface Fixture {
  /** Online-only group: id String, ts String, age Integral, score Fractional, city String, tags String List. */
  online: string;
  /** Offline-enabled group (settled, with records). */
  offline: string;
  /** Offline-enabled group with an Integral identifier, a Fractional (epoch seconds) event time and a Vector feature. */
  numeric: string;
  ids: readonly string[];
  features: readonly string[];
  accountId: string;
}

export interface FuzzRequest {
  method: string;
  /** Path and query exactly as sent (already percent-encoded). */
  path: string;
  headers?: Record<string, string>;
  /** Text (sent as UTF-8) or raw bytes (which need not be UTF-8). */
  body?: string | Uint8Array;
}

export type ApiKind = "native" | "runtime" | "control";

export interface FuzzRoute {
  name: string;
  api: ApiKind;
  mutating: boolean;
  partial?: boolean;
  build(r: Prng, fx: Fixture): FuzzRequest;
}

// ---------- building blocks ----------

const JSON_TYPE = { "content-type": "application/json" };

/** A fixture group (only for routes where naming it cannot mutate), an encoded spelling of it, or a hostile segment. */
export function groupSegment(r: Prng, fx: Fixture, mayNameFixture: boolean): string {
  if (mayNameFixture && r.chance(0.6)) {
    const name = r.pick([fx.online, fx.offline, fx.numeric]);
    return r.chance(0.8) ? name : Array.from(name, (ch) => `%${ch.charCodeAt(0).toString(16)}`).join("");
  }
  return hostileName(r);
}

/** A name that can never be a valid group name, so no request can address (or create) a real group with it. */
export function hostileName(r: Prng): string {
  const segment = hostileSegment(r);
  let decoded = segment;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    return segment;
  }
  return NAME_PATTERN.test(decoded) ? `${segment}%2e%2e%00` : segment;
}

function idSegment(r: Prng, fx: Fixture): string {
  return r.chance(0.4) ? encodeURIComponent(r.pick(fx.ids)) : r.chance(0.1) ? r.pick(["7", "007", "-1", "9223372036854775808", "1e3", "0x1"]) : hostileSegment(r);
}

/** A body: usually JSON of the value, sometimes broken text. */
function jsonText(r: Prng, value: unknown): string {
  return r.chance(0.15) ? brokenJson(r) : JSON.stringify(value);
}

function jsonRequest(method: string, path: string, r: Prng, value: unknown): FuzzRequest {
  return { method, path, headers: JSON_TYPE, body: jsonText(r, value) };
}

function query(r: Prng, names: readonly string[]): string {
  const parts = names.filter(() => r.chance(0.6)).map((n) => `${r.chance(0.9) ? n : rawPercent(hostileString(r).slice(0, 20))}=${hostileQueryValue(r)}`);
  if (r.chance(0.1)) parts.push(...parts); // repeated parameters
  return parts.length ? `?${parts.join("&")}` : "";
}

const EVENT_TIME_BREAKERS = ["", "yesterday", "2026-13-45T25:61:61Z", "2026-01-01", "2026-01-01T00:00:00", "2026-01-01T00:00:00+01:00", "10000-01-01T00:00:00Z", "2026-02-30T00:00:00Z", "1e309", "NaN", "\u0000", "\ud800"];

/** A valid-looking record of the online group with noise in its values. */
function noisyRecord(r: Prng, fx: Fixture): Record<string, unknown> {
  return {
    id: r.chance(0.5) ? r.pick(fx.ids) : hostileString(r),
    ts: r.chance(0.5) ? "2026-01-01T00:00:00Z" : hostileValue(r),
    ...(r.chance(0.5) ? { city: hostileString(r) } : {}),
    ...(r.chance(0.3) ? { age: r.chance(0.5) ? hostileNumber(r) : hostileValue(r) } : {}),
    ...(r.chance(0.3) ? { score: hostileValue(r) } : {}),
    ...(r.chance(0.3) ? { tags: hostileValue(r) } : {}),
  };
}

/**
 * A record guaranteed invalid: one of the ways a record can break, over
 * noise. An update names its record elsewhere, so leaving the identifier out
 * breaks only a full record.
 */
function brokenRecord(r: Prng, fx: Fixture, full = true): Record<string, unknown> {
  const record = noisyRecord(r, fx);
  switch (r.int(0, 5)) {
    case 0:
      return { ...record, ts: r.pick(EVENT_TIME_BREAKERS) };
    case 1: {
      if (!full) return { ...record, ts: r.pick(EVENT_TIME_BREAKERS) };
      const { id: _dropped, ...rest } = record;
      return rest;
    }
    case 2:
      return { ...record, [`${hostileString(r).slice(0, 40)}\u0000x`]: hostileValue(r) };
    case 3:
      return { ...record, age: r.pick(["abc", 1.5, 2 ** 60, true, [], {}, "9223372036854775808"]) };
    case 4:
      return { ...record, score: r.pick(["x", true, [1], {}, "Infinity"]) };
    default:
      return { ...record, ts: r.pick(EVENT_TIME_BREAKERS), id: r.pick([null, 1.5, [], {}, ""]) };
  }
}

/** SageMaker's Record list from a record object, values as strings (or not). */
function wireRecord(r: Prng, record: Record<string, unknown>): unknown[] {
  return Object.entries(record).map(([FeatureName, value]) =>
    r.chance(0.85) ? { FeatureName, ValueAsString: typeof value === "string" ? value : JSON.stringify(value) ?? "" } : { FeatureName, ValueAsStringList: r.chance(0.5) ? [hostileString(r)] : hostileValue(r) },
  );
}

/** A wire Record guaranteed invalid (event time never valid, or, for a full record, the identifier missing). */
function brokenWireRecord(r: Prng, fx: Fixture, full = true): unknown {
  if (r.chance(0.1)) return r.pick([null, 1, "Record", {}, { FeatureName: "id" }]);
  const record = noisyRecord(r, fx);
  return wireRecord(r, !full || r.chance(0.7) ? { ...record, ts: r.pick(EVENT_TIME_BREAKERS) } : (({ id: _id, ...rest }) => rest)(record));
}

function control(target: string, r: Prng, value: unknown): FuzzRequest {
  return { method: "POST", path: "/", headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `SageMaker.${target}` }, body: jsonText(r, value) };
}

const invalidGroupDefinition = (r: Prng) => ({
  name: hostileName(r),
  recordIdentifierFeature: r.chance(0.8) ? "id" : hostileValue(r),
  eventTimeFeature: r.chance(0.8) ? "ts" : hostileValue(r),
  features: r.chance(0.7) ? [{ name: "id", type: "String" }, { name: "ts", type: "String" }, ...(r.chance(0.5) ? [{ name: hostileString(r), type: r.pick(["String", "Blob", hostileString(r)]) }] : [])] : hostileValue(r),
  ...(r.chance(0.3) ? { shardCount: r.pick([0, -1, 257, 1.5, "16", hostileNumber(r)]) } : {}),
  ...(r.chance(0.3) ? { description: hostileString(r) } : {}),
});

/** A hostile JSON value that is not a string, so never a valid tag key or value. */
function notText(r: Prng): unknown {
  for (;;) {
    const value = hostileValue(r);
    if (typeof value !== "string") return value;
  }
}

/** A tag list guaranteed invalid somewhere (a breaker among noise), in the native or the SageMaker spelling. */
function brokenTags(r: Prng, wire: boolean): unknown {
  const breaker = r.pick([
    { key: "", value: "v" },
    { key: "k".repeat(129), value: "v" },
    { key: "k", value: "v".repeat(257) },
    { key: `bad${r.pick(["!", "*", ";", "#", "\u0000", "<", "$"])}key`, value: "v" },
    { key: "k", value: `bad${r.pick(["!", "*", "\u0000", "?"])}` },
    { key: r.pick(["aws:x", "AWS:owner", "Aws:"]), value: "v" },
    // Not hostileValue itself: its strings include plain ones ("bbb…") that are valid tags (fresh-clone CI hit one).
    { key: notText(r), value: "v" },
    { key: "k", value: notText(r) },
  ]);
  const noise = Array.from({ length: r.int(0, 3) }, () => ({ key: r.chance(0.5) ? "team" : hostileString(r).slice(0, 20), value: r.chance(0.5) ? "ml" : hostileString(r).slice(0, 20) }));
  const tags = r.chance(0.1) ? Array.from({ length: 51 }, (_, i) => ({ key: `k${i}`, value: "v" })) : r.chance(0.5) ? [...noise, breaker] : [breaker, ...noise];
  return wire ? tags.map((t) => ({ Key: t.key, Value: t.value })) : tags;
}

/** Tag keys to delete, guaranteed invalid: none, a key no client may add, or too many. */
function brokenTagKeys(r: Prng): string[] {
  return r.pick([[], [""], ["aws:x"], ["k".repeat(129)], [`bad${r.pick(["!", "*", ";", "#", "<"])}`], Array.from({ length: 51 }, (_, i) => `k${i}`), ["team", "AWS:team"]]);
}

const featureGroupArnOf = (r: Prng, fx: Fixture) => (r.chance(0.7) ? `arn:aws:sagemaker:us-east-1:${fx.accountId}:feature-group/${r.pick([fx.online, fx.offline, fx.numeric])}` : r.chance(0.5) ? hostileValue(r) : `arn:aws:sagemaker:us-east-1:${fx.accountId}:${hostileString(r)}`);

// ---------- the table ----------

export const ROUTES: readonly FuzzRoute[] = [
  // Native API (/v1)
  { name: "GET /v1/health", api: "native", mutating: false, build: (r) => ({ method: "GET", path: `/v1/health${query(r, ["x"])}` }) },
  { name: "GET /v1/openapi.json", api: "native", mutating: false, build: (r) => ({ method: "GET", path: `/v1/openapi.json${query(r, ["x"])}` }) },
  { name: "GET /v1/feature-groups", api: "native", mutating: false, build: (r) => ({ method: "GET", path: `/v1/feature-groups${query(r, ["limit", "nextToken", "nameContains", "tagKey", "tagValue"])}` }) },
  { name: "POST /v1/feature-groups", api: "native", mutating: true, build: (r) => jsonRequest("POST", "/v1/feature-groups", r, r.chance(0.8) ? invalidGroupDefinition(r) : hostileObject(r)) },
  { name: "GET /v1/feature-groups/{name}", api: "native", mutating: false, build: (r, fx) => ({ method: "GET", path: `/v1/feature-groups/${groupSegment(r, fx, true)}` }) },
  {
    name: "PATCH /v1/feature-groups/{name}",
    api: "native",
    mutating: true,
    build: (r, fx) =>
      jsonRequest("PATCH", `/v1/feature-groups/${groupSegment(r, fx, true)}`, r, r.pick([
        { addFeatures: [{ name: hostileName(r), type: "String" }] },
        { addFeatures: [{ name: "age", type: "Integral" }] },
        { addFeatures: hostileValue(r) },
        { description: "d".repeat(129) + hostileString(r) },
        { onlineStore: { ttl: { unit: r.pick(["Years", "", hostileString(r)]), value: hostileNumber(r) } } },
        { ...hostileObject(r), unexpected: 1 },
      ])),
  },
  { name: "DELETE /v1/feature-groups/{name}", api: "native", mutating: true, build: (r) => ({ method: "DELETE", path: `/v1/feature-groups/${hostileName(r)}` }) },
  { name: "GET /v1/feature-groups/{name}/features/{feature}", api: "native", mutating: false, build: (r, fx) => ({ method: "GET", path: `/v1/feature-groups/${groupSegment(r, fx, true)}/features/${r.chance(0.4) ? r.pick(fx.features) : hostileSegment(r)}` }) },
  {
    name: "PATCH /v1/feature-groups/{name}/features/{feature}",
    api: "native",
    mutating: true,
    build: (r, fx) =>
      jsonRequest("PATCH", `/v1/feature-groups/${groupSegment(r, fx, true)}/features/${r.chance(0.5) ? r.pick(fx.features) : hostileSegment(r)}`, r, r.pick([
        { description: "d".repeat(256) + hostileString(r) },
        { removeParameters: Array.from({ length: 26 }, () => "k") },
        { addParameters: { "": hostileString(r) } },
        { addParameters: hostileValue(r), description: hostileValue(r), extra: true },
      ])),
  },
  { name: "GET /v1/feature-groups/{name}/tags", api: "native", mutating: false, build: (r, fx) => ({ method: "GET", path: `/v1/feature-groups/${groupSegment(r, fx, true)}/tags${query(r, ["x"])}` }) },
  { name: "PUT /v1/feature-groups/{name}/tags", api: "native", mutating: true, build: (r, fx) => jsonRequest("PUT", `/v1/feature-groups/${groupSegment(r, fx, true)}/tags`, r, r.chance(0.85) ? { tags: brokenTags(r, false) } : { ...hostileObject(r), tags: r.chance(0.5) ? [] : hostileValue(r), unexpected: 1 }) },
  {
    name: "DELETE /v1/feature-groups/{name}/tags",
    api: "native",
    mutating: true,
    build: (r, fx) => {
      const keys = brokenTagKeys(r);
      return { method: "DELETE", path: `/v1/feature-groups/${groupSegment(r, fx, true)}/tags${keys.length === 0 ? r.pick(["", "?keys=", "?keys=,,"]) : `?${keys.map((k) => `keys=${encodeURIComponent(k)}`).join("&")}`}` };
    },
  },
  { name: "PUT /v1/feature-groups/{name}/records", api: "native", mutating: true, build: (r, fx) => jsonRequest("PUT", `/v1/feature-groups/${groupSegment(r, fx, true)}/records`, r, { record: brokenRecord(r, fx), ...(r.chance(0.2) ? { targetStores: hostileValue(r) } : {}), ...(r.chance(0.2) ? { ttl: hostileValue(r) } : {}) }) },
  { name: "GET /v1/feature-groups/{name}/records", api: "native", mutating: false, build: (r, fx) => ({ method: "GET", path: `/v1/feature-groups/${groupSegment(r, fx, true)}/records${query(r, ["limit", "nextToken", "includeSoftDeleted"])}` }) },
  { name: "GET /v1/feature-groups/{name}/records/{id}", api: "native", mutating: false, build: (r, fx) => ({ method: r.chance(0.9) ? "GET" : "HEAD", path: `/v1/feature-groups/${groupSegment(r, fx, true)}/records/${idSegment(r, fx)}${query(r, ["features", "maxStalenessMs"])}` }) },
  { name: "PATCH /v1/feature-groups/{name}/records/{id}", api: "native", mutating: true, build: (r, fx) => jsonRequest("PATCH", `/v1/feature-groups/${groupSegment(r, fx, true)}/records/${idSegment(r, fx)}`, r, { features: brokenRecord(r, fx, false), ...(r.chance(0.2) ? { ttl: hostileValue(r) } : {}) }) },
  {
    name: "DELETE /v1/feature-groups/{name}/records/{id}",
    api: "native",
    mutating: true,
    build: (r, fx) => {
      const breaker = r.pick([`eventTime=${rawPercent(r.pick(EVENT_TIME_BREAKERS))}`, `eventTime=2026-01-01T00:00:00Z&mode=${hostileQueryValue(r)}x`, `eventTime=2026-01-01T00:00:00Z&targetStores=${hostileQueryValue(r)}x`, "mode=hard"]);
      return { method: "DELETE", path: `/v1/feature-groups/${groupSegment(r, fx, true)}/records/${idSegment(r, fx)}?${breaker}` };
    },
  },
  {
    name: "POST /v1/feature-groups/{name}/records/batch",
    api: "native",
    mutating: true,
    // onInvalid=skip answers 200 with every row reported invalid.
    partial: true,
    build: (r, fx) => {
      const type = r.pick(["application/x-ndjson", "application/x-ndjson", "text/csv", "application/json", "text/plain", "multipart/form-data; boundary=x", "application/x-ndjson; charset=latin1"]);
      const rows = Array.from({ length: r.int(1, 6) }, () => brokenRecord(r, fx));
      const body =
        type === "text/csv"
          ? `id,ts,city\n${rows.map((row) => [row.id, r.pick(EVENT_TIME_BREAKERS), row.city].map((v) => (typeof v === "string" ? `"${v.replaceAll('"', '""')}"` : "")).join(",")).join("\n")}`
          : r.chance(0.2)
            ? brokenJson(r)
            : rows.map((row) => JSON.stringify(row)).join(r.pick(["\n", "\r\n", "\n\n"]));
      return { method: "POST", path: `/v1/feature-groups/${groupSegment(r, fx, true)}/records/batch${query(r, ["onInvalid", "targetStores"])}`, headers: { "content-type": type }, body };
    },
  },
  {
    name: "POST /v1/records/batch-get",
    api: "native",
    mutating: false,
    build: (r, fx) =>
      jsonRequest("POST", `/v1/records/batch-get${query(r, ["maxStalenessMs"])}`, r, r.chance(0.7) ? { requests: Array.from({ length: r.int(0, 3) }, () => ({ featureGroup: r.chance(0.5) ? r.pick([fx.online, fx.offline, fx.numeric]) : hostileValue(r), recordIdentifiers: r.chance(0.6) ? [r.pick(fx.ids), hostileString(r)] : hostileValue(r), ...(r.chance(0.3) ? { features: hostileValue(r) } : {}) })) } : hostileObject(r)),
  },
  { name: "GET /v1/feature-groups/{name}/as-of", api: "native", mutating: false, build: (r, fx) => ({ method: "GET", path: `/v1/feature-groups/${groupSegment(r, fx, true)}/as-of${query(r, ["eventTime", "knownAt", "features", "ids", "after", "limit"])}` }) },
  { name: "GET /v1/feature-groups/{name}/records/{id}/history", api: "native", mutating: false, build: (r, fx) => ({ method: "GET", path: `/v1/feature-groups/${groupSegment(r, fx, true)}/records/${idSegment(r, fx)}/history${query(r, ["from", "to"])}` }) },
  { name: "GET /v1/feature-groups/{name}/freshness", api: "native", mutating: false, build: (r, fx) => ({ method: "GET", path: `/v1/feature-groups/${groupSegment(r, fx, true)}/freshness` }) },
  { name: "GET /v1/feature-groups/{name}/offline-store", api: "native", mutating: false, build: (r, fx) => ({ method: "GET", path: `/v1/feature-groups/${groupSegment(r, fx, true)}/offline-store` }) },
  { name: "GET /v1/offline/dead-letters", api: "native", mutating: false, build: (r) => ({ method: "GET", path: `/v1/offline/dead-letters${query(r, ["limit"])}` }) },
  {
    name: "POST /v1/offline/dead-letters/replay",
    api: "native",
    mutating: true,
    // messageIds and limit together are always refused, whatever their values: hostile input, never a replay.
    build: (r) => jsonRequest("POST", "/v1/offline/dead-letters/replay", r, { messageIds: r.chance(0.5) ? [hostileString(r)] : hostileValue(r), limit: hostileValue(r) }),
  },
  {
    name: "POST /v1/datasets",
    api: "native",
    mutating: false,
    build: (r, fx) =>
      jsonRequest("POST", "/v1/datasets", r, {
        entities: r.pick([{ rows: [{ id: r.chance(0.8) ? r.pick([...fx.ids, 7, 1e21, -0.5]) : hostileValue(r), t: r.chance(0.5) ? r.pick(["2026-06-01T00:00:00Z", 1780000000, 1e300, -1e300]) : hostileValue(r), [hostileString(r).slice(0, 20)]: hostileValue(r) }] }, { csv: r.chance(0.5) ? `id,t\n${r.pick(fx.ids)},${hostileString(r).slice(0, 50)}` : hostileString(r) }, hostileValue(r)]),
        timestampColumn: r.chance(0.7) ? "t" : hostileValue(r),
        featureGroups: r.chance(0.7) ? [{ name: r.chance(0.6) ? r.pick([fx.offline, fx.numeric]) : hostileString(r), entityColumn: r.chance(0.7) ? "id" : hostileValue(r), ...(r.chance(0.3) ? { prefix: hostileString(r) } : {}), ...(r.chance(0.2) ? { features: hostileValue(r) } : {}), ...(r.chance(0.2) ? { lookback: r.chance(0.5) ? hostileValue(r) : { unit: r.pick(["Weeks", "Seconds", "Years"]), value: r.pick([1e15, 2 ** 53, 0, -1, 1.5, 5_000]) } } : {}) }] : hostileValue(r),
        ...(r.chance(0.3) ? { format: r.pick(["json", "ndjson", "csv", "parquet", "arrow", hostileString(r)]) } : {}),
        ...(r.chance(0.2) ? { mostRecent: hostileNumber(r) } : {}),
      }),
  },
  {
    name: "POST /v1/datasets/sql",
    api: "native",
    mutating: false,
    build: (r, fx) =>
      jsonRequest("POST", "/v1/datasets/sql", r, {
        timestampColumn: r.chance(0.5) ? "t" : hostileString(r),
        entityColumns: r.chance(0.6) ? ["id", "t", hostileString(r)] : hostileValue(r),
        ...(r.chance(0.5) ? { entityTable: hostileString(r) } : {}),
        featureGroups: [{ name: r.chance(0.6) ? fx.offline : hostileString(r), entityColumn: r.chance(0.5) ? "id" : hostileString(r), ...(r.chance(0.5) ? { prefix: hostileString(r).slice(0, 64) } : {}) }],
        ...(r.chance(0.2) ? { entityTimestamps: hostileValue(r) } : {}),
      }),
  },

  // SageMaker runtime (restJson1)
  { name: "PutRecord", api: "runtime", mutating: true, build: (r, fx) => jsonRequest("PUT", `/FeatureGroup/${groupSegment(r, fx, true)}`, r, { Record: brokenWireRecord(r, fx), ...(r.chance(0.2) ? { TargetStores: hostileValue(r) } : {}), ...(r.chance(0.2) ? { TtlDuration: hostileValue(r) } : {}) }) },
  { name: "GetRecord", api: "runtime", mutating: false, build: (r, fx) => ({ method: "GET", path: `/FeatureGroup/${groupSegment(r, fx, true)}${query(r, ["RecordIdentifierValueAsString", "FeatureName", "ExpirationTimeResponse"])}` }) },
  {
    name: "DeleteRecord",
    api: "runtime",
    mutating: true,
    build: (r, fx) => ({ method: "DELETE", path: `/FeatureGroup/${groupSegment(r, fx, true)}?RecordIdentifierValueAsString=${idSegment(r, fx)}&EventTime=${rawPercent(r.pick(EVENT_TIME_BREAKERS))}${query(r, ["TargetStores", "DeletionMode"]).replace("?", "&")}` }),
  },
  { name: "BatchGetRecord", api: "runtime", mutating: false, build: (r, fx) => jsonRequest("POST", "/BatchGetRecord", r, r.chance(0.7) ? { Identifiers: [{ FeatureGroupName: r.chance(0.5) ? fx.online : hostileValue(r), RecordIdentifiersValueAsString: r.chance(0.5) ? [r.pick(fx.ids)] : hostileValue(r), ...(r.chance(0.3) ? { FeatureNames: hostileValue(r) } : {}) }] } : hostileObject(r)) },
  {
    name: "BatchWriteRecord",
    api: "runtime",
    mutating: true,
    partial: true,
    build: (r, fx) => jsonRequest("POST", "/BatchWriteRecord", r, r.chance(0.8) ? { Entries: Array.from({ length: r.int(1, 4) }, () => ({ FeatureGroupName: groupSegment(r, fx, true), Record: brokenWireRecord(r, fx) })) } : { Entries: r.chance(0.5) ? hostileValue(r) : Array.from({ length: 26 }, () => ({})) }),
  },
  { name: "ListRecords", api: "runtime", mutating: false, build: (r, fx) => jsonRequest("POST", `/FeatureGroup/${groupSegment(r, fx, true)}/ListRecords`, r, r.chance(0.6) ? { MaxResults: hostileValue(r), NextToken: hostileValue(r) } : hostileObject(r)) },
  { name: "UpdateRecord", api: "runtime", mutating: true, build: (r, fx) => jsonRequest("POST", `/FeatureGroup/${groupSegment(r, fx, true)}/Record`, r, { RecordIdentifierValueAsString: r.chance(0.5) ? r.pick(fx.ids) : hostileValue(r), Features: brokenWireRecord(r, fx, false) }) },

  // SageMaker control plane (awsJson1_1, POST / with X-Amz-Target)
  { name: "CreateFeatureGroup", api: "control", mutating: true, build: (r) => control("CreateFeatureGroup", r, { FeatureGroupName: hostileName(r), RecordIdentifierFeatureName: "id", EventTimeFeatureName: "ts", FeatureDefinitions: r.chance(0.5) ? [{ FeatureName: "id", FeatureType: "String" }, { FeatureName: "ts", FeatureType: "String" }] : hostileValue(r), OnlineStoreConfig: hostileValue(r) }) },
  { name: "DescribeFeatureGroup", api: "control", mutating: false, build: (r, fx) => control("DescribeFeatureGroup", r, { FeatureGroupName: r.chance(0.4) ? fx.online : r.chance(0.3) ? `arn:aws:sagemaker:us-east-1:${fx.accountId}:feature-group/${hostileString(r)}` : hostileValue(r), ...(r.chance(0.3) ? { NextToken: hostileValue(r) } : {}) }) },
  { name: "ListFeatureGroups", api: "control", mutating: false, build: (r) => control("ListFeatureGroups", r, r.chance(0.7) ? { NameContains: hostileValue(r), MaxResults: hostileValue(r), SortBy: hostileValue(r), NextToken: hostileValue(r), CreationTimeAfter: hostileValue(r) } : hostileObject(r)) },
  { name: "UpdateFeatureGroup", api: "control", mutating: true, build: (r, fx) => control("UpdateFeatureGroup", r, { FeatureGroupName: r.chance(0.5) ? fx.online : hostileName(r), FeatureAdditions: r.pick([[{ FeatureName: hostileName(r), FeatureType: "String" }], [{ FeatureName: "age", FeatureType: "Integral" }], hostileValue(r)]) }) },
  { name: "DeleteFeatureGroup", api: "control", mutating: true, build: (r, fx) => control("DeleteFeatureGroup", r, { FeatureGroupName: r.chance(0.3) ? `arn:aws:sagemaker:us-east-1:${fx.accountId}:feature-group/${hostileName(r)}` : hostileName(r) }) },
  { name: "DescribeFeatureMetadata", api: "control", mutating: false, build: (r, fx) => control("DescribeFeatureMetadata", r, { FeatureGroupName: r.chance(0.5) ? fx.online : hostileValue(r), FeatureName: r.chance(0.5) ? r.pick(fx.features) : hostileValue(r) }) },
  {
    name: "UpdateFeatureMetadata",
    api: "control",
    mutating: true,
    build: (r, fx) =>
      control("UpdateFeatureMetadata", r, {
        FeatureGroupName: r.chance(0.6) ? fx.online : hostileName(r),
        FeatureName: r.chance(0.6) ? r.pick(fx.features) : hostileValue(r),
        ...r.pick([{ Description: "d".repeat(256) + hostileString(r) }, { ParameterRemovals: Array.from({ length: 26 }, () => "k") }, { ParameterAdditions: [{ Key: "", Value: hostileString(r) }] }]),
      }),
  },
  { name: "Search", api: "control", mutating: false, build: (r) => control("Search", r, r.chance(0.7) ? { Resource: r.pick(["FeatureGroup", "FeatureMetadata", hostileString(r)]), SearchExpression: hostileValue(r), SortBy: hostileValue(r), MaxResults: hostileValue(r), NextToken: hostileValue(r) } : hostileObject(r)) },
  { name: "AddTags", api: "control", mutating: true, build: (r, fx) => control("AddTags", r, { ResourceArn: featureGroupArnOf(r, fx), Tags: brokenTags(r, true) }) },
  { name: "ListTags", api: "control", mutating: false, build: (r, fx) => control("ListTags", r, { ResourceArn: featureGroupArnOf(r, fx), ...(r.chance(0.4) ? { MaxResults: hostileValue(r) } : {}), ...(r.chance(0.4) ? { NextToken: hostileValue(r) } : {}) }) },
  { name: "DeleteTags", api: "control", mutating: true, build: (r, fx) => control("DeleteTags", r, { ResourceArn: featureGroupArnOf(r, fx), TagKeys: brokenTagKeys(r) }) },
  { name: "unknown control operation", api: "control", mutating: false, build: (r) => ({ method: "POST", path: "/", headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": r.pick(["", "SageMaker.", "SageMaker.__proto__", "SageMaker.constructor", "SageMaker.hasOwnProperty", `SageMaker.${hostileString(r).replace(/[^\x20-\x7e]/g, "").slice(0, 50)}`, "Other.CreateFeatureGroup"]) }, body: jsonText(r, hostileObject(r)) }) },

  // Scheduled jobs: no job exists in the fixture, so every id is unknown; creations are always invalid somewhere.
  {
    name: "POST /v1/jobs",
    api: "native",
    mutating: true,
    build: (r, fx) =>
      jsonRequest("POST", "/v1/jobs", r, r.pick([
        { featureGroup: hostileName(r), source: { prefix: "landing/" }, format: "ndjson", mode: "online", schedule: "* * * * *" },
        { featureGroup: r.pick([fx.online, fx.offline]), source: hostileValue(r), format: r.pick(["ndjson", hostileString(r)]), mode: "online", schedule: "* * * * *" },
        { featureGroup: fx.offline, source: { prefix: "landing/" }, format: "csv", mode: r.pick(["sideways", hostileString(r)]), schedule: hostileValue(r) },
        { featureGroup: fx.offline, kind: "ingest", source: { prefix: "landing/" }, format: "parquet", mode: "offline", schedule: r.pick(["61 * * * *", "* * 31 2 *", "every minute", `${hostileString(r)}`]) },
        hostileObject(r),
      ])),
  },
  { name: "GET /v1/jobs", api: "native", mutating: false, build: (r) => ({ method: "GET", path: `/v1/jobs${query(r, ["limit", "after", "featureGroup"])}` }) },
  { name: "GET /v1/jobs/{id}", api: "native", mutating: false, build: (r) => ({ method: "GET", path: `/v1/jobs/${hostileSegment(r)}` }) },
  { name: "PATCH|PUT /v1/jobs/{id}", api: "native", mutating: true, build: (r) => jsonRequest(r.pick(["PATCH", "PUT"]), `/v1/jobs/${hostileSegment(r)}`, r, r.chance(0.5) ? { description: hostileString(r), schedule: hostileValue(r) } : hostileObject(r)) },
  { name: "DELETE /v1/jobs/{id}", api: "native", mutating: true, build: (r) => ({ method: "DELETE", path: `/v1/jobs/${hostileSegment(r)}` }) },
  { name: "POST /v1/jobs/{id}/{run,pause,resume}", api: "native", mutating: true, build: (r) => ({ method: "POST", path: `/v1/jobs/${hostileSegment(r)}/${r.pick(["run", "pause", "resume"])}` }) },
  { name: "GET /v1/jobs/{id}/runs[/{runId}]", api: "native", mutating: false, build: (r) => ({ method: "GET", path: `/v1/jobs/${hostileSegment(r)}/runs${r.chance(0.5) ? `/${hostileSegment(r)}` : query(r, ["limit"])}` }) },
  { name: "POST /v1/feature-groups/{name}/materialize", api: "native", mutating: true, build: (r) => ({ method: "POST", path: `/v1/feature-groups/${hostileName(r)}/materialize` }) },
  // Parity audits: a valid request starts one (a job and a result row), so the fixture group only ever gets a broken option.
  {
    name: "POST /v1/feature-groups/{name}/audit",
    api: "native",
    mutating: true,
    build: (r, fx) =>
      r.chance(0.4)
        ? jsonRequest("POST", `/v1/feature-groups/${hostileName(r)}/audit`, r, r.chance(0.5) ? {} : hostileObject(r))
        : // An empty body is a valid request (no options), so the fixture groups get JSON with a broken option, never jsonRequest's random text.
          { method: "POST", path: `/v1/feature-groups/${r.pick([fx.offline, fx.numeric])}/audit`, headers: JSON_TYPE, body: JSON.stringify({ ...(r.chance(0.3) ? hostileObject(r) : {}), examples: r.pick([-1, 26, 1.5, 2 ** 60, "3", null, true, [], {}, hostileString(r)]) }) },
  },
  { name: "GET /v1/feature-groups/{name}/audits", api: "native", mutating: false, build: (r, fx) => ({ method: "GET", path: `/v1/feature-groups/${groupSegment(r, fx, true)}/audits${query(r, ["limit", "after"])}` }) },
  { name: "GET /v1/feature-groups/{name}/audits/{id}", api: "native", mutating: false, build: (r, fx) => ({ method: "GET", path: `/v1/feature-groups/${groupSegment(r, fx, true)}/audits/${r.chance(0.3) ? crypto.randomUUID() : hostileSegment(r)}` }) },
  {
    name: "POST /v1/feature-groups/{name}/offline-store/files",
    api: "native",
    mutating: true,
    // Nothing is in the bucket under a fixture group's prefix that is not already registered, so no registration can succeed.
    build: (r, fx) =>
      jsonRequest("POST", `/v1/feature-groups/${groupSegment(r, fx, true)}/offline-store/files`, r, {
        key: r.pick([hostileString(r), "../../other/x.parquet", `offline-store/${fx.offline}/x/data/year=2026/month=01/day=01/hour=00/${hostileSegment(r)}.parquet`]),
        fileId: r.chance(0.7) ? "f" : hostileValue(r),
        partition: r.chance(0.5) ? "year=2026/month=01/day=01/hour=00" : hostileValue(r),
        rows: hostileNumber(r),
        bytes: hostileNumber(r),
        minEventTime: r.pick(EVENT_TIME_BREAKERS),
        maxEventTime: hostileValue(r),
        minWriteTime: hostileValue(r),
        maxWriteTime: hostileValue(r),
      }),
  },
  // Dataset jobs and uploads: ids never exist; upload names are never valid.
  { name: "GET /v1/datasets/jobs/{id}[/result]", api: "native", mutating: false, build: (r) => ({ method: "GET", path: `/v1/datasets/jobs/${r.chance(0.3) ? crypto.randomUUID() : hostileSegment(r)}${r.chance(0.5) ? "/result" : ""}` }) },
  { name: "POST /v1/datasets/jobs/{id}/cancel", api: "native", mutating: true, build: (r) => ({ method: "POST", path: `/v1/datasets/jobs/${r.chance(0.3) ? crypto.randomUUID() : hostileSegment(r)}/cancel` }) },
  { name: "PUT /v1/uploads/{name}", api: "native", mutating: true, build: (r) => ({ method: "PUT", path: `/v1/uploads/${hostileName(r)}`, headers: { "content-type": r.pick(["text/csv", "application/vnd.apache.parquet", "text/plain"]) }, body: r.chance(0.5) ? `id,t\n${hostileString(r)}` : "" }) },
  // Administration: access keys, audit, data keys.
  {
    name: "POST /v1/admin/access-keys",
    api: "native",
    mutating: true,
    build: (r) =>
      jsonRequest("POST", "/v1/admin/access-keys", r, r.pick([
        { name: hostileString(r), policy: { Version: r.pick(["2008-10-17", hostileString(r)]), Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] } },
        { name: "k", policy: { Version: "2012-10-17", Statement: [{ Effect: r.pick(["Maybe", hostileString(r)]), Action: hostileValue(r), Resource: hostileValue(r) }] } },
        { name: "k", policy: { Version: "2012-10-17", Statement: hostileValue(r) } },
        { name: "k".repeat(300), rateLimit: { perSecond: hostileNumber(r), burst: -1 } },
        { name: "k", policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] } },
        { ...hostileObject(r), name: hostileValue(r), unexpected: 1 },
      ])),
  },
  { name: "GET /v1/admin/access-keys", api: "native", mutating: false, build: (r) => ({ method: "GET", path: `/v1/admin/access-keys${query(r, ["limit", "after", "nextToken"])}` }) },
  { name: "GET /v1/admin/access-keys/{id}", api: "native", mutating: false, build: (r) => ({ method: "GET", path: `/v1/admin/access-keys/${r.chance(0.3) ? "AKTESTROOT" : hostileSegment(r)}` }) },
  {
    name: "PATCH|DELETE|rotate /v1/admin/access-keys/{id}",
    api: "native",
    mutating: true,
    // Unknown ids (the root key is not a stored key and cannot be changed through the API).
    build: (r) => {
      const id = r.chance(0.3) ? "AKTESTROOT" : hostileSegment(r);
      return r.pick([
        () => jsonRequest("PATCH", `/v1/admin/access-keys/${id}`, r, { name: hostileValue(r), status: hostileValue(r) }),
        () => ({ method: "DELETE", path: `/v1/admin/access-keys/${id}` }),
        () => jsonRequest("POST", `/v1/admin/access-keys/${id}/rotate`, r, { overlapSeconds: hostileNumber(r) }),
      ])();
    },
  },
  { name: "GET /v1/admin/audit", api: "native", mutating: false, build: (r) => ({ method: "GET", path: `/v1/admin/audit${query(r, ["from", "to", "accessKeyId", "action", "featureGroup", "result", "limit", "before"])}` }) },
  {
    name: "POST /v1/admin/feature-groups/{name}/keys/rotate",
    api: "native",
    mutating: true,
    // Fixture groups do not encrypt, so naming one is refused too.
    build: (r, fx) => ({ method: "POST", path: `/v1/admin/feature-groups/${groupSegment(r, fx, true)}/keys/rotate${query(r, ["store"])}` }),
  },

  // Path tricks on any method: never naming a real group, so no method can change one.
  {
    name: "path tricks",
    api: "native",
    mutating: false,
    build: (r) => {
      const method = r.pick(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND"]);
      const path = r.pick([
        () => `/v1/${hostileSegment(r)}`,
        () => `/v1/feature-groups/${hostileSegment(r)}/${hostileSegment(r)}/${hostileSegment(r)}`,
        () => `/${hostileSegment(r)}`,
        () => `//v1//feature-groups//${hostileName(r)}`,
        () => `/v1/feature-groups/${hostileName(r)}/records/${hostileSegment(r)}/..%2f..%2f..%2fhealth`,
        () => `/v1/${"a/".repeat(r.int(100, 3000))}`,
        () => `/FeatureGroup/${hostileName(r)}/${hostileSegment(r)}`,
        () => `/v1%2ffeature-groups`,
        () => `/%76%31/health`,
      ])();
      return { method, path, ...(method === "GET" || method === "HEAD" ? {} : { headers: JSON_TYPE, body: r.chance(0.5) ? brokenJson(r) : "" }) };
    },
  },
];

/**
 * Requests to paths under /v1 answer in the native shape; all others in
 * SageMaker's. The router sees the path with escapes of unreserved
 * characters decoded (as Hono's getPath does), so "/%76%31/health" is native.
 */
export function shapeOf(path: string): "native" | "sagemaker" {
  const pathname = new URL(path, "http://x").pathname.replace(/(?:%[0-9A-Fa-f]{2})+/g, (m) => {
    try {
      return decodeURI(m);
    } catch {
      return m;
    }
  });
  return pathname === "/v1" || pathname.startsWith("/v1/") ? "native" : "sagemaker";
}
