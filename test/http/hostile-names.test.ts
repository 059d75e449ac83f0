import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, createGroup, getRecord, putRecord } from "../helpers";
import { settle } from "../offline/support";

/**
 * Record identifiers are client text that validation allows almost freely;
 * they reach SQLite only as bound parameters and never reach an R2 key or a
 * Durable Object name (both are built from the group name, which matches
 * NAME_PATTERN, and the generation we mint).
 */
const HOSTILE_IDS = ["../../etc/passwd", "a/b%2Fc/..", "'; DROP TABLE records; --", '" OR 1=1 --', "\u202eevil", "e\u0301\u0301", "%00", "__proto__", "* ? [ ]"];

describe("hostile record identifiers", () => {
  it("round-trip intact, and the offline files land only under the group's own partition keys", async () => {
    const group = await createGroup({ offline: true, shardCount: 2 });
    for (const [i, id] of HOSTILE_IDS.entries()) {
      const res = await putRecord(group, { id, ts: "2026-01-01T00:00:00Z", age: i });
      expect(res.status, res.text).toBe(200);
    }
    for (const [i, id] of HOSTILE_IDS.entries()) expect((await getRecord(group, id)).body.record).toMatchObject({ id, age: i });
    const listed = await api("GET", `/v1/feature-groups/${group}/records?limit=100`);
    expect([...listed.body.recordIdentifiers].sort()).toEqual([...HOSTILE_IDS].sort());
    await settle(group, HOSTILE_IDS.length);
    const { generation } = (await api("GET", `/v1/feature-groups/${group}`)).body as { generation: string };
    const keys = (await env.OFFLINE_BUCKET.list({ prefix: "" })).objects.map((o) => o.key).filter((k) => k.includes(`/${group}/`));
    expect(keys.length).toBeGreaterThan(0);
    const escaped = group.replace(/[-]/g, "\\-");
    for (const key of keys) expect(key).toMatch(new RegExp(`^offline-store/${escaped}/${generation}/data/year=2026/month=01/day=01/hour=00/[0-9a-f]+\\.parquet$`));
    // The catalog is intact after the would-be injections.
    expect((await api("GET", `/v1/feature-groups/${group}`)).status).toBe(200);
  }, 30_000);
});
