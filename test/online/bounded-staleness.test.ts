import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { shardIndexOf, shardName } from "../../src/online";
import { rememberRecord } from "../../src/service/read-cache";
import { createKey, policy } from "../access/support";
import { apiOnClock, setObjectClock, TestClock } from "../clock";
import { createEncryptedGroup } from "../crypto/support";
import { api, createGroup, type Api, type ApiResponse } from "../helpers";

/**
 * Bounded-staleness reads (`maxStalenessMs`): within the bound an answer may
 * come from the colo cache, never older than the bound, never past the
 * record's TTL; writes through the worker drop the copy; the default stays
 * strongly consistent. Bulk ingest does not invalidate (docs/api.md), so it
 * stands in here for a write through another colo. Ages are measured on the
 * test clock, so nothing depends on how long a step took.
 */

const ndjson = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join("\n") + "\n";

/** Writes through bulk ingest, which leaves colo caches alone (like a write made through another colo). */
async function writeElsewhere(call: Api, group: string, record: Record<string, unknown>): Promise<void> {
  const res = await call("POST", `/v1/feature-groups/${group}/records/batch`, ndjson([record]), { "content-type": "application/x-ndjson" });
  expect(res.status).toBe(200);
}

const read = (call: Api, group: string, id: string, bound?: number, extra = "") =>
  call("GET", `/v1/feature-groups/${group}/records/${id}?${bound === undefined ? "" : `maxStalenessMs=${bound}`}${extra}`);

const ageOf = (res: ApiResponse) => Number(res.headers.get("x-record-age-ms"));

describe("bounded-staleness reads", () => {
  it("serves a cached copy only while it is younger than the read's bound, and states its age", async () => {
    const clock = new TestClock();
    const call = apiOnClock(clock);
    const group = await createGroup();
    expect((await call("PUT", `/v1/feature-groups/${group}/records`, { record: { id: "u1", ts: clock.iso(), age: 1 } })).status).toBe(200);

    const first = await read(call, group, "u1", 5_000);
    expect(first.body.record.age).toBe(1);
    expect(ageOf(first)).toBe(0);
    expect(first.headers.get("age")).toBe("0");

    await writeElsewhere(call, group, { id: "u1", ts: new Date(clock.now() + 1_000).toISOString(), age: 2 });
    clock.advance(3_000);
    const cached = await read(call, group, "u1", 5_000);
    expect(cached.body.record.age).toBe(1);
    expect(ageOf(cached)).toBe(3_000);
    expect(cached.headers.get("age")).toBe("3");

    // A tighter bound than the copy's age goes to the shard (and refreshes the copy).
    const tight = await read(call, group, "u1", 2_000);
    expect(tight.body.record.age).toBe(2);
    expect(ageOf(tight)).toBe(0);
    expect((await read(call, group, "u1")).body.record.age).toBe(2);

    await writeElsewhere(call, group, { id: "u1", ts: new Date(clock.now() + 2_000).toISOString(), age: 3 });
    clock.advance(5_000);
    const atBound = await read(call, group, "u1", 5_000);
    expect([atBound.body.record.age, ageOf(atBound)]).toEqual([2, 5_000]);
    clock.advance(1);
    const past = await read(call, group, "u1", 5_000);
    expect([past.body.record.age, ageOf(past)]).toEqual([3, 0]);
  });

  it("stays strongly consistent by default, whatever the cache holds", async () => {
    const clock = new TestClock();
    const call = apiOnClock(clock);
    const group = await createGroup();
    await call("PUT", `/v1/feature-groups/${group}/records`, { record: { id: "u1", ts: clock.iso(), age: 1 } });
    await read(call, group, "u1", 60_000);
    await writeElsewhere(call, group, { id: "u1", ts: new Date(clock.now() + 1_000).toISOString(), age: 2 });
    for (const bound of [undefined, 0]) {
      const res = await read(call, group, "u1", bound);
      expect(res.body.record.age).toBe(2);
      // Reads that asked for no bound keep the response they always had.
      expect(res.headers.get("age")).toBeNull();
    }
  });

  it("drops the copy on puts, updates and deletes through the worker, so the next bounded read sees them", async () => {
    const clock = new TestClock();
    const call = apiOnClock(clock);
    const group = await createGroup();
    const path = `/v1/feature-groups/${group}/records`;
    await call("PUT", path, { record: { id: "u1", ts: clock.iso(), age: 1 } });
    await read(call, group, "u1", 60_000);

    await call("PUT", path, { record: { id: "u1", ts: clock.iso(), age: 2 } });
    const afterPut = await read(call, group, "u1", 60_000);
    expect([afterPut.body.record.age, ageOf(afterPut)]).toEqual([2, 0]);

    expect((await call("PATCH", `${path}/u1`, { features: { age: 3 } })).status).toBe(200);
    expect((await read(call, group, "u1", 60_000)).body.record.age).toBe(3);

    expect((await call("DELETE", `${path}/u1?eventTime=${encodeURIComponent(clock.iso())}`)).status).toBe(200);
    expect((await read(call, group, "u1", 60_000)).status).toBe(404);
  });

  it("leaves the cache alone on puts of records no bounded read took, and still drops copies made before a hard delete", async () => {
    const clock = new TestClock();
    const call = apiOnClock(clock);
    const group = await createGroup();
    const path = `/v1/feature-groups/${group}/records`;
    const generation = (await api("GET", `/v1/feature-groups/${group}`)).body.generation as string;
    const copyOf = (id: string, age: number) => ({ recordIdentifier: id, body: JSON.stringify({ id, ts: clock.iso(), age }), expiresAtMs: null });

    // A copy no bounded read of this store made (as if planted by another deployment): a put of a
    // record no such read took does not look for copies, so it stays, and only a bound serves it.
    await call("PUT", path, { record: { id: "plain", ts: clock.iso(), age: 1 } });
    await rememberRecord(generation, copyOf("plain", 99), clock.now());
    await call("PUT", path, { record: { id: "plain", ts: clock.iso(), age: 2 } });
    expect((await read(call, group, "plain", 60_000)).body.record.age).toBe(99);
    expect((await read(call, group, "plain")).body.record.age).toBe(2);

    // A record a bounded read took, then hard-deleted (the row that said so is gone), then written
    // anew: a copy from before the delete (another colo's, planted here) is still dropped.
    await call("PUT", path, { record: { id: "u1", ts: clock.iso(), age: 1 } });
    expect((await read(call, group, "u1", 60_000)).body.record.age).toBe(1);
    clock.advance(1_000);
    expect((await call("DELETE", `${path}/u1?eventTime=${encodeURIComponent(clock.iso())}&mode=hard`)).status).toBe(200);
    await rememberRecord(generation, copyOf("u1", 1), clock.now());
    clock.advance(1_000);
    expect((await call("PUT", path, { record: { id: "u1", ts: clock.iso(), age: 5 } })).status).toBe(200);
    const after = await read(call, group, "u1", 60_000);
    expect([after.body.record.age, ageOf(after)]).toEqual([5, 0]);
  });

  it("never serves a copy past the record's TTL expiry", async () => {
    const clock = new TestClock();
    const call = apiOnClock(clock);
    const group = await createGroup({ ttl: { unit: "Seconds", value: 10 }, shardCount: 1 });
    const generation = (await api("GET", `/v1/feature-groups/${group}`)).body.generation as string;
    // The shard goes by the same clock, so it too finds the record expired.
    await setObjectClock(env.RECORD_SHARD.get(env.RECORD_SHARD.idFromName(shardName(generation, shardIndexOf("u1", 1)))), clock);
    await call("PUT", `/v1/feature-groups/${group}/records`, { record: { id: "u1", ts: clock.iso(), age: 1 } });
    expect((await read(call, group, "u1", 60_000)).status).toBe(200);
    clock.advance(9_999);
    expect(ageOf(await read(call, group, "u1", 60_000))).toBe(9_999);
    clock.advance(1);
    expect((await read(call, group, "u1", 60_000)).status).toBe(404);
  });

  it("serves any feature subset from one cached copy, as the shard would", async () => {
    const clock = new TestClock();
    const call = apiOnClock(clock);
    const group = await createGroup();
    await call("PUT", `/v1/feature-groups/${group}/records`, { record: { id: "u1", ts: clock.iso(), age: 1, city: "Oslo", score: 0.5 } });
    const whole = await read(call, group, "u1", 60_000);
    clock.advance(10);
    const subset = await read(call, group, "u1", 60_000, "&features=city,age");
    expect(ageOf(subset)).toBe(10);
    expect(subset.text).toBe((await read(call, group, "u1", undefined, "&features=city,age")).text);
    expect(Object.keys(whole.body.record)).toEqual(["id", "ts", "age", "city", "score"]);
    expect((await read(call, group, "u1", 60_000, "&features=nope")).body.error.code).toBe("unknown_feature");
  });

  it("states each batch record's age, and reads the rest from their shards", async () => {
    const clock = new TestClock();
    const call = apiOnClock(clock);
    const group = await createGroup({ shardCount: 2 });
    for (const id of ["a", "b"]) await call("PUT", `/v1/feature-groups/${group}/records`, { record: { id, ts: clock.iso(), age: 1 } });
    await read(call, group, "a", 60_000);
    clock.advance(700);
    const batch = await call("POST", "/v1/records/batch-get?maxStalenessMs=1000", { requests: [{ featureGroup: group, recordIdentifiers: ["a", "b", "zz"], features: ["age"] }] });
    expect(batch.status).toBe(200);
    const ages = Object.fromEntries(batch.body.records.map((r: { recordIdentifier: string; ageMs: number }) => [r.recordIdentifier, r.ageMs]));
    expect(ages).toEqual({ a: 700, b: 0 });
    expect(batch.body.records.map((r: { record: unknown }) => r.record)).toEqual([{ age: 1 }, { age: 1 }]);
    expect(batch.body.misses).toEqual([{ featureGroup: group, recordIdentifier: "zz" }]);
    // Without a bound the batch response keeps its shape.
    const strong = await call("POST", "/v1/records/batch-get", { requests: [{ featureGroup: group, recordIdentifiers: ["a"] }] });
    expect(strong.body.records[0].ageMs).toBeUndefined();
  });

  it("never caches a group whose online store is encrypted", async () => {
    const clock = new TestClock();
    const call = apiOnClock(clock);
    const { name } = await createEncryptedGroup();
    await call("PUT", `/v1/feature-groups/${name}/records`, { record: { id: "u1", ts: clock.iso(), age: 1 } });
    await read(call, name, "u1", 60_000);
    await writeElsewhere(call, name, { id: "u1", ts: new Date(clock.now() + 1_000).toISOString(), age: 2 });
    clock.advance(5);
    const res = await read(call, name, "u1", 60_000);
    expect([res.body.record.age, ageOf(res)]).toEqual([2, 0]);
  });

  it("authorizes before it looks in the cache: a copy never reaches a key that may not read the group", async () => {
    const clock = new TestClock();
    const call = apiOnClock(clock);
    const group = await createGroup();
    await call("PUT", `/v1/feature-groups/${group}/records`, { record: { id: "u1", ts: clock.iso(), age: 1 } });
    expect((await read(call, group, "u1", 60_000)).status).toBe(200);
    const other = await createKey({ policy: policy({ Effect: "Allow", Action: "sagemaker:GetRecord", Resource: `feature-group/${group}-other` }) });
    const denied = await call("GET", `/v1/feature-groups/${group}/records/u1?maxStalenessMs=60000`, undefined, { authorization: other.auth });
    expect(denied.status).toBe(403);
    expect(denied.body.record).toBeUndefined();
    expect(denied.headers.get("x-record-age-ms")).toBeNull();
  });

  it("refuses a bound outside 0 to 300000 ms, naming the parameter", async () => {
    const group = await createGroup();
    for (const bound of ["-1", "300001", "1.5", "soon"]) {
      const res = await api("GET", `/v1/feature-groups/${group}/records/u1?maxStalenessMs=${bound}`);
      expect([res.status, res.body.error.field]).toEqual([400, "maxStalenessMs"]);
    }
  });
});
