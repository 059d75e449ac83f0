/**
 * Regression tests for offline-store bugs found by review: message sizes in
 * bytes, expiry rows for records overwritten before the sweep, outbox rows
 * of a deleted group, and staging failures counted as failed sends.
 */
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { setObjectClock, TestClock } from "../clock";
import { api, at, createGroup, putRecord } from "../helpers";
import { activeRows, confirmOutbox, groupInfo, RecordingQueue, restoreShardEnv, shardOutbox, shardStub, swapShardQueue, waitForManifestRows } from "./harness";

const utf8Bytes = (text: string) => new TextEncoder().encode(text).byteLength;
const HOUR_MS = 3_600_000;

describe("offline store regressions", () => {
  // Queues limit bytes, not characters: message sizing must count UTF-8 bytes.
  it("lands a large non-ASCII record (150 KB of UTF-8 in 50,000 characters) and the records written after it", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    const { generation } = await groupInfo(group);
    const stub = shardStub(generation, 0);
    const city = "€".repeat(50_000);
    expect(utf8Bytes(city)).toBe(150_000);
    expect((await putRecord(group, { id: "big", ts: at(10), city })).status).toBe(200);
    expect((await putRecord(group, { id: "small", ts: at(11), age: 1 })).status).toBe(200);

    const recorder = new RecordingQueue();
    await swapShardQueue(stub, recorder.asQueue());
    try {
      await runDurableObjectAlarm(stub);
    } finally {
      await restoreShardEnv(stub);
    }
    for (const message of recorder.sent) expect(utf8Bytes(JSON.stringify(message))).toBeLessThan(128_000);
  });

  it("delivers a large non-ASCII record through the real queue instead of retrying its send forever", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    const { generation } = await groupInfo(group);
    const stub = shardStub(generation, 0);
    await putRecord(group, { id: "big", ts: at(10), city: "€".repeat(50_000) });
    await putRecord(group, { id: "small", ts: at(11), age: 1 });
    await runDurableObjectAlarm(stub);
    expect((await shardOutbox(stub)).batches.every((b) => b.attempts === 0)).toBe(true);
    const files = await waitForManifestRows(group, 2);
    expect(files.reduce((n, f) => n + f.row_count, 0)).toBe(2);
  }, 30_000);

  // An expired row overwritten before the sweep reaches it still owes its 'expire' row.
  it("writes the expiry row of a record that expired before it was overwritten, whenever the sweep runs", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    const { generation } = await groupInfo(group);
    const stub = shardStub(generation, 0);
    const clock = new TestClock();
    await setObjectClock(stub, clock);
    const t0 = clock.iso();
    const first = await putRecord(group, { id: "k", ts: t0, age: 1 }, { ttl: { unit: "Hours", value: 1 } });
    // The sweep runs late (alarms are not punctual, and a run removes at most 500 rows).
    await runInDurableObject(stub, (_instance, state) => state.storage.deleteAlarm());
    await evictDurableObject(stub);
    await setObjectClock(stub, clock); // the new instance reads the same clock
    clock.advance(HOUR_MS + 1_000);
    expect((await api("GET", `/v1/feature-groups/${group}/records/k`)).status).toBe(404);
    const t1 = clock.iso();
    await putRecord(group, { id: "k", ts: t1, age: 2 });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await waitForManifestRows(group, 3);
    const rows = (await activeRows(group)).map((r) => [r.ts, r.age, r.is_deleted]).sort();
    expect(rows).toEqual(
      [
        [t0, 1, false],
        [first.body.expiresAt, null, true],
        [t1, 2, false],
      ].sort(),
    );
  }, 30_000);

  it("still delivers rows acknowledged before the feature group was deleted", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    const { generation } = await groupInfo(group);
    const stub = shardStub(generation, 0);
    expect((await putRecord(group, { id: "u1", ts: at(10), age: 1 })).status).toBe(200);
    expect((await api("DELETE", `/v1/feature-groups/${group}`)).status).toBe(204);
    // The drain stays armed (or has already run): fire it if it is still pending.
    await runDurableObjectAlarm(stub);
    const files = await waitForManifestRows(group, 1);
    expect(files.reduce((n, f) => n + f.row_count, 0)).toBe(1);
    expect((await confirmOutbox(stub))?.rows).toBe(0);
  }, 30_000);

  // An R2 failure while staging must count as a failed send and retry with our own backoff.
  it("counts a failed staging write as a failed send and retries it with backoff", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    const { generation } = await groupInfo(group);
    const stub = shardStub(generation, 0);
    await putRecord(group, { id: "big", ts: at(10), city: "x".repeat(200_000) });
    await runInDurableObject(stub, (instance) => {
      const shard = instance as unknown as { env: Env };
      shard.env = Object.assign(Object.create(shard.env) as Env, {
        OFFLINE_BUCKET: { put: async () => Promise.reject(new Error("injected: R2 unavailable")) } as unknown as R2Bucket,
      });
    });
    await runDurableObjectAlarm(stub).catch(() => false);
    const outbox = await shardOutbox(stub);
    expect(outbox.rows).toBe(1);
    expect(outbox.batches.map((b) => b.attempts)).toEqual([1]);
    expect(outbox.alarm).not.toBeNull();
  });
});
