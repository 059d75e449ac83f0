import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  ConflictError,
  FeatureGroupNotFoundError,
  FeatureStoreClient,
  RequestTimeoutError,
  ServerError,
  ValidationError,
  type ClientOptions,
  type FetchLike,
} from "../../clients/typescript/src";
import { createGroup, uniqueName } from "../helpers";
import { settle } from "../offline/support";

/**
 * The TypeScript client (clients/typescript) against the real worker: its
 * fetch is the worker's own fetch handler (Hono app, D1, Durable Objects,
 * the query worker over its service binding). Faults are injected only at
 * the transport: a fetch that answers 503 or never answers before handing
 * over to the worker.
 */

const ORIGIN = "http://feature-store.test";
const workerFetch: FetchLike = (url, init) => exports.default.fetch(url, init);

/** The worker's fetch, counting requests by method and path. */
function counting(inner: FetchLike = workerFetch) {
  const calls: string[] = [];
  const fetch: FetchLike = (url, init) => {
    calls.push(`${init.method ?? "GET"} ${new URL(url).pathname}`);
    return inner(url, init);
  };
  return { fetch, calls };
}

const clientOf = (options: Partial<ClientOptions> = {}) =>
  new FeatureStoreClient({ endpoint: ORIGIN, accessKeyId: "AKTESTROOT", secretAccessKey: "test-root-secret", fetch: workerFetch, backoffMs: 1, ...options });

const ts = (day: number) => `2026-01-0${day}T00:00:00Z`;

describe("TypeScript client: feature groups and records", () => {
  it("creates and describes a group, puts, gets and deletes a record", async () => {
    const client = clientOf();
    const name = uniqueName("client-fg");
    const created = await client.createFeatureGroup({
      name,
      recordIdentifierFeature: "id",
      eventTimeFeature: "ts",
      features: [
        { name: "id", type: "String" },
        { name: "ts", type: "String" },
        { name: "clicks", type: "Integral" },
        { name: "tags", type: "String", collection: { type: "List" } },
      ],
    });
    expect(created).toMatchObject({ name, status: "Created", onlineStore: { enabled: true }, offlineStore: { enabled: false } });
    expect((await client.describeFeatureGroup(name)).features.map((f) => f.name)).toEqual(["id", "ts", "clicks", "tags"]);
    const listed: string[] = [];
    for await (const group of client.featureGroups({ nameContains: name })) listed.push(group.name);
    expect(listed).toEqual([name]);

    // An Integral beyond 2^53 goes as a bigint and comes back as its exact decimal string.
    expect(await client.putRecord(name, { id: "u1", ts: ts(1), clicks: 9_007_199_254_740_993n, tags: ["a", "b"] })).toEqual({ online: "written", offline: "not_targeted" });
    expect(await client.getRecord(name, "u1")).toEqual({ record: { id: "u1", ts: ts(1), clicks: "9007199254740993", tags: ["a", "b"] }, ageMs: 0 });
    expect(await client.getRecord(name, "u1", { features: ["clicks"] })).toEqual({ record: { clicks: "9007199254740993" }, ageMs: 0 });
    expect(await client.deleteRecord(name, "u1", { eventTime: ts(2) })).toEqual({ online: "deleted", offline: "not_targeted" });
    expect(await client.getRecord(name, "u1")).toBeNull();
    const freshness = await client.freshness(name);
    expect(freshness.featureGroup).toBe(name);
    expect(Date.parse(freshness.online.lastWriteAt ?? "")).toBeGreaterThan(0);
    await client.deleteFeatureGroup(name);
    await expect(client.describeFeatureGroup(name)).rejects.toBeInstanceOf(FeatureGroupNotFoundError);
  });

  it("throws typed errors with the server's code, status, field and request id, never the secret", async () => {
    const client = clientOf();
    const group = await createGroup();
    const invalid = await client.putRecord(group, { id: "u1", ts: ts(1), age: "old" }).catch((error: unknown) => error);
    expect(invalid).toBeInstanceOf(ValidationError);
    expect(invalid).toMatchObject({ code: "invalid_field", status: 400, field: "record.age", method: "PUT", path: `/v1/feature-groups/${group}/records` });
    expect((invalid as ValidationError).requestId).toMatch(/\S/);
    const missing = await client.describeFeatureGroup("no-such-group").catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(FeatureGroupNotFoundError);
    expect(missing).toMatchObject({ code: "feature_group_not_found", status: 404 });
    const taken = await client.createFeatureGroup({ name: group, recordIdentifierFeature: "id", eventTimeFeature: "ts", features: [{ name: "id", type: "String" }, { name: "ts", type: "String" }] }).catch((e: unknown) => e);
    expect(taken).toBeInstanceOf(ConflictError);
    expect(taken).toMatchObject({ code: "feature_group_exists", status: 409 });
    for (const error of [invalid, missing, taken]) expect(JSON.stringify(error) + String(error)).not.toContain("test-root-secret");
  });

  it("batch-gets hits, misses and per-group errors, and reads within a staleness bound", async () => {
    const client = clientOf();
    const group = await createGroup();
    await client.putRecord(group, { id: "a", ts: ts(1), age: 1 });
    await client.putRecord(group, { id: "b", ts: ts(1), age: 2 });
    const answer = await client.batchGetRecord({ requests: [{ featureGroup: group, recordIdentifiers: ["a", "b", "zz"], features: ["age"] }, { featureGroup: "no-such-group", recordIdentifiers: ["a"] }] });
    // Shards answer in parallel: the order of records is not part of the contract (nor SageMaker's).
    expect([...answer.records].sort((x, y) => x.recordIdentifier.localeCompare(y.recordIdentifier))).toEqual([
      { featureGroup: group, recordIdentifier: "a", record: { age: 1 }, ageMs: 0 },
      { featureGroup: group, recordIdentifier: "b", record: { age: 2 }, ageMs: 0 },
    ]);
    expect(answer.misses).toEqual([{ featureGroup: group, recordIdentifier: "zz" }]);
    expect(answer.errors).toEqual([{ featureGroup: "no-such-group", error: expect.objectContaining({ code: "feature_group_not_found" }) }]);
    expect(answer.unprocessed).toEqual([]);
    const bounded = await client.getRecord(group, "a", { maxStalenessMs: 60_000 });
    expect(bounded?.record).toMatchObject({ age: 1 });
    expect(bounded?.ageMs).toBeGreaterThanOrEqual(0);
    expect(bounded?.ageMs).toBeLessThanOrEqual(60_000);
  });

  it("ingests records in bulk with an idempotency key, so a repeat writes no offline row twice", async () => {
    const client = clientOf();
    const group = await createGroup({ offline: true, shardCount: 1 });
    const rows = [1, 2, 3].map((n) => ({ id: `r${n}`, ts: ts(n), age: n }));
    const first = await client.ingest(group, rows, { idempotencyKey: `${group}-load-1` });
    expect(first).toMatchObject({ rows: 3, written: 3, offline: { written: 3, alreadyWritten: 0 }, invalidRows: 0 });
    const again = await client.ingest(group, rows, { idempotencyKey: `${group}-load-1` });
    expect(again.offline).toEqual({ written: 0, alreadyWritten: 3 });
    const skipped = await client.ingest(group, "id,ts,age\nr9,2026-01-09T00:00:00Z,nine\n", { format: "csv", onInvalid: "skip", targetStores: ["online"] });
    expect(skipped).toMatchObject({ rows: 1, written: 0, invalidRows: 1, invalid: [{ row: 2, code: "invalid_field", field: "age" }] });
  });
});

describe("TypeScript client: request coalescing", () => {
  it("sends concurrent getRecord calls of one tick as one BatchGetRecord, and a lone call as one GetRecord", async () => {
    const { fetch, calls } = counting();
    const client = clientOf({ fetch, coalesce: true });
    const group = await createGroup();
    const ids = Array.from({ length: 30 }, (_, i) => `u${i}`);
    for (const [i, id] of ids.entries()) if (i % 3 !== 0) await clientOf().putRecord(group, { id, ts: ts(1), age: i });
    const reads = await Promise.all(ids.map((id) => client.getRecord(group, id)));
    expect(calls).toEqual(["POST /v1/records/batch-get"]);
    expect(reads.map((r) => r?.record.age ?? null)).toEqual(ids.map((_, i) => (i % 3 === 0 ? null : i)));
    expect(client.coalescing).toEqual({ batchCalls: 1, singleCalls: 0 });

    calls.length = 0;
    expect((await client.getRecord(group, "u1"))?.record).toMatchObject({ age: 1 });
    expect(calls).toEqual([`GET /v1/feature-groups/${group}/records/u1`]);
  });

  it("keeps reads apart that a batch cannot tell apart, and fails only the reads of a group that fails", async () => {
    const { fetch, calls } = counting();
    const client = clientOf({ fetch, coalesce: true });
    const group = await createGroup();
    await clientOf().putRecord(group, { id: "a", ts: ts(1), age: 1, city: "Oslo" });
    const [all, some, same, bounded, unknown] = await Promise.allSettled([
      client.getRecord(group, "a"),
      client.getRecord(group, "a", { features: ["city"] }),
      client.getRecord(group, "a"),
      client.getRecord(group, "a", { maxStalenessMs: 5_000 }),
      client.getRecord("no-such-group", "a"),
    ]);
    // Three partitions: all features (with the unknown group), the feature subset, the staleness bound.
    expect(calls.filter((c) => c === "POST /v1/records/batch-get")).toHaveLength(3);
    expect(all).toEqual({ status: "fulfilled", value: { record: { id: "a", ts: ts(1), age: 1, city: "Oslo" }, ageMs: 0 } });
    expect(same).toEqual(all);
    expect(some).toEqual({ status: "fulfilled", value: { record: { city: "Oslo" }, ageMs: 0 } });
    expect(bounded).toMatchObject({ status: "fulfilled", value: { record: { age: 1 } } });
    expect(unknown.status).toBe("rejected");
    expect((unknown as PromiseRejectedResult).reason).toBeInstanceOf(FeatureGroupNotFoundError);
    expect((unknown as PromiseRejectedResult).reason).toMatchObject({ status: 404 });
  });
});

describe("TypeScript client: retries and timeouts", () => {
  const CODE_OF_STATUS: Record<number, string> = { 429: "throttled", 500: "internal_error", 502: "bad_gateway", 503: "unavailable" };

  /** Answers the first `failures` requests with `status` (and Retry-After) itself, then hands over to the worker. */
  function failingFirst(failures: number, status: number, retryAfter?: string) {
    const { fetch, calls } = counting((url, init) => {
      const error = { code: CODE_OF_STATUS[status], message: "injected" };
      if (calls.length <= failures) return Promise.resolve(Response.json({ error }, { status, headers: retryAfter ? { "retry-after": retryAfter } : {} }));
      return workerFetch(url, init);
    });
    return { fetch, calls };
  }

  it("retries a 503 after the Retry-After it names, also for a create, and succeeds", async () => {
    const { fetch, calls } = failingFirst(1, 503, "1");
    const client = clientOf({ fetch });
    const name = uniqueName("client-retry");
    const started = Date.now();
    const created = await client.createFeatureGroup({ name, recordIdentifierFeature: "id", eventTimeFeature: "ts", features: [{ name: "id", type: "String" }, { name: "ts", type: "String" }] });
    expect(created.name).toBe(name);
    expect(calls).toEqual(["POST /v1/feature-groups", "POST /v1/feature-groups"]);
    // The backoff alone would wait about 1 ms; Retry-After: 1 makes it at least a second.
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
  });

  it("retries 429 up to maxRetries, then throws the typed error", async () => {
    const { fetch, calls } = failingFirst(10, 429);
    const error = await clientOf({ fetch, maxRetries: 2 }).health().catch((e: unknown) => e);
    expect(calls).toHaveLength(3);
    expect(error).toMatchObject({ name: "ThrottledError", status: 429 });
  });

  it("retries 502 for reads but not for a put, and never retries a 500", async () => {
    const group = await createGroup();
    const proxy = failingFirst(1, 502);
    expect(await clientOf({ fetch: proxy.fetch }).getRecord(group, "nobody")).toBeNull();
    expect(proxy.calls).toHaveLength(2);
    const put = failingFirst(1, 502);
    await expect(clientOf({ fetch: put.fetch }).putRecord(group, { id: "a", ts: ts(1) })).rejects.toMatchObject({ name: "FeatureStoreError", status: 502, code: "bad_gateway" });
    expect(put.calls).toHaveLength(1);
    const broken = failingFirst(1, 500);
    await expect(clientOf({ fetch: broken.fetch }).health()).rejects.toBeInstanceOf(ServerError);
    expect(broken.calls).toHaveLength(1);
  });

  it("gives up on an attempt after timeoutMs, and stops at once when the caller aborts", async () => {
    const calls: string[] = [];
    const hanging: FetchLike = (url, init) => {
      calls.push(url);
      return new Promise((_, reject) => init.signal?.addEventListener("abort", () => reject(init.signal?.reason)));
    };
    const client = clientOf({ fetch: hanging, timeoutMs: 50, maxRetries: 1 });
    const timedOut = await client.health().catch((e: unknown) => e);
    expect(timedOut).toBeInstanceOf(RequestTimeoutError);
    expect(timedOut).toMatchObject({ code: "timeout", method: "GET", path: "/v1/health" });
    expect(calls).toHaveLength(2); // a read is retried once after its timeout
    calls.length = 0;
    const controller = new AbortController();
    const aborted = clientOf({ fetch: hanging }).health({ signal: controller.signal }).catch((e: unknown) => e);
    controller.abort(new Error("caller gave up"));
    expect(await aborted).toMatchObject({ message: "caller gave up" });
    expect(calls).toHaveLength(1);
  });
});

describe("TypeScript client: time travel and datasets", () => {
  it("reads as-of snapshots and history, builds a dataset, and manages a dataset job", async () => {
    const client = clientOf();
    const group = await createGroup({ offline: true, shardCount: 1 });
    await client.putRecord(group, { id: "u1", ts: ts(1), age: 1 });
    await client.putRecord(group, { id: "u1", ts: ts(3), age: 3 });
    await client.putRecord(group, { id: "u2", ts: ts(2), age: 2 });
    await settle(group, 3);

    const page = await client.asOf(group, { eventTime: new Date("2026-01-02T12:00:00Z"), features: ["age"] });
    expect(page.records.map((v) => [v.recordIdentifier, v.record])).toEqual([
      ["u1", { age: 1 }],
      ["u2", { age: 2 }],
    ]);
    const paged: string[] = [];
    for await (const version of client.asOfAll(group, { limit: 1 })) paged.push(`${version.recordIdentifier}:${version.record.age}`);
    expect(paged).toEqual(["u1:3", "u2:2"]);
    const history = await client.history(group, "u1");
    expect(history.versions.map((v) => v.record.age)).toEqual([1, 3]);

    const dataset = await client.buildDataset({
      entities: { rows: [{ user: "u1", at: "2026-01-02T00:00:00Z" }, { user: "u1", at: "2026-01-04T00:00:00Z" }] },
      timestampColumn: "at",
      featureGroups: [{ name: group, entityColumn: "user", features: ["age"], prefix: "f_" }],
      eventTimeOnly: true,
    });
    expect(dataset.rows).toEqual([
      { user: "u1", at: "2026-01-02T00:00:00Z", f_age: 1 },
      { user: "u1", at: "2026-01-04T00:00:00Z", f_age: 3 },
    ]);

    // The job stays queued here (the sdk project runs dataset jobs): create, read, cancel.
    const job = await client.createDatasetJob({ entities: { rows: [{ user: "u1", at: ts(4) }] }, timestampColumn: "at", featureGroups: [{ name: group, entityColumn: "user" }], format: "csv" });
    expect(job).toMatchObject({ state: "queued", format: "csv" });
    expect((await client.getDatasetJob(job.id)).id).toBe(job.id);
    await expect(client.datasetJobResult(job.id)).rejects.toBeInstanceOf(ConflictError);
    expect(await client.cancelDatasetJob(job.id)).toMatchObject({ state: "cancelled" });
    expect(await client.waitForDatasetJob(job.id)).toMatchObject({ state: "cancelled" });
  }, 30_000);
});
