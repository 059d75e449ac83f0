import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { catalogDb } from "../../src/catalog";
import { registeredBatches } from "../../src/offline/manifest";
import type { OfflineMessage } from "../../src/offline/message";
import { drainOutbox, type DrainResult, type DrainTarget } from "../../src/online/drain";
import { migrateOutbox, outboxStatus } from "../../src/online/outbox";
import { at, createGroup, putRecord } from "../helpers";
import { activeRows, deliver, groupInfo, RecordingQueue, registeredBatchIds, shardOutbox, shardStub } from "./harness";

const REDELIVER_MS = 60_000;

/** A drain target whose queue keeps what it is sent and delivers nothing: a queue that lost the messages. */
function losingTarget(shardName: string, queue: RecordingQueue): DrainTarget {
  const db = catalogDb(env.DB);
  return {
    queue: queue.asQueue(),
    bucket: env.OFFLINE_BUCKET,
    shardName,
    stagingPrefix: "offline-store/_staging",
    registered: (ids) => registeredBatches(db, ids),
    redeliverMs: REDELIVER_MS,
  };
}

/** Runs the shard's drain at a chosen instant, inside the object, with the given target. */
async function drainAt(generation: string, target: DrainTarget, now: number): Promise<DrainResult> {
  return runInDurableObject(shardStub(generation, 0), (_instance, state) => drainOutbox(state.storage, target, now));
}

describe("outbox: a batch leaves the shard only once the manifest has it", () => {
  it("keeps a sent batch whose message was lost, sends the same batch again once the redelivery delay passes, and forgets it after registration", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    const { generation } = await groupInfo(group);
    await putRecord(group, { id: "u1", ts: at(10), age: 1 });
    await putRecord(group, { id: "u2", ts: at(20), age: 2 });
    const lost = new RecordingQueue();
    const target = losingTarget(`${generation}:0`, lost);
    const t0 = Date.now();

    const first = await drainAt(generation, target, t0);
    expect(first).toMatchObject({ sent: 1, confirmed: 0, more: false });
    expect(lost.sent).toHaveLength(1);
    // The first confirmation poll comes soon; the re-send no later than the redelivery delay.
    expect((first as { nextCheckAt: number }).nextCheckAt).toBeGreaterThan(t0);
    expect((first as { nextCheckAt: number }).nextCheckAt).toBeLessThanOrEqual(t0 + REDELIVER_MS);
    expect((await shardOutbox(stub(generation))).rows).toBe(2);

    // Not registered, not yet due: nothing is sent, the batch stays.
    expect(await drainAt(generation, target, t0 + REDELIVER_MS - 1)).toMatchObject({ sent: 0, confirmed: 0 });
    expect(lost.sent).toHaveLength(1);

    // Due: the same batch, with the same identity and rows, goes out again.
    expect(await drainAt(generation, target, t0 + REDELIVER_MS)).toMatchObject({ sent: 1, confirmed: 0 });
    expect(lost.sent).toHaveLength(2);
    expect(lost.sent[1]).toEqual(lost.sent[0]);
    const status = await runInDurableObject(stub(generation), (_i, state) => outboxStatus(state.storage.sql));
    expect(status).toMatchObject({ rows: 2, sealedBatches: 1, sentBatches: 1, resentBatches: 1, maxSends: 2 });
    // The next re-send waits twice as long.
    expect(await drainAt(generation, target, t0 + 2 * REDELIVER_MS + 1)).toMatchObject({ sent: 0 });

    // Both copies arrive: the batch is registered once.
    await deliver([lost.sent[0]!, lost.sent[1]!]);
    expect(await registeredBatchIds(generation)).toEqual([{ batch_id: (lost.sent[0] as OfflineMessage).batchId, row_count: 2 }]);
    const confirmed = await drainAt(generation, target, t0 + REDELIVER_MS + 2);
    expect(confirmed).toMatchObject({ sent: 0, confirmed: 1, nextCheckAt: null, more: false });
    expect(await shardOutbox(stub(generation))).toMatchObject({ rows: 0, batches: [] });
    expect((await activeRows(group)).map((r) => [r.id, r.age]).sort()).toEqual([
      ["u1", 1],
      ["u2", 2],
    ]);
  });

  it("keeps sent batches when the manifest cannot be read, and confirms them on a later run", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    const { generation } = await groupInfo(group);
    await putRecord(group, { id: "u1", ts: at(10), age: 1 });
    const queue = new RecordingQueue();
    const target = losingTarget(`${generation}:0`, queue);
    const t0 = Date.now();
    await drainAt(generation, target, t0);
    await deliver(queue.sent);

    const unavailable = { ...target, registered: async () => Promise.reject(new Error("injected: D1 unavailable")) };
    const failed = await drainAt(generation, unavailable, t0 + 1_000);
    expect(failed).toMatchObject({ sent: 0, confirmed: 0, confirmError: "Error: injected: D1 unavailable" });
    expect((await shardOutbox(stub(generation))).rows).toBe(1);
    expect(await drainAt(generation, target, t0 + 2_000)).toMatchObject({ confirmed: 1, nextCheckAt: null });
    expect((await shardOutbox(stub(generation))).rows).toBe(0);
  });

  it("migrates an outbox written before confirmations existed in place, keeping its waiting batch", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    const { generation } = await groupInfo(group);
    await putRecord(group, { id: "u1", ts: at(10), age: 1 });
    await runInDurableObject(stub(generation), (_instance, state) => {
      const sql = state.storage.sql;
      // The previous release's table: no sent_at, no sends.
      sql.exec("DROP TABLE outbox_batches");
      sql.exec("CREATE TABLE outbox_batches (batch INTEGER PRIMARY KEY AUTOINCREMENT, row_count INTEGER NOT NULL, bytes INTEGER NOT NULL, sealed_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0)");
      sql.exec("INSERT INTO outbox_batches (batch, row_count, bytes, sealed_at, attempts) VALUES (7, 1, 300, 1, 2)");
      sql.exec("UPDATE outbox SET batch = 7");
      migrateOutbox(sql);
      migrateOutbox(sql);
    });
    const status = await runInDurableObject(stub(generation), (_i, state) => outboxStatus(state.storage.sql));
    expect(status).toMatchObject({ rows: 1, sealedBatches: 1, sentBatches: 0, maxAttempts: 2, maxSends: 0 });
    const queue = new RecordingQueue();
    expect(await drainAt(generation, losingTarget(`${generation}:0`, queue), Date.now())).toMatchObject({ sent: 1 });
    expect(queue.sent.map((m) => [m.batchId, m.rows?.length])).toEqual([[`${generation}:0:7`, 1]]);
  });
});

const stub = (generation: string) => shardStub(generation, 0);
