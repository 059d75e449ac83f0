import { runInDurableObject } from "cloudflare:test";
import { shardIndexOf } from "../../src/online";
import { api, at, putRecord, type ApiResponse } from "../helpers";
import { createJob, land, ndjson } from "../jobs/support";
import { groupInfo, shardStub } from "../offline/harness";
import { settle } from "../offline/support";

/** Parity audit test support: start and read audits, write through every path, reach into a shard's storage. */

export const startAudit = (group: string, body?: unknown): Promise<ApiResponse> => api("POST", `/v1/feature-groups/${group}/audit`, body);

export const features = [
  { name: "age", type: "Integral" },
  { name: "score", type: "Fractional" },
  { name: "city", type: "String" },
  { name: "tags", type: "String", collection: { type: "List" } },
  { name: "emb", type: "Fractional", collection: { type: "Vector", dimension: 2 } },
];

const ok = (res: ApiResponse, what: string) => {
  if (res.status >= 300 || res.body?.Errors?.length || res.body?.failed?.length) throw new Error(`${what}: ${res.status} ${res.text}`);
  return res;
};

const sageMaker = (method: string, path: string, body: unknown) => api(method, path, body, { "content-type": "application/x-amz-json-1.1" });
const strings = (record: Record<string, string>) => Object.entries(record).map(([FeatureName, ValueAsString]) => ({ FeatureName, ValueAsString }));

/**
 * Writes through every path that keeps both stores in step: native and
 * SageMaker puts, BatchWriteRecord, updates, soft and hard deletes, older
 * and equal event times, bulk ingest (a repeated identifier included), an
 * ingest job, an offline-only ingest job followed by materialise, and a
 * record written already past its TTL. Then flushes every outbox.
 */
export async function mixedWorkload(group: string): Promise<void> {
  ok(await putRecord(group, { id: "p1", ts: at(10), age: 1, score: 0.5, city: "Bern", tags: ["a", "b"], emb: [0.1, 0.2] }), "put p1");
  ok(await putRecord(group, { id: "p1", ts: at(5), age: 0 }), "older put p1"); // offline history only
  ok(await putRecord(group, { id: "p2", ts: at(10), age: "9223372036854775807", city: "Zürich" }), "put p2");
  ok(await api("PATCH", `/v1/feature-groups/${group}/records/p2`, { features: { score: 2.25 } }), "update p2");
  ok(await putRecord(group, { id: "p3", ts: at(10), age: 3 }), "put p3");
  ok(await api("DELETE", `/v1/feature-groups/${group}/records/p3?eventTime=${at(20)}`), "soft delete p3");
  ok(await putRecord(group, { id: "p4", ts: at(10), age: 4 }), "put p4");
  ok(await api("DELETE", `/v1/feature-groups/${group}/records/p4?eventTime=${at(20)}&mode=hard`), "hard delete p4");
  ok(await putRecord(group, { id: "p5", ts: at(10), age: 5 }), "put p5");
  ok(await putRecord(group, { id: "p5", ts: at(10), age: 55 }), "equal event time p5"); // the later write wins on both sides
  ok(await api("DELETE", `/v1/feature-groups/${group}/records/p6?eventTime=${at(1)}`), "delete of a record never written");
  ok(await sageMaker("PUT", `/FeatureGroup/${group}`, { Record: strings({ id: "s1", ts: at(10), age: "7", score: "1.5" }) }), "SageMaker PutRecord");
  ok(await sageMaker("POST", `/FeatureGroup/${group}/Record`, { RecordIdentifierValueAsString: "s1", Features: strings({ city: "Genf" }) }), "SageMaker UpdateRecord");
  ok(await api("POST", "/BatchWriteRecord", { Entries: [{ FeatureGroupName: group, Record: strings({ id: "s2", ts: at(11), age: "8" }) }] }), "BatchWriteRecord");
  const bulk = ndjson([
    { id: "k1", ts: at(10), age: 1 },
    { id: "k2", ts: at(10), age: 2 },
    { id: "k1", ts: at(10), age: 11 }, // same event time, later in the body: wins
    { id: "p5", ts: at(9), age: 0 }, // older than the online record
  ]);
  ok(await api("POST", `/v1/feature-groups/${group}/records/batch`, bulk, { "content-type": "application/x-ndjson" }), "bulk ingest");
  const both = `${group}/both-${crypto.randomUUID()}/`;
  await land(`${both}rows.ndjson`, ndjson([{ id: "j1", ts: at(10), age: 1 }, { id: "j2", ts: at(12), city: "Chur" }]));
  const bothJob = await createJob({ featureGroup: group, source: { prefix: both }, format: "ndjson", mode: "both", schedule: null });
  ok(await api("POST", `/v1/jobs/${bothJob.id}/run`), "ingest job (both)");
  const offline = `${group}/offline-${crypto.randomUUID()}/`;
  await land(`${offline}rows.ndjson`, ndjson([{ id: "m1", ts: at(10), age: 1 }, { id: "m1", ts: at(15), age: 2 }, { id: "j1", ts: at(11), age: 111 }]));
  const offlineJob = await createJob({ featureGroup: group, source: { prefix: offline }, format: "ndjson", mode: "offline", schedule: null });
  ok(await api("POST", `/v1/jobs/${offlineJob.id}/run`), "ingest job (offline)");
  ok(await api("POST", `/v1/feature-groups/${group}/materialize`), "materialize");
  const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
  ok(await putRecord(group, { id: "e1", ts: hourAgo, age: 1 }, { ttl: { unit: "Minutes", value: 1 } }), "put past its TTL");
  await settle(group, 0);
}

/** Runs `change` on the SQLite storage of the shard that holds `id`. */
export async function inShardOf(group: string, id: string, change: (sql: SqlStorage) => void): Promise<void> {
  const { generation, shardCount } = await groupInfo(group);
  await runInDurableObject(shardStub(generation, shardIndexOf(id, shardCount)), (_instance, state) => change(state.storage.sql));
}
