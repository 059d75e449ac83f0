import { describe, expect, it } from "vitest";
import { api, createGroup, putRecord } from "../helpers";
import { eventually } from "../offline/harness";
import { waitForOfflineRows } from "../offline/support";
import { as, createKey, policy } from "../access/support";

/** GET /v1/feature-groups/{name}/freshness: how current each store is, as monitoring reads it. */
describe("a group's freshness", () => {
  it("says nothing was written yet, then the write's time online, then the offline file with nothing pending", async () => {
    const group = await createGroup({ offline: true, shardCount: 4 });
    const fresh = await api("GET", `/v1/feature-groups/${group}/freshness`);
    expect(fresh.status).toBe(200);
    expect(fresh.body).toEqual({
      featureGroup: group,
      online: { lastWriteAt: null },
      offline: { lastFileWriteAt: null, pending: expect.objectContaining({ rows: 0, oldestAt: null }), lagMs: 0 },
    });

    const before = Date.now();
    expect((await putRecord(group, { id: "u1", ts: new Date().toISOString(), age: 3 })).status).toBe(200);
    const after = Date.now();
    const written = (await api("GET", `/v1/feature-groups/${group}/freshness`)).body;
    const lastWriteAt = Date.parse(written.online.lastWriteAt);
    expect(lastWriteAt).toBeGreaterThanOrEqual(before);
    expect(lastWriteAt).toBeLessThanOrEqual(after);
    // Until the file lands the row is pending (or already in the file): never lost from both.
    expect(written.offline.pending.rows + (written.offline.lastFileWriteAt === null ? 0 : 1)).toBeGreaterThanOrEqual(1);

    expect(await waitForOfflineRows(group, 1)).toHaveLength(1);
    // The shard confirms its outbox rows once their file is registered: pending reaches 0 shortly after.
    const freshness = async () => (await api("GET", `/v1/feature-groups/${group}/freshness`)).body;
    const landed = (await eventually(async () => {
      const now = await freshness();
      return now.offline.pending.rows === 0 ? now : undefined;
    })) ?? (await freshness());
    // write_time, as SageMaker has it: when the row was written to the offline store, after the online write.
    expect(Date.parse(landed.offline.lastFileWriteAt)).toBeGreaterThanOrEqual(lastWriteAt);
    expect(landed.offline.pending.rows).toBe(0);
    expect(landed.offline.lagMs).toBe(0);
    expect(landed.online.lastWriteAt).toBe(written.online.lastWriteAt);
  }, 30_000);

  it("has no offline part for an online-only group, and names an unknown group", async () => {
    const group = await createGroup({ shardCount: 2 });
    const res = await api("GET", `/v1/feature-groups/${group}/freshness`);
    expect(res.body).toEqual({ featureGroup: group, online: { lastWriteAt: null } });
    const missing = await api("GET", "/v1/feature-groups/no-such-group/freshness");
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toContain("no-such-group");
  });

  it("answers a key that may describe the group, and refuses one that may not", async () => {
    const group = await createGroup({ shardCount: 1 });
    const reader = await createKey({ policy: policy({ Effect: "Allow", Action: "sagemaker:DescribeFeatureGroup", Resource: "*" }) });
    const other = await createKey({ policy: policy({ Effect: "Allow", Action: "sagemaker:GetRecord", Resource: "*" }) });
    expect((await as(reader, "GET", `/v1/feature-groups/${group}/freshness`)).status).toBe(200);
    const refused = await as(other, "GET", `/v1/feature-groups/${group}/freshness`);
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain("sagemaker:DescribeFeatureGroup");
  });
});
