import { env, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { shardIndexOf, shardName } from "../../src/online";
import { setObjectClock, TestClock } from "../clock";
import { api, at, getRecord, putRecord } from "../helpers";
import { RecordingQueue, restoreShardEnv, swapShardQueue } from "../offline/harness";
import { createEncryptedGroup, shardDump, storedRows } from "./support";

/**
 * Encryption at rest of the online store: feature values are sealed with
 * the group's online data key inside the record shard's SQLite (records and
 * outbox rows), and every read path still works.
 */

const stubOf = (generation: string, id = "u1", shards = 1) => env.RECORD_SHARD.get(env.RECORD_SHARD.idFromName(shardName(generation, shardIndexOf(id, shards))));
const SECRET_CITY = "Zanzibar-Plaintext-Marker";
const HOUR_MS = 3_600_000;

describe("online encryption at rest", () => {
  it("reports which stores a new group encrypts, with their key versions", async () => {
    const { body } = await createEncryptedGroup({ online: true, offline: true });
    expect(body.encryption).toEqual({ online: { enabled: true, activeKeyVersion: 1 }, offline: { enabled: true, activeKeyVersion: 1 } });
    const plain = await api("POST", "/v1/feature-groups", {
      name: "plain-group",
      recordIdentifierFeature: "id",
      eventTimeFeature: "ts",
      features: [{ name: "id", type: "String" }, { name: "ts", type: "String" }],
    });
    expect(plain.body.encryption).toEqual({ online: { enabled: false }, offline: { enabled: false } });
  });

  it("refuses encryption of a store the group does not have, naming the field", async () => {
    const res = await api("POST", "/v1/feature-groups", {
      name: "no-offline",
      recordIdentifierFeature: "id",
      eventTimeFeature: "ts",
      features: [{ name: "id", type: "String" }, { name: "ts", type: "String" }],
      encryption: { offline: true },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe("encryption.offline");
    expect((await api("GET", "/v1/feature-groups/no-offline")).status).toBe(404);
  });

  it("stores no plaintext feature value in the shard's records or outbox", async () => {
    const { name, generation } = await createEncryptedGroup({ offlineStore: true });
    expect((await putRecord(name, { id: "u1", ts: at(1), age: 41, city: SECRET_CITY })).status).toBe(200);
    const stub = stubOf(generation);
    const rows = await storedRows(stub);
    expect(rows.records).toHaveLength(1);
    expect(rows.records[0]!.body).toMatch(/^fse1\.1\./);
    expect(rows.outbox).toHaveLength(1);
    expect(rows.outbox[0]!.body).toMatch(/^fse1\.1\./);
    const dump = await shardDump(stub);
    expect(dump).not.toContain(SECRET_CITY);
    expect(dump).not.toContain('"age"');
    // Reads still see the values.
    expect((await getRecord(name, "u1")).body.record).toEqual({ id: "u1", ts: at(1), age: 41, city: SECRET_CITY });
  });

  it("serves reads, feature subsets, batch gets, lists, updates and deletes of encrypted records", async () => {
    const { name, generation } = await createEncryptedGroup({ shardCount: 2 });
    await putRecord(name, { id: "u1", ts: at(1), age: 1, city: "Oslo" });
    await putRecord(name, { id: "u2", ts: at(1), age: 2, city: "Lima" });
    expect((await getRecord(name, "u1", "?features=city")).body.record).toEqual({ city: "Oslo" });

    const batch = await api("POST", "/v1/records/batch-get", { requests: [{ featureGroup: name, recordIdentifiers: ["u1", "u2", "nope"], features: ["age"] }] });
    expect(batch.status).toBe(200);
    expect(batch.body.records.map((r: { record: unknown }) => r.record).sort((a: any, b: any) => a.age - b.age)).toEqual([{ age: 1 }, { age: 2 }]);
    expect(batch.body.misses).toEqual([{ featureGroup: name, recordIdentifier: "nope" }]);

    const list = await api("GET", `/v1/feature-groups/${name}/records`);
    expect(list.body.recordIdentifiers.sort()).toEqual(["u1", "u2"]);

    const patched = await api("PATCH", `/v1/feature-groups/${name}/records/u1`, { features: { city: "Bergen" } });
    expect(patched.status).toBe(200);
    expect((await getRecord(name, "u1")).body.record).toEqual({ id: "u1", ts: at(1), age: 1, city: "Bergen" });
    const stored = await storedRows(stubOf(generation, "u1", 2));
    expect(stored.records.find((r) => r.record_identifier === "u1")!.body).toMatch(/^fse1\./);

    // An older put leaves the online record alone; a newer one replaces it.
    expect((await putRecord(name, { id: "u1", ts: at(0), age: 99 })).body.online).toBe("older_event_time_ignored");
    expect((await putRecord(name, { id: "u1", ts: at(2), age: 3 })).body.online).toBe("written");
    expect((await getRecord(name, "u1")).body.record).toEqual({ id: "u1", ts: at(2), age: 3 });

    const deleted = await api("DELETE", `/v1/feature-groups/${name}/records/u2?eventTime=${encodeURIComponent(at(5))}`);
    expect(deleted.status).toBe(200);
    expect((await getRecord(name, "u2")).status).toBe(404);
  });

  it("writes bulk-ingested records sealed", async () => {
    const { name, generation } = await createEncryptedGroup();
    const ndjson = [1, 2, 3].map((i) => JSON.stringify({ id: `b${i}`, ts: at(i), city: `${SECRET_CITY}-${i}` })).join("\n");
    const res = await api("POST", `/v1/feature-groups/${name}/records/batch`, ndjson, { "content-type": "application/x-ndjson" });
    expect(res.status).toBe(200);
    expect(await shardDump(stubOf(generation, "b1"))).not.toContain(SECRET_CITY);
    expect((await getRecord(name, "b2")).body.record.city).toBe(`${SECRET_CITY}-2`);
  });

  it("expires encrypted records and writes their offline deletion rows still sealed", async () => {
    const { name, generation } = await createEncryptedGroup({ ttl: { unit: "Hours", value: 1 }, offlineStore: true });
    const stub = stubOf(generation);
    const clock = new TestClock();
    await setObjectClock(stub, clock);
    // Everything the shard sends goes to a recorder, whenever its alarm fires.
    const recorder = new RecordingQueue();
    await swapShardQueue(stub, recorder.asQueue());
    try {
      await putRecord(name, { id: "u1", ts: clock.iso(), city: SECRET_CITY });
      expect((await getRecord(name, "u1")).status).toBe(200);
      clock.advance(HOUR_MS + 1_000);
      expect((await getRecord(name, "u1")).status).toBe(404);
      await runDurableObjectAlarm(stub);
      await runDurableObjectAlarm(stub);
    } finally {
      await restoreShardEnv(stub);
    }
    const sent = recorder.sent;
    const rows = sent.flatMap((m) => m.rows ?? []);
    expect(rows.map((r) => r.kind).sort()).toEqual(["expire", "put"]);
    for (const row of rows) expect(row.body).toMatch(/^fse1\.1\./);
    expect((await storedRows(stub)).records).toEqual([]);
    expect(JSON.stringify(sent)).not.toContain(SECRET_CITY);
  });
});
