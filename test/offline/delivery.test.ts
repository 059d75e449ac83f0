import { env, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, at, createGroup, putRecord } from "../helpers";
import {
  activeRows,
  bucketKeys,
  captureDrain,
  confirmOutbox,
  consumeWith,
  d1FailingBatch,
  dataPrefixOf,
  deliver,
  eventually,
  groupInfo,
  manifestFiles,
  RecordingQueue,
  registeredBatchIds,
  restoreShardEnv,
  shardOutbox,
  shardStub,
  swapShardQueue,
  waitForManifestRows,
} from "./harness";

const summary = (rows: Record<string, unknown>[]) => rows.map((r) => [r.id, r.ts, r.age, r.is_deleted]).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

describe("offline delivery: redelivery, failures and retries", () => {
  it("acknowledges a redelivered batch without writing it again", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    const { generation } = await groupInfo(group);
    await putRecord(group, { id: "u1", ts: at(10), age: 1 });
    await putRecord(group, { id: "u2", ts: at(20), age: 2 });
    const messages = await captureDrain(group);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.rows).toHaveLength(2);

    const first = await deliver(messages);
    expect(first.result.explicitAcks).toEqual(first.ids);
    expect(first.result.retryMessages).toEqual([]);
    const manifestAfterFirst = await manifestFiles(group);
    const objectsAfterFirst = await bucketKeys(dataPrefixOf(group, generation));
    expect(manifestAfterFirst).toHaveLength(1);
    expect(objectsAfterFirst).toEqual([manifestAfterFirst[0]!.key]);

    // The queue delivers the same message again (same id, next attempt), and a re-send arrives under a new id.
    const redelivered = await deliver(messages, { ids: first.ids, attempts: 2 });
    expect(redelivered.result.explicitAcks).toEqual(first.ids);
    expect(redelivered.result.retryMessages).toEqual([]);
    const resent = await deliver(messages);
    expect(resent.result.explicitAcks).toEqual(resent.ids);

    expect(await manifestFiles(group)).toEqual(manifestAfterFirst);
    expect(await bucketKeys(dataPrefixOf(group, generation))).toEqual(objectsAfterFirst);
    expect(await registeredBatchIds(generation)).toEqual([{ batch_id: messages[0]!.batchId, row_count: 2 }]);
    expect(summary(await activeRows(group))).toEqual([
      ["u1", at(10), 1, false],
      ["u2", at(20), 2, false],
    ]);
  });

  it("writes a batch once when the same batch arrives twice in one delivery", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    const { generation } = await groupInfo(group);
    await putRecord(group, { id: "u1", ts: at(10), age: 1 });
    const [message] = await captureDrain(group);
    const delivery = await deliver([message, message]);
    expect([...delivery.result.explicitAcks].sort()).toEqual([...delivery.ids].sort());
    expect(await manifestFiles(group)).toHaveLength(1);
    expect(await bucketKeys(dataPrefixOf(group, generation))).toHaveLength(1);
    expect(summary(await activeRows(group))).toEqual([["u1", at(10), 1, false]]);
  });

  it("retries a delivery whose manifest commit failed after its objects were written, and the retry registers every row once under the same keys", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    const { generation } = await groupInfo(group);
    // Two partitions, so the failed attempt leaves two objects behind.
    await putRecord(group, { id: "u1", ts: "2026-02-01T10:00:00Z", age: 1 });
    await putRecord(group, { id: "u2", ts: "2026-02-01T10:30:00Z", age: 2 });
    await putRecord(group, { id: "u3", ts: "2026-02-01T11:00:00Z", age: 3 });
    const messages = await captureDrain(group);
    expect(messages).toHaveLength(1);

    const d1 = d1FailingBatch(env.DB, 1);
    const failed = await consumeWith(d1.db, messages);
    expect(d1.failures()).toBe(1);
    expect(failed.report).toMatchObject({ acknowledged: 0, retried: 1 });
    expect(failed.result.explicitAcks).toEqual([]);
    expect(failed.result.retryMessages.map((m) => m.msgId)).toEqual(failed.ids);
    // Written but never registered: invisible to readers.
    expect(await manifestFiles(group)).toEqual([]);
    expect(await registeredBatchIds(generation)).toEqual([]);
    const leftBehind = await bucketKeys(dataPrefixOf(group, generation));
    expect(leftBehind).toHaveLength(2);

    const retried = await consumeWith(d1.db, messages, { ids: failed.ids, attempts: 2 });
    expect(retried.report).toMatchObject({ acknowledged: 1, retried: 0 });
    expect(retried.result.explicitAcks).toEqual(failed.ids);
    const files = await manifestFiles(group);
    expect(files.map((f) => f.key).sort()).toEqual(leftBehind);
    expect(files.map((f) => [f.partition, f.row_count, f.state])).toEqual([
      ["year=2026/month=02/day=01/hour=10", 2, "active"],
      ["year=2026/month=02/day=01/hour=11", 1, "active"],
    ]);
    expect(await bucketKeys(dataPrefixOf(group, generation))).toEqual(leftBehind);
    expect(await registeredBatchIds(generation)).toEqual([{ batch_id: messages[0]!.batchId, row_count: 3 }]);
    expect(summary(await activeRows(group))).toEqual([
      ["u1", "2026-02-01T10:00:00Z", 1, false],
      ["u2", "2026-02-01T10:30:00Z", 2, false],
      ["u3", "2026-02-01T11:00:00Z", 3, false],
    ]);
  });

  it("keeps the outbox when the queue refuses a send, retries later with backoff, and delivers the same batch once the queue is back", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    const { generation } = await groupInfo(group);
    const stub = shardStub(generation, 0);
    await putRecord(group, { id: "u1", ts: at(10), age: 1 });
    await putRecord(group, { id: "u2", ts: at(20), age: 2 });

    const failing = new RecordingQueue({ fail: true });
    await swapShardQueue(stub, failing.asQueue());
    try {
      const firedAt = Date.now();
      expect(await runDurableObjectAlarm(stub)).toBe(true);
      expect(failing.attempts).toHaveLength(1);
      const batchId = failing.attempts[0]![0]!.batchId;
      const afterFirst = await shardOutbox(stub);
      expect(afterFirst.rows).toBe(2);
      expect(afterFirst.batches).toHaveLength(1);
      expect(afterFirst.batches[0]!.attempts).toBeGreaterThanOrEqual(1);
      expect(afterFirst.alarm).not.toBeNull();
      expect(afterFirst.alarm!).toBeGreaterThan(firedAt);
      // Operators see it too.
      expect((await api("GET", `/v1/feature-groups/${group}/offline-store`)).body.pending).toMatchObject({ rows: 2, sealedBatches: 1 });

      // A write meanwhile, and a second failed try: the sealed batch keeps its identity and its rows.
      await putRecord(group, { id: "u3", ts: at(30), age: 3 });
      expect(await runDurableObjectAlarm(stub)).toBe(true);
      const secondTry = failing.attempts.at(-1)!;
      expect(secondTry[0]!.batchId).toBe(batchId);
      expect(secondTry[0]!.rows).toEqual(failing.attempts[0]![0]!.rows);
      const afterSecond = await shardOutbox(stub);
      expect(afterSecond.rows).toBe(3);
      expect(afterSecond.batches[0]!.attempts).toBeGreaterThan(afterFirst.batches[0]!.attempts);
      expect(afterSecond.alarm).not.toBeNull();
      expect(await manifestFiles(group)).toEqual([]);

      await restoreShardEnv(stub);
      expect(await runDurableObjectAlarm(stub)).toBe(true);
      // Sent, and kept until the manifest has registered them.
      const sent = await shardOutbox(stub);
      expect(sent.rows).toBe(3);
      expect(sent.alarm).not.toBeNull();

      const files = await waitForManifestRows(group, 3);
      const drained = await confirmOutbox(stub);
      expect(drained?.batches).toEqual([]);
      expect(files.reduce((n, f) => n + f.row_count, 0)).toBe(3);
      const batches = await registeredBatchIds(generation);
      expect(batches.map((b) => b.batch_id)).toContain(batchId);
      expect(batches.reduce((n, b) => n + b.row_count, 0)).toBe(3);
      expect(summary(await activeRows(group))).toEqual([
        ["u1", at(10), 1, false],
        ["u2", at(20), 2, false],
        ["u3", at(30), 3, false],
      ]);
    } finally {
      await restoreShardEnv(stub);
    }
  }, 30_000);
});

describe("offline delivery: records larger than a queue message", () => {
  const BIG = 300_000;

  it("stages a ~300 KB record in R2, lands it once through the real queue, and deletes the staged object", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    const { generation } = await groupInfo(group);
    const stub = shardStub(generation, 0);
    const city = "x".repeat(BIG - 1) + "!";
    expect((await putRecord(group, { id: "big", ts: at(10), city })).status).toBe(200);
    expect((await putRecord(group, { id: "small", ts: at(11), age: 1 })).status).toBe(200);

    const recorder = new RecordingQueue({ forwardTo: env.OFFLINE_QUEUE });
    await swapShardQueue(stub, recorder.asQueue());
    try {
      expect(await runDurableObjectAlarm(stub)).toBe(true);
    } finally {
      await restoreShardEnv(stub);
    }
    const staged = recorder.sent.filter((m) => m.staged !== undefined);
    expect(staged).toHaveLength(1);
    expect(staged[0]!.rows).toBeUndefined();
    expect(staged[0]!.staged).toBe(`offline-store/_staging/${staged[0]!.batchId.replaceAll(":", "/")}.json`);
    expect(staged[0]!.staged!.startsWith(`offline-store/_staging/${generation}/0/`)).toBe(true);
    for (const message of recorder.sent) expect(JSON.stringify(message).length).toBeLessThan(128_000);

    const files = await waitForManifestRows(group, 2);
    expect(files.reduce((n, f) => n + f.row_count, 0)).toBe(2);
    const rows = await activeRows(group);
    expect(rows.filter((r) => r.id === "big").map((r) => r.city)).toEqual([city]);
    expect(rows.filter((r) => r.id === "small")).toHaveLength(1);
    expect((await registeredBatchIds(generation)).reduce((n, b) => n + b.row_count, 0)).toBe(2);
    // Deleted once the batch is registered (the consumer acks, then deletes).
    const gone = await eventually(async () => ((await env.OFFLINE_BUCKET.head(staged[0]!.staged!)) === null ? true : undefined), 20_000, 100);
    expect(gone).toBe(true);
    expect(await bucketKeys(`offline-store/_staging/${generation}/`)).toEqual([]);
  }, 30_000);

  it("reads a staged batch from R2 on delivery, and acknowledges its redelivery after the staged object is gone", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    const { generation } = await groupInfo(group);
    const city = "y".repeat(BIG);
    await putRecord(group, { id: "big", ts: at(10), city });
    const messages = await captureDrain(group);
    expect(messages).toHaveLength(1);
    const key = messages[0]!.staged!;
    expect(key).toBeDefined();
    const stagedObject = await env.OFFLINE_BUCKET.get(key);
    expect(stagedObject).not.toBeNull();
    const stagedRows = (await stagedObject!.json()) as { recordIdentifier: string; body: string }[];
    expect(stagedRows.map((r) => r.recordIdentifier)).toEqual(["big"]);

    const first = await deliver(messages);
    expect(first.result.explicitAcks).toEqual(first.ids);
    expect(await env.OFFLINE_BUCKET.head(key)).toBeNull();
    const again = await deliver(messages, { ids: first.ids, attempts: 2 });
    expect(again.result.explicitAcks).toEqual(first.ids);
    expect(again.result.retryMessages).toEqual([]);
    expect(await manifestFiles(group)).toHaveLength(1);
    expect((await activeRows(group)).map((r) => [r.id, (r.city as string).length])).toEqual([["big", BIG]]);
  });
});

describe("offline delivery: dead letters", () => {
  it("keeps what the dead-letter queue delivers in offline_dead_letters, once, without writing offline rows", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    const { generation } = await groupInfo(group);
    await putRecord(group, { id: "u1", ts: at(10), age: 1 });
    const [message] = await captureDrain(group);

    // A malformed message is never acknowledged by the offline writer: it goes to the queue's retries, then the DLQ.
    const malformed = { v: 1, generation };
    const refused = await deliver([malformed]);
    expect(refused.result.explicitAcks).toEqual([]);
    expect(refused.result.retryMessages.map((m) => m.msgId)).toEqual(refused.ids);

    const dlq = await deliver([message, malformed], { queue: "feature-store-offline-dlq", attempts: 6 });
    expect([...dlq.result.explicitAcks].sort()).toEqual([...dlq.ids].sort());
    const again = await deliver([message], { queue: "feature-store-offline-dlq", attempts: 6, ids: [dlq.ids[0]!] });
    expect(again.result.explicitAcks).toEqual([dlq.ids[0]]);

    const { results } = await env.DB.prepare("SELECT message_id, batch_id, body, attempts, received_at FROM offline_dead_letters WHERE message_id IN (?, ?) ORDER BY message_id")
      .bind(dlq.ids[0], dlq.ids[1])
      .all<{ message_id: string; batch_id: string | null; body: string; attempts: number; received_at: number }>();
    expect(results.map((r) => [r.message_id, r.batch_id, JSON.parse(r.body), r.attempts])).toEqual(
      [
        [dlq.ids[0], message!.batchId, message, 6],
        [dlq.ids[1], null, malformed, 6],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
    const listed = await api("GET", "/v1/offline/dead-letters");
    expect(listed.body.deadLetters.map((d: { messageId: string }) => d.messageId)).toEqual(expect.arrayContaining(dlq.ids));
    expect(await manifestFiles(group)).toEqual([]);
    expect(await registeredBatchIds(generation)).toEqual([]);
  });
});
