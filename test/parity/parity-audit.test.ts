import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { catalogDb } from "../../src/catalog";
import { DEFAULT_SLICE_POLICY, getJob, runJobNow, runJobsTick, type SlicePolicy } from "../../src/jobs";
import { registerFiles } from "../../src/offline/manifest";
import { offlineTable, tableToParquet } from "../../src/offline/parquet";
import { api, at, createGroup, putRecord } from "../helpers";
import { createEncryptedGroup } from "../crypto/support";
import { createJob, tickWhenDue } from "../jobs/support";
import { groupInfo, RecordingQueue, restoreShardEnv, shardStub, swapShardQueue } from "../offline/harness";
import { settle } from "../offline/support";
import { features, inShardOf, mixedWorkload, startAudit } from "./support";

const NO_DIFFERENCES = { differing: 0, onlineOnly: 0, offlineOnly: 0, pending: 0 };

/** A small group in step on both sides: c1…c6 through puts and bulk ingest, flushed. */
async function steadyGroup(): Promise<string> {
  const group = await createGroup({ offline: true, shardCount: 2 });
  for (const i of [1, 2, 3]) expect((await putRecord(group, { id: `c${i}`, ts: at(10), age: i, city: "Bern" })).status).toBe(200);
  const rows = [4, 5, 6].map((i) => JSON.stringify({ id: `c${i}`, ts: at(10), age: i })).join("\n");
  expect((await api("POST", `/v1/feature-groups/${group}/records/batch`, rows, { "content-type": "application/x-ndjson" })).status).toBe(200);
  await settle(group, 0);
  return group;
}

describe("parity audit of the online and offline stores", () => {
  it("reports zero differences after a mixed workload through every write path", async () => {
    const group = await createGroup({ offline: true, shardCount: 3, features });
    await mixedWorkload(group);
    const res = await startAudit(group);
    expect(res.status, res.text).toBe(202);
    // p1 p2 p3 p4 p5 p6 s1 s2 k1 k2 j1 j2 m1 e1: deleted (p3, p4, p6) and expired (e1) ones match as gone on both sides.
    expect(res.body).toMatchObject({ featureGroup: group, status: "succeeded", counts: { matching: 14, ...NO_DIFFERENCES }, differences: 0, examples: [], progress: { identifiers: 14 } });
    expect(res.headers.get("location")).toBe(`/v1/feature-groups/${group}/audits/${res.body.id}`);
    const again = await api("GET", res.headers.get("location")!);
    expect(again.body).toMatchObject({ id: res.body.id, status: "succeeded", counts: res.body.counts, trigger: "manual" });
    expect(again.body.finishedAt).not.toBeNull();
  }, 120_000);

  it("finds exactly the identifier whose online record was changed in the shard's storage", async () => {
    const group = await steadyGroup();
    await inShardOf(group, "c2", (sql) => sql.exec("UPDATE records SET body = json_set(body, '$.age', 999) WHERE record_identifier = 'c2'"));
    const res = await startAudit(group);
    expect(res.body.counts).toEqual({ matching: 5, differing: 1, onlineOnly: 0, offlineOnly: 0, pending: 0 });
    expect(res.body.examples).toEqual([
      expect.objectContaining({
        recordIdentifier: "c2",
        verdict: "differing",
        differingFeatures: ["age"],
        online: expect.objectContaining({ state: "live", record: { id: "c2", ts: at(10), age: 999, city: "Bern" } }),
        offline: expect.objectContaining({ state: "live", record: { id: "c2", ts: at(10), age: 2, city: "Bern" } }),
      }),
    ]);
  }, 60_000);

  it("finds exactly the identifier whose online row was removed from the shard's storage", async () => {
    const group = await steadyGroup();
    await inShardOf(group, "c5", (sql) => sql.exec("DELETE FROM records WHERE record_identifier = 'c5'"));
    const res = await startAudit(group);
    expect(res.body.counts).toEqual({ matching: 5, differing: 0, onlineOnly: 0, offlineOnly: 1, pending: 0 });
    expect(res.body.examples).toEqual([expect.objectContaining({ recordIdentifier: "c5", verdict: "offlineOnly", online: { state: "absent" }, offline: expect.objectContaining({ state: "live" }) })]);
  }, 60_000);

  it("finds exactly the identifier whose offline store gained a newer version in R2", async () => {
    const group = await steadyGroup();
    const { generation } = await groupInfo(group);
    const schema = (await api("GET", `/v1/feature-groups/${group}`)).body.features;
    const now = Date.now();
    // A version of c3 at the same event time but a later write sequence, as if a writer had put it only offline.
    const bytes = tableToParquet(offlineTable(schema, [{ values: { id: "c3", ts: at(10), age: 33, city: "Bern" }, writeTimeMs: now, apiInvocationTimeMs: now, isDeleted: false, writeSequence: (now + 60_000) * 1000, availableTimeMs: now }]));
    const partition = "year=2026/month=01/day=01/hour=00";
    const key = `offline-store/${group}/${generation}/data/${partition}/corrupt.parquet`;
    await env.OFFLINE_BUCKET.put(key, bytes);
    const eventMs = Date.parse(at(10));
    await registerFiles(catalogDb(env.DB), [{ key, generation, featureGroup: group, partition, rowCount: 1, byteSize: bytes.byteLength, minEventTime: eventMs, maxEventTime: eventMs, minWriteTime: now, maxWriteTime: now, schemaVersion: 1 }], [], now);
    const res = await startAudit(group);
    expect(res.body.counts).toEqual({ matching: 5, differing: 1, onlineOnly: 0, offlineOnly: 0, pending: 0 });
    expect(res.body.examples).toEqual([expect.objectContaining({ recordIdentifier: "c3", differingFeatures: ["age"], offline: expect.objectContaining({ record: { id: "c3", ts: at(10), age: 33, city: "Bern" } }) })]);
  }, 60_000);

  it("compares an encrypted group's stores by their opened values", async () => {
    const { name: group } = await createEncryptedGroup({ online: true, offline: true, shardCount: 2 });
    for (const id of ["x1", "x2"]) expect((await putRecord(group, { id, ts: at(10), age: 1, city: "Bern" })).status).toBe(200);
    await settle(group, 0);
    expect((await startAudit(group)).body.counts).toEqual({ matching: 2, differing: 0, onlineOnly: 0, offlineOnly: 0, pending: 0 });
    expect((await api("PATCH", `/v1/feature-groups/${group}/records/x2`, { features: { age: 9 }, targetStores: ["online"] })).status).toBe(200);
    const res = await startAudit(group);
    expect(res.body.counts).toMatchObject({ matching: 1, differing: 1 });
    expect(res.body.examples).toEqual([expect.objectContaining({ recordIdentifier: "x2", differingFeatures: ["age"], online: expect.objectContaining({ record: { id: "x2", ts: at(10), age: 9, city: "Bern" } }) })]);
  }, 60_000);

  it("reports a write the outbox has not delivered as pending, not as a difference", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    const { generation } = await groupInfo(group);
    const stub = shardStub(generation, 0);
    // The shard's queue keeps what it is sent, so the row never reaches the offline store.
    await swapShardQueue(stub, new RecordingQueue().asQueue());
    try {
      expect((await putRecord(group, { id: "w1", ts: at(10), age: 1 })).status).toBe(200);
      const res = await startAudit(group);
      expect(res.body.counts).toEqual({ matching: 0, differing: 0, onlineOnly: 0, offlineOnly: 0, pending: 1 });
      expect(res.body.differences).toBe(0);
      expect(res.body.examples).toEqual([expect.objectContaining({ recordIdentifier: "w1", verdict: "pending", pendingReason: "outbox", online: expect.objectContaining({ state: "live" }), offline: { state: "absent" } })]);
    } finally {
      await restoreShardEnv(stub);
    }
  });

  it("pages through identifiers in code-point order across shards, and continues on the cron tick", async () => {
    const group = await createGroup({ offline: true, shardCount: 2 });
    // Identifiers whose UTF-16 and UTF-8 orders disagree (U+E000 against an emoji), and digits that sort as text.
    const ids = ["a", "b", "m", "z", "ä", "\uE000", "😀", "😀2", "10", "9", "Z"];
    const rows = ids.map((id, i) => JSON.stringify({ id, ts: at(10), age: i })).join("\n");
    expect((await api("POST", `/v1/feature-groups/${group}/records/batch`, rows, { "content-type": "application/x-ndjson" })).status).toBe(200);
    expect((await putRecord(group, { id: "only-online", ts: at(10) }, { targetStores: ["online"] })).status).toBe(200);
    expect((await putRecord(group, { id: "\uFFFDonly-offline", ts: at(10) }, { targetStores: ["offline"] })).status).toBe(200);
    await settle(group, 0);

    const job = await createJob({ kind: "parity-audit", featureGroup: group, schedule: null });
    const small: SlicePolicy = { ...DEFAULT_SLICE_POLICY, parityPages: 1, parityPageIdentifiers: 3 };
    const started = await runJobNow(env, (await getJob(catalogDb(env.DB), job.id))!, small);
    expect(started.ok && started.value.status).toBe("running");
    const location = `/v1/feature-groups/${group}/audits/${started.ok ? started.value.id : ""}`;
    let audit = (await api("GET", location)).body;
    expect(audit.progress.pages).toBe(1);
    for (let tick = 0; tick < 20 && audit.status === "running"; tick++) {
      await runJobsTick(env, Date.now(), small);
      audit = (await api("GET", location)).body;
    }
    expect(audit).toMatchObject({ status: "succeeded", counts: { matching: ids.length, differing: 0, onlineOnly: 1, offlineOnly: 1, pending: 0 }, progress: { identifiers: ids.length + 2 } });
    expect(audit.progress.pages).toBeGreaterThan(3);
    // One page of the default size counts the same.
    const whole = await startAudit(group);
    expect(whole.body).toMatchObject({ counts: audit.counts, progress: { pages: 1, identifiers: ids.length + 2 } });
    expect(whole.body.examples.map((e: { recordIdentifier: string }) => e.recordIdentifier)).toEqual(["only-online", "\uFFFDonly-offline"]);
  }, 60_000);

  it("refuses bad input with a 4xx naming the field and rule, and starts nothing", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    const cases: [unknown, string][] = [
      [{ examples: -1 }, "examples"],
      [{ examples: 26 }, "examples"],
      [{ examples: "3" }, "examples"],
      [{ sample: 1 }, "sample"],
      [[1], "body"],
      ["{", "body"],
      [" ", "body"],
    ];
    for (const [body, field] of cases) {
      const res = await startAudit(group, body);
      expect(res.status, res.text).toBe(400);
      expect(res.body.error).toMatchObject({ code: "invalid_field", field });
    }
    const onlineOnly = await createGroup();
    const noOffline = await startAudit(onlineOnly);
    expect(noOffline.status).toBe(400);
    expect(noOffline.body.error).toMatchObject({ field: "featureGroup" });
    expect(noOffline.body.error.message).toContain("both an online and an offline store");
    expect((await startAudit("no-such-group")).status).toBe(404);
    expect((await api("GET", `/v1/feature-groups/${group}/audits`)).body).toEqual({ audits: [] });
    expect((await api("GET", `/v1/jobs?featureGroup=${group}`)).body.jobs).toEqual([]);
    expect((await api("GET", `/v1/feature-groups/${group}/audits/no-such-audit`)).status).toBe(404);
    expect((await api("GET", `/v1/feature-groups/${group}/audits?after=no-such-audit`)).body.error).toMatchObject({ field: "after" });
    expect((await api("GET", `/v1/feature-groups/${group}/audits?limit=0`)).body.error).toMatchObject({ field: "limit" });
    const badJob = await api("POST", "/v1/jobs", { kind: "parity-audit", featureGroup: group, mode: "online" });
    expect(badJob.body.error).toMatchObject({ field: "mode" });
  });

  it("keeps and lists results newest first, and writes each start to the audit log", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    const first = await startAudit(group, { examples: 0 });
    const second = await startAudit(group, {});
    expect([first.status, second.status]).toEqual([202, 202]);
    expect(first.body.maxExamplesPerKind).toBe(0);
    const page1 = await api("GET", `/v1/feature-groups/${group}/audits?limit=1`);
    expect(page1.body.audits.map((a: { id: string }) => a.id)).toEqual([second.body.id]);
    const page2 = await api("GET", `/v1/feature-groups/${group}/audits?limit=1&after=${page1.body.nextAfter}`);
    expect(page2.body.audits.map((a: { id: string }) => a.id)).toEqual([first.body.id]);
    expect(page2.body.nextAfter).toBeUndefined();
    const log = await api("GET", `/v1/admin/audit?action=featurestore:StartParityAudit&featureGroup=${group}`);
    expect(log.body.entries).toHaveLength(2);
    expect(log.body.entries[0]).toMatchObject({ action: "featurestore:StartParityAudit", featureGroup: group, result: "allowed" });
  });

  it("runs on a schedule as a job kind", async () => {
    const group = await steadyGroup();
    const job = await createJob({ kind: "parity-audit", featureGroup: group, schedule: "*/10 * * * *" });
    expect(await tickWhenDue(job.id)).toMatchObject({ trigger: "schedule", status: "succeeded", rows: { read: 6 } });
    const [audit] = (await api("GET", `/v1/feature-groups/${group}/audits`)).body.audits;
    expect(audit).toMatchObject({ jobId: job.id, trigger: "schedule", status: "succeeded", counts: { matching: 6, ...NO_DIFFERENCES } });
  }, 60_000);
});
