import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { shardIndexOf, shardName } from "../../src/online";
import { MAX_BATCH_GET_REPLY_CHARS } from "../../src/records/limits";
import { api, at, createGroup, putRecord } from "../helpers";

const batchGet = (requests: unknown) => api("POST", "/v1/records/batch-get", { requests });

describe("BatchGetRecord", () => {
  it("reads 100 identifiers spread over every shard in one call", async () => {
    const group = await createGroup({ shardCount: 8 });
    const ids = Array.from({ length: 100 }, (_, i) => `user-${i}`);
    await Promise.all(ids.map((id, i) => putRecord(group, { id, ts: at(i), age: i })));
    expect(new Set(ids.map((id) => shardIndexOf(id, 8))).size).toBe(8);
    const res = await batchGet([{ featureGroup: group, recordIdentifiers: ids }]);
    expect(res.status).toBe(200);
    expect(res.body.misses).toEqual([]);
    expect(res.body.errors).toEqual([]);
    const ages = Object.fromEntries(res.body.records.map((r: { recordIdentifier: string; record: { age: number } }) => [r.recordIdentifier, r.record.age]));
    expect(ages).toEqual(Object.fromEntries(ids.map((id, i) => [id, i])));
  });

  it("reads 100 identifiers of a one-shard group in calls of at most 20, so no shard reply nears the 32 MiB RPC limit", async () => {
    const group = await createGroup({ shardCount: 1 });
    const ids = Array.from({ length: 100 }, (_, i) => `user-${i}`);
    await Promise.all(ids.map((id, i) => putRecord(group, { id, ts: at(i), age: i })));
    const res = await batchGet([{ featureGroup: group, recordIdentifiers: ids }]);
    expect(res.status).toBe(200);
    expect(res.body.misses).toEqual([]);
    expect(res.body.records.map((r: { recordIdentifier: string }) => r.recordIdentifier).sort()).toEqual([...ids].sort());
  });

  it("answers at most MAX_BATCH_GET_REPLY_CHARS of records and returns the other identifiers unprocessed, which a resend reads", async () => {
    const group = await createGroup({ shardCount: 2 });
    const city = "c".repeat(300 * 1024);
    const ids = Array.from({ length: 40 }, (_, i) => `big-${i}`);
    for (let i = 0; i < ids.length; i += 8) await Promise.all(ids.slice(i, i + 8).map((id) => putRecord(group, { id, ts: at(0), city })));
    const first = await batchGet([{ featureGroup: group, recordIdentifiers: [...ids, "absent"] }]);
    expect(first.status).toBe(200);
    const got: string[] = first.body.records.map((r: { recordIdentifier: string }) => r.recordIdentifier);
    expect(got.length).toBeGreaterThan(0);
    expect(got.length * city.length).toBeLessThanOrEqual(MAX_BATCH_GET_REPLY_CHARS);
    expect(first.body.misses).toEqual([{ featureGroup: group, recordIdentifier: "absent" }]);
    const rest: string[] = first.body.unprocessed[0].recordIdentifiers;
    expect([...got, ...rest].sort()).toEqual([...ids].sort());
    // Resending what is unprocessed, as the SDKs' batch helpers do, reads every record.
    const all = new Set(got);
    for (let pending = first.body.unprocessed, round = 0; pending.length > 0 && round < 10; round++) {
      const next = await batchGet(pending);
      for (const r of next.body.records as { recordIdentifier: string; record: { city: string } }[]) {
        expect(r.record.city).toBe(city);
        all.add(r.recordIdentifier);
      }
      pending = next.body.unprocessed;
    }
    expect([...all].sort()).toEqual([...ids].sort());
  }, 60_000);

  it("stores each record in the shard its identifier hashes to, and nowhere else", async () => {
    const group = await createGroup({ shardCount: 4 });
    const ids = ["alpha", "beta", "gamma", "delta", "epsilon", "ζήτα"];
    for (const id of ids) await putRecord(group, { id, ts: at(0) });
    const { generation } = (await api("GET", `/v1/feature-groups/${group}`)).body;
    for (let shard = 0; shard < 4; shard++) {
      const stub = env.RECORD_SHARD.get(env.RECORD_SHARD.idFromName(shardName(generation, shard)));
      const stored = await runInDurableObject(stub, (_o, state) =>
        state.storage.sql.exec<{ record_identifier: string }>("SELECT record_identifier FROM records ORDER BY record_identifier").toArray().map((r) => r.record_identifier),
      );
      expect(stored).toEqual(ids.filter((id) => shardIndexOf(id, 4) === shard).sort());
    }
  });

  it("reports misses and per-group errors separately from hits, across several groups", async () => {
    const users = await createGroup();
    const items = await createGroup({ identifierType: "Integral" });
    await putRecord(users, { id: "u1", ts: at(0), age: 1 });
    await putRecord(items, { id: 10, ts: at(0), city: "Lima" });
    const res = await batchGet([
      { featureGroup: users, recordIdentifiers: ["u1", "u2"], features: ["age"] },
      { featureGroup: items, recordIdentifiers: ["10", "eleven"] },
      { featureGroup: "missing-group", recordIdentifiers: ["x"] },
      { featureGroup: users, recordIdentifiers: ["u1"], features: ["nope"] },
    ]);
    expect(res.status).toBe(200);
    expect(res.body.records).toEqual(
      expect.arrayContaining([
        { featureGroup: users, recordIdentifier: "u1", record: { age: 1 } },
        { featureGroup: items, recordIdentifier: "10", record: { id: 10, ts: at(0), city: "Lima" } },
      ]),
    );
    expect(res.body.records).toHaveLength(2);
    expect(res.body.misses).toEqual([{ featureGroup: users, recordIdentifier: "u2" }]);
    const codes = res.body.errors.map((e: { featureGroup: string; recordIdentifier?: string; error: { code: string } }) => [e.featureGroup, e.recordIdentifier, e.error.code]);
    expect(codes).toEqual(
      expect.arrayContaining([
        [items, "eleven", "invalid_field"],
        ["missing-group", undefined, "feature_group_not_found"],
        [users, undefined, "unknown_feature"],
      ]),
    );
    expect(codes).toHaveLength(3);
  });

  it("hands back as unprocessed the groups that do not fit one invocation's subrequest budget", async () => {
    const groups = [];
    for (let i = 0; i < 10; i++) groups.push(await createGroup({ shardCount: 128 }));
    const ids = Array.from({ length: 100 }, (_, i) => `id-${i}`);
    const res = await batchGet(groups.map((featureGroup) => ({ featureGroup, recordIdentifiers: ids })));
    expect(res.status).toBe(200);
    expect(res.body.misses).toHaveLength(900);
    expect(res.body.unprocessed).toEqual([{ featureGroup: groups[9], recordIdentifiers: ids }]);
    const again = await batchGet(res.body.unprocessed);
    expect(again.body.misses).toHaveLength(100);
    expect(again.body.unprocessed).toEqual([]);
    // 900 shard calls (each starting a Durable Object locally), at most 24 at once within the reply budget.
  }, 120_000);

  it("answers a repeated identifier once", async () => {
    const group = await createGroup();
    await putRecord(group, { id: "u1", ts: at(0) });
    const res = await batchGet([{ featureGroup: group, recordIdentifiers: ["u1", "u1"] }]);
    expect(res.body.records).toHaveLength(1);
  });

  const bad: [string, unknown, string][] = [
    ["no requests", [], "requests"],
    ["more than 100 identifiers", [{ featureGroup: "g", recordIdentifiers: Array.from({ length: 101 }, (_, i) => String(i)) }], "requests[0].recordIdentifiers"],
    ["an identifier that is an object", [{ featureGroup: "g", recordIdentifiers: [{}] }], "requests[0].recordIdentifiers[0]"],
    ["a missing feature group name", [{ recordIdentifiers: ["a"] }], "requests[0].featureGroup"],
    ["features that are not names", [{ featureGroup: "g", recordIdentifiers: ["a"], features: [1] }], "requests[0].features"],
  ];
  it.each(bad)("refuses %s with a 400 naming %s", async (_, requests, field) => {
    const res = await batchGet(requests);
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe(field);
  });
});
