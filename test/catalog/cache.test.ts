import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { shardName } from "../../src/online";
import { apiOnClock, TestClock } from "../clock";
import { api, createGroup, getRecord, putRecord } from "../helpers";

/**
 * Another isolate changing the catalog is simulated by writing D1 and
 * telling the shards directly, leaving this isolate's cache stale.
 */
async function describe_(name: string) {
  return (await api("GET", `/v1/feature-groups/${name}`)).body as { generation: string; shardCount: number };
}

function shard(generation: string, index: number) {
  return env.RECORD_SHARD.get(env.RECORD_SHARD.idFromName(shardName(generation, index)));
}

describe("catalog cache invalidation", () => {
  it("has a shard refuse calls made with an older catalog version", async () => {
    const stub = shard(crypto.randomUUID(), 0);
    await stub.syncCatalog(3);
    const reply = await stub.get({ catalogVersion: 2, recordIdentifiers: ["x"] });
    expect(reply).toEqual({ refused: "stale_catalog", catalogVersion: 3 });
    expect(await stub.get({ catalogVersion: 3, recordIdentifiers: ["x"] })).toEqual({ records: [] });
  });

  it("reloads a stale cached definition when a shard refuses it, and applies the new TTL", async () => {
    const name = await createGroup({ ttl: { unit: "Days", value: 1 }, shardCount: 2 });
    await putRecord(name, { id: "warm", ts: "2099-01-01T00:00:00Z" }); // caches version 1
    const { generation } = await describe_(name);
    await env.DB.prepare("UPDATE feature_groups SET online_ttl_unit = 'Hours', online_ttl_value = 3, catalog_version = 2 WHERE name = ?").bind(name).run();
    await Promise.all([shard(generation, 0).syncCatalog(2), shard(generation, 1).syncCatalog(2)]);
    const put = await putRecord(name, { id: "u1", ts: "2099-01-01T00:00:00Z" });
    expect(put.status).toBe(200);
    expect(put.body.expiresAt).toBe("2099-01-01T03:00:00.000Z");
  });

  it("stops serving a group deleted elsewhere as soon as its shards are dropped", async () => {
    const name = await createGroup({ shardCount: 2 });
    await putRecord(name, { id: "u1", ts: "2026-01-01T00:00:00Z" });
    expect((await getRecord(name, "u1")).status).toBe(200); // cached
    const { generation } = await describe_(name);
    await env.DB.batch([
      env.DB.prepare("DELETE FROM features WHERE generation = ?").bind(generation),
      env.DB.prepare("DELETE FROM feature_groups WHERE name = ?").bind(name),
    ]);
    await Promise.all([shard(generation, 0).drop(), shard(generation, 1).drop()]);
    const res = await getRecord(name, "u1");
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("feature_group_not_found");
    const write = await putRecord(name, { id: "u2", ts: "2026-01-01T00:00:00Z" });
    expect(write.status).toBe(404);
  });

  it("accepts a feature added elsewhere once the cached definition is older than a second", async () => {
    const name = await createGroup();
    const clock = new TestClock();
    const onClock = apiOnClock(clock);
    const put = (record: Record<string, unknown>) => onClock("PUT", `/v1/feature-groups/${name}/records`, { record });
    await put({ id: "warm", ts: "2026-01-01T00:00:00Z" }); // caches the definition
    const { generation } = await describe_(name);
    await env.DB.prepare(
      "INSERT INTO features (generation, name, ordinal, type, parameters, created_at, updated_at) VALUES (?, 'tier', 5, 'String', '{}', 0, 0)",
    ).bind(generation).run();
    clock.advance(1_100);
    const accepted = await put({ id: "u1", ts: "2026-01-01T00:00:00Z", tier: "gold" });
    expect(accepted.status).toBe(200);
    expect((await onClock("GET", `/v1/feature-groups/${name}/records/u1`)).body.record.tier).toBe("gold");
  });
});
