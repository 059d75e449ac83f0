import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { RpcAction } from "../../src/rpc/caller";
import type { FeatureStoreResult } from "../../src/rpc/types";
import { allowAll, as, createKey, policy } from "../access/support";
import { api, at, createGroup, getRecord, putRecord } from "../helpers";

/**
 * The FeatureStore RPC binding, called over real RPC through the worker's
 * own loopback binding (`exports.FeatureStore({ props })`, the same
 * entrypoint a caller's service binding reaches, with the props its
 * wrangler.toml would set). Results are compared with the native HTTP API's
 * answers, since both share one service layer.
 */

const bound = (accessKeyId?: string) => exports.FeatureStore({ props: accessKeyId === undefined ? {} : { accessKeyId } });

async function storeFor(statements: unknown = allowAll) {
  const key = await createKey({ policy: statements });
  return { key, store: bound(key.accessKeyId) };
}

function valueOf<T>(result: FeatureStoreResult<T>): T {
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result.error)}`);
  return result.value;
}

function errorOf<T>(result: FeatureStoreResult<T>) {
  if (result.ok) throw new Error(`expected an error, got ${JSON.stringify(result.value)}`);
  return result.error;
}

const INT64_MAX = "9223372036854775807";

describe("FeatureStore RPC binding", () => {
  it("reads what the HTTP API reads, with int64 beyond 2^53 exact", async () => {
    const { store } = await storeFor();
    const group = await createGroup({ ttl: { unit: "Days", value: 1 } });
    await putRecord(group, { id: "u1", ts: "2099-01-01T00:00:00Z", age: INT64_MAX, score: 0.25, city: "Oslo" });
    const http = await getRecord(group, "u1");
    const rpc = valueOf(await store.getRecord({ featureGroup: group, recordIdentifier: "u1" }));
    expect(rpc).toEqual({ ...http.body, ageMs: 0 });
    expect(rpc.record.age).toBe(INT64_MAX);
    const subset = valueOf(await store.getRecord({ featureGroup: group, recordIdentifier: "u1", features: ["city"] }));
    expect(subset.record).toEqual((await getRecord(group, "u1", "?features=city")).body.record);
  });

  it("writes bigint and decimal-string Integrals exactly, with the HTTP API's event-time rules and results", async () => {
    const { store } = await storeFor();
    const group = await createGroup({ identifierType: "Integral" });
    const put = valueOf(await store.putRecord({ featureGroup: group, record: { id: 9007199254740993n, ts: at(10), age: -(2n ** 63n) } }));
    expect(put).toEqual({ online: "written", offline: "not_targeted" });
    const read = await getRecord(group, "9007199254740993");
    expect(read.body.record).toEqual({ id: "9007199254740993", ts: at(10), age: "-9223372036854775808" });
    const older = valueOf(await store.putRecord({ featureGroup: group, record: { id: "9007199254740993", ts: at(5), age: 1 } }));
    expect(older.online).toBe("older_event_time_ignored");
    const hard = errorOf(await store.deleteRecord({ featureGroup: group, recordIdentifier: 9007199254740993n, eventTime: at(5), mode: "hard" }));
    expect([hard.code, hard.status]).toEqual(["event_time_not_newer", 409]);
    expect(valueOf(await store.deleteRecord({ featureGroup: group, recordIdentifier: "9007199254740993", eventTime: at(20) }))).toEqual({ online: "deleted", offline: "not_targeted" });
    expect((await getRecord(group, "9007199254740993")).status).toBe(404);
  });

  it("returns the HTTP API's errors as data: code, status, field and message", async () => {
    const { store } = await storeFor();
    const group = await createGroup();
    const rpc = errorOf(await store.putRecord({ featureGroup: group, record: { id: "u1", ts: at(0), age: 1.5 } }));
    const http = (await putRecord(group, { id: "u1", ts: at(0), age: 1.5 })).body.error;
    expect(rpc).toMatchObject({ code: http.code, field: http.field, message: http.message, status: 400 });
    expect(rpc.requestId).toMatch(/^[0-9a-f-]{36}$/);
    // A JSON number beyond 2^53 was rounded by whoever produced it: refused, as over HTTP.
    expect(errorOf(await store.putRecord({ featureGroup: group, record: { id: "u1", ts: at(0), age: 2 ** 60 } })).field).toBe("record.age");
    // NaN cannot travel in JSON; over RPC it is refused, never taken for a missing value.
    expect(errorOf(await store.putRecord({ featureGroup: group, record: { id: "u1", ts: at(0), score: Number.NaN } })).field).toBe("record.score");
    expect(errorOf(await store.getRecord({ featureGroup: group, recordIdentifier: "nobody" }))).toMatchObject({ code: "record_not_found", status: 404 });
    expect(errorOf(await store.getRecord({ featureGroup: group, recordIdentifier: "u1", features: ["nope"] }))).toMatchObject({ code: "unknown_feature", field: "features" });
    expect(errorOf(await store.getRecord({ featureGroup: `${group}-gone`, recordIdentifier: "u1" }))).toMatchObject({ code: "feature_group_not_found", status: 404 });
    expect(errorOf(await store.getRecord({ featureGroup: group, recordIdentifier: "u1", maxStalenessMs: -1 }))).toMatchObject({ code: "invalid_field", field: "maxStalenessMs" });
    expect(errorOf(await store.deleteRecord({ featureGroup: group, recordIdentifier: "u1", eventTime: at(0), mode: "gone" as "hard" }))).toMatchObject({ field: "mode" });
    expect(errorOf(await store.putRecord({ featureGroup: group, record: { id: "u1", ts: at(0) }, extra: 1 } as never))).toMatchObject({ field: "extra" });
  });

  it("batch-gets like the HTTP API, hits, misses and per-group errors apart", async () => {
    const { store } = await storeFor();
    const group = await createGroup({ shardCount: 4 });
    for (const id of ["a", "b", "c"]) await putRecord(group, { id, ts: at(1), age: id.charCodeAt(0) });
    const requests = [
      { featureGroup: group, recordIdentifiers: ["a", "b", "c", "zz"], features: ["age"] },
      { featureGroup: `${group}-gone`, recordIdentifiers: ["a"] },
    ];
    const http = (await api("POST", "/v1/records/batch-get", { requests })).body;
    const rpc = valueOf(await store.batchGetRecord({ requests }));
    const key = (r: { recordIdentifier: string }) => r.recordIdentifier;
    expect(rpc.records.map((r) => ({ ...r, ageMs: undefined })).sort((x, y) => key(x).localeCompare(key(y)))).toEqual(
      http.records.map((r: object) => ({ ...r, ageMs: undefined })).sort((x: { recordIdentifier: string }, y: { recordIdentifier: string }) => key(x).localeCompare(key(y))),
    );
    expect(rpc.misses).toEqual(http.misses);
    expect(rpc.errors).toEqual(http.errors);
    expect(rpc.errors[0]!.error.code).toBe("feature_group_not_found");
  });

  it("describes a feature group as GET /v1/feature-groups/{name} does", async () => {
    const { store } = await storeFor();
    const group = await createGroup();
    expect(valueOf(await store.describeFeatureGroup({ featureGroup: group }))).toEqual((await api("GET", `/v1/feature-groups/${group}`)).body);
  });

  it("refuses a binding that names no access key, an unknown, inactive or deleted one, and the root key", async () => {
    const group = await createGroup();
    const inactive = await createKey({ policy: allowAll });
    await api("PATCH", `/v1/admin/access-keys/${inactive.accessKeyId}`, { status: "Inactive" });
    const deleted = await createKey({ policy: allowAll });
    await api("DELETE", `/v1/admin/access-keys/${deleted.accessKeyId}`);
    for (const store of [bound(), bound(""), bound("FSAKAAAAAAAAAAAAAAAA"), bound(inactive.accessKeyId), bound(deleted.accessKeyId), bound("AKTESTROOT")]) {
      expect(errorOf(await store.describeFeatureGroup({ featureGroup: group }))).toMatchObject({ code: "unauthenticated", status: 401 });
    }
  });

  it("maps each method to the HTTP route's action: a key allowed only that action may call it, and is denied the others", async () => {
    const group = await createGroup();
    await putRecord(group, { id: "u1", ts: at(1), age: 1 });
    const calls: Record<RpcAction, (store: ReturnType<typeof bound>) => Promise<FeatureStoreResult<unknown>>> = {
      "sagemaker:GetRecord": (s) => s.getRecord({ featureGroup: group, recordIdentifier: "u1" }),
      "sagemaker:BatchGetRecord": (s) => s.batchGetRecord({ requests: [{ featureGroup: group, recordIdentifiers: ["u1"] }] }),
      "sagemaker:PutRecord": (s) => s.putRecord({ featureGroup: group, record: { id: "u1", ts: at(1), age: 1 } }),
      "sagemaker:DeleteRecord": (s) => s.deleteRecord({ featureGroup: group, recordIdentifier: "u0", eventTime: at(1) }),
      "sagemaker:DescribeFeatureGroup": (s) => s.describeFeatureGroup({ featureGroup: group }),
    };
    for (const action of Object.keys(calls) as RpcAction[]) {
      const { store } = await storeFor(policy({ Effect: "Allow", Action: action, Resource: `feature-group/${group}` }));
      for (const [other, call] of Object.entries(calls)) {
        const result = await call(store);
        if (other === action) expect(result.ok, action).toBe(true);
        else expect(errorOf(result), `${action} calling ${other}`).toMatchObject({ code: "access_denied", status: 403, message: expect.stringContaining(other) });
      }
    }
  });

  it("applies the key's policy per group and audits denials under the key", async () => {
    const group = await createGroup();
    const { key, store } = await storeFor(
      policy({ Effect: "Allow", Action: "sagemaker:*", Resource: "*" }, { Effect: "Deny", Action: "sagemaker:BatchGetRecord", Resource: `feature-group/${group}-secret` }),
    );
    const denied = errorOf(
      await store.batchGetRecord({ requests: [{ featureGroup: group, recordIdentifiers: ["u1"] }, { featureGroup: `${group}-secret`, recordIdentifiers: ["u1"] }] }),
    );
    expect(denied).toMatchObject({ code: "access_denied", message: expect.stringContaining(`feature-group/${group}-secret`) });
    const audit = await api("GET", `/v1/admin/audit?accessKeyId=${key.accessKeyId}`);
    expect(audit.body.entries).toEqual([
      expect.objectContaining({ requestId: denied.requestId, action: "sagemaker:BatchGetRecord", featureGroup: `${group}-secret`, result: "denied" }),
    ]);
    // The same key over HTTP gets the same answer.
    const http = await as(key, "POST", "/v1/records/batch-get", { requests: [{ featureGroup: `${group}-secret`, recordIdentifiers: ["u1"] }] });
    expect(http.body.error.message).toBe(denied.message);
  });

  it("spends the key's rate limit, as its HTTP requests do", async () => {
    const group = await createGroup();
    const key = await createKey({ policy: allowAll, rateLimit: { perSecond: 1, burst: 1 } });
    const store = bound(key.accessKeyId);
    expect((await store.describeFeatureGroup({ featureGroup: group })).ok).toBe(true);
    expect(errorOf(await store.describeFeatureGroup({ featureGroup: group }))).toMatchObject({ code: "throttled", status: 429 });
  });

  it("drops the colo's cached copy on a put through the binding, so bounded reads see it", async () => {
    const { store } = await storeFor();
    const group = await createGroup();
    await store.putRecord({ featureGroup: group, record: { id: "u1", ts: at(1), age: 1 } });
    const first = valueOf(await store.getRecord({ featureGroup: group, recordIdentifier: "u1", maxStalenessMs: 60_000 }));
    expect(first.ageMs).toBe(0);
    await store.putRecord({ featureGroup: group, record: { id: "u1", ts: at(2), age: 2 } });
    const read = valueOf(await store.getRecord({ featureGroup: group, recordIdentifier: "u1", maxStalenessMs: 60_000 }));
    expect([read.record.age, read.ageMs]).toEqual([2, 0]);
    const batch = valueOf(await store.batchGetRecord({ requests: [{ featureGroup: group, recordIdentifiers: ["u1"] }], maxStalenessMs: 60_000 }));
    expect(batch.records[0]!.record.age).toBe(2);
    expect(batch.records[0]!.ageMs).toBeLessThanOrEqual(60_000);
  });

  it("refuses inputs of the wrong shape, naming the field, whatever the caller's types said", async () => {
    const { store } = await storeFor();
    const group = await createGroup();
    expect(errorOf(await store.getRecord(null as never))).toMatchObject({ field: "featureGroup" });
    expect(errorOf(await store.getRecord({ featureGroup: group, recordIdentifier: { id: 1 } as never }))).toMatchObject({ field: "recordIdentifier" });
    expect(errorOf(await store.batchGetRecord({ requests: [] }))).toMatchObject({ field: "requests" });
    expect(errorOf(await store.putRecord({ featureGroup: group, record: [] as never }))).toMatchObject({ field: "record" });
    expect(errorOf(await store.deleteRecord({ featureGroup: group, recordIdentifier: "u1" } as never))).toMatchObject({ field: "eventTime" });
  });
});
