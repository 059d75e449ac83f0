import { describe, expect, it } from "vitest";
import { api, createGroup, putRecord } from "../helpers";
import { confirmOutbox, groupInfo, shardStub } from "./harness";
import { drainShards, waitForOfflineRows } from "./support";

describe("offline store description for external engines", () => {
  it("lists the manifest's files with stats, and SQL that names exactly those files", async () => {
    const group = await createGroup({ offline: true, shardCount: 1, features: [{ name: "age", type: "Integral" }, { name: "tags", type: "String", collection: { type: "List" } }] });
    await putRecord(group, { id: "u1", ts: "2026-03-01T10:15:00Z", age: 1, tags: ["a"] });
    await putRecord(group, { id: "u2", ts: "2026-03-01T11:45:00Z", age: 2 });
    await drainShards(group);
    await waitForOfflineRows(group, 2);
    const res = await api("GET", `/v1/feature-groups/${group}/offline-store`);
    expect(res.status).toBe(200);
    const { generation } = (await api("GET", `/v1/feature-groups/${group}`)).body;
    expect(res.body.location).toBe(`s3://feature-store-offline/offline-store/${group}/${generation}/data/`);
    expect(res.body.stats).toMatchObject({ files: 2, rows: 2, partitions: 2, minEventTime: "2026-03-01T10:15:00.000Z", maxEventTime: "2026-03-01T11:45:00.000Z" });
    expect(res.body.files.map((f: { partition: string }) => f.partition)).toEqual(["year=2026/month=03/day=01/hour=10", "year=2026/month=03/day=01/hour=11"]);
    for (const file of res.body.files) expect(res.body.sql.duckdb).toContain(file.uri);
    expect(res.body.sql.duckdb).toContain("hive_partitioning = true");
    expect(res.body.columns).toEqual([
      { name: "id", hiveType: "string" },
      { name: "ts", hiveType: "string" },
      { name: "age", hiveType: "bigint" },
      { name: "tags", hiveType: "array<string>" },
      { name: "write_time", hiveType: "timestamp" },
      { name: "api_invocation_time", hiveType: "timestamp" },
      { name: "is_deleted", hiveType: "boolean" },
      { name: "write_sequence", hiveType: "bigint" },
      { name: "available_time", hiveType: "timestamp" },
    ]);
    expect(res.body.sql.athena).toMatch(/CREATE EXTERNAL TABLE[\s\S]*PARTITIONED BY \(`year` string, `month` string, `day` string, `hour` string\)[\s\S]*STORED AS PARQUET[\s\S]*LOCATION 's3:\/\//);
    expect(res.body.sql.spark).toContain("LOCATION 's3a://");
  }, 30_000);

  it("shows acknowledged rows still waiting in the outboxes as pending", async () => {
    const group = await createGroup({ offline: true, shardCount: 2 });
    await putRecord(group, { id: "u1", ts: "2026-03-01T10:15:00Z" });
    await putRecord(group, { id: "u2", ts: "2026-03-01T10:16:00Z" });
    const before = await api("GET", `/v1/feature-groups/${group}/offline-store`);
    expect(before.body.pending).toMatchObject({ rows: 2, maxAttempts: 0 });
    expect(before.body.stats.rows).toBe(0);
    await drainShards(group);
    // Sent, but pending until the manifest has them: the outbox, not the queue, holds them until then.
    const sent = await api("GET", `/v1/feature-groups/${group}/offline-store`);
    expect(sent.body.pending).toMatchObject({ rows: 2, sealedBatches: 2, sentBatches: 2, resentBatches: 0, maxSends: 1 });
    expect(Date.parse(sent.body.pending.oldestSentAt)).toBeGreaterThan(0);
    const { generation } = await groupInfo(group);
    for (const i of [0, 1]) await confirmOutbox(shardStub(generation, i));
    const after = await api("GET", `/v1/feature-groups/${group}/offline-store`);
    expect(after.body.pending).toMatchObject({ rows: 0, sealedBatches: 0, sentBatches: 0, oldestAt: null, oldestSentAt: null });
    expect(after.body.stats.rows).toBe(2);
  }, 30_000);

  it("lists dead letters kept from the dead-letter queue", async () => {
    const { env, createMessageBatch, createExecutionContext, getQueueResult } = await import("cloudflare:test");
    const worker = (await import("../../src/index")).default;
    const batch = createMessageBatch("feature-store-offline-dlq", [{ id: "dead-1", timestamp: new Date(), attempts: 6, body: { v: 1, batchId: "g:0:1", generation: "g", rows: [] } }]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["dead-1"]);
    const res = await api("GET", "/v1/offline/dead-letters");
    expect(res.body.deadLetters).toEqual([expect.objectContaining({ messageId: "dead-1", batchId: "g:0:1", attempts: 6 })]);
  });

  it("refuses a group without an offline store", async () => {
    const group = await createGroup();
    const res = await api("GET", `/v1/feature-groups/${group}/offline-store`);
    expect(res.status).toBe(400);
  });
});
