import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { shardIndexOf, shardName } from "../../src/online";
import { setObjectClock, TestClock } from "../clock";
import { api, createGroup, getRecord, putRecord } from "../helpers";

const isoAgo = (ms: number) => new Date(Date.now() - ms).toISOString();
const HOUR_MS = 3_600_000;

describe("TTL", () => {
  it("serves expiresAt = event time + the group TTL", async () => {
    const group = await createGroup({ ttl: { unit: "Hours", value: 2 } });
    const ts = "2099-01-01T00:00:00Z";
    const put = await putRecord(group, { id: "u1", ts, age: 1 });
    expect(put.body.expiresAt).toBe("2099-01-01T02:00:00.000Z");
    expect((await getRecord(group, "u1")).body.expiresAt).toBe("2099-01-01T02:00:00.000Z");
  });

  it("lets a record's own TTL override the group's", async () => {
    const group = await createGroup({ ttl: { unit: "Days", value: 1 } });
    const put = await putRecord(group, { id: "u1", ts: "2099-01-01T00:00:00Z" }, { ttl: { unit: "Minutes", value: 5 } });
    expect(put.body.expiresAt).toBe("2099-01-01T00:05:00.000Z");
  });

  it("never serves an expired record, even before the expiry alarm runs", async () => {
    const group = await createGroup({ ttl: { unit: "Seconds", value: 60 } });
    await putRecord(group, { id: "old", ts: isoAgo(120_000), age: 1 });
    await putRecord(group, { id: "fresh", ts: isoAgo(1_000), age: 2 });
    expect((await getRecord(group, "old")).status).toBe(404);
    expect((await getRecord(group, "fresh")).status).toBe(200);
    const batch = await api("POST", "/v1/records/batch-get", { requests: [{ featureGroup: group, recordIdentifiers: ["old", "fresh"] }] });
    expect(batch.body.records.map((r: { recordIdentifier: string }) => r.recordIdentifier)).toEqual(["fresh"]);
    expect(batch.body.misses).toEqual([{ featureGroup: group, recordIdentifier: "old" }]);
  });

  it("treats an expired record as absent, so an older put can replace it", async () => {
    const group = await createGroup({ ttl: { unit: "Seconds", value: 60 } });
    await putRecord(group, { id: "u1", ts: isoAgo(120_000), age: 1 });
    const older = await putRecord(group, { id: "u1", ts: isoAgo(180_000), age: 2 }, { ttl: { unit: "Days", value: 1 } });
    expect(older.body.online).toBe("written");
    expect((await getRecord(group, "u1")).body.record.age).toBe(2);
  });

  it("removes expired records from shard storage when the alarm fires", async () => {
    const group = await createGroup({ ttl: { unit: "Hours", value: 1 }, shardCount: 1 });
    const described = await api("GET", `/v1/feature-groups/${group}`);
    const stub = env.RECORD_SHARD.get(env.RECORD_SHARD.idFromName(shardName(described.body.generation, shardIndexOf("u1", 1))));
    const clock = new TestClock();
    await setObjectClock(stub, clock);
    await putRecord(group, { id: "u1", ts: clock.iso(), age: 1 });
    await putRecord(group, { id: "keep", ts: clock.iso(), age: 1 }, { ttl: { unit: "Days", value: 1 } });
    clock.advance(HOUR_MS + 1_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const remaining = await runInDurableObject(stub, (_instance, state) =>
      state.storage.sql.exec<{ record_identifier: string }>("SELECT record_identifier FROM records").toArray().map((r) => r.record_identifier),
    );
    expect(remaining).toEqual(["keep"]);
  });

  it("applies a changed group TTL to records written after the change", async () => {
    const group = await createGroup({ ttl: { unit: "Days", value: 1 } });
    await putRecord(group, { id: "before", ts: "2099-01-01T00:00:00Z" });
    const patched = await api("PATCH", `/v1/feature-groups/${group}`, { onlineStore: { ttl: { unit: "Hours", value: 1 } } });
    expect(patched.status).toBe(200);
    const after = await putRecord(group, { id: "after", ts: "2099-01-01T00:00:00Z" });
    expect(after.body.expiresAt).toBe("2099-01-01T01:00:00.000Z");
    expect((await getRecord(group, "before")).body.expiresAt).toBe("2099-01-02T00:00:00.000Z");
    await api("PATCH", `/v1/feature-groups/${group}`, { onlineStore: { ttl: null } });
    const none = await putRecord(group, { id: "none", ts: "2099-01-01T00:00:00Z" });
    expect(none.body.expiresAt).toBeUndefined();
  });
});
