import { describe, expect, it } from "vitest";
import { api, at, createGroup, putRecord, uniqueName } from "../helpers";
import { allowAll, as, createKey, policy } from "./support";

describe("access keys (admin API)", () => {
  it("returns the secret once on create and never in get or list", async () => {
    const created = await api("POST", "/v1/admin/access-keys", { name: "ci pipeline", policy: allowAll, rateLimit: { perSecond: 50, burst: 100 } });
    expect(created.status).toBe(201);
    const { accessKey, secretAccessKey } = created.body;
    expect(accessKey.accessKeyId).toMatch(/^FSAK[A-Z2-7]{16}$/);
    expect(secretAccessKey).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(accessKey).toMatchObject({ name: "ci pipeline", status: "Active", policy: allowAll, rateLimit: { perSecond: 50, burst: 100 }, expiresAt: null });

    const got = await api("GET", `/v1/admin/access-keys/${accessKey.accessKeyId}`);
    expect(got.status).toBe(200);
    expect(got.text).not.toContain(secretAccessKey);
    const listed = await api("GET", "/v1/admin/access-keys?limit=100");
    expect(listed.body.accessKeys.map((k: { accessKeyId: string }) => k.accessKeyId)).toContain(accessKey.accessKeyId);
    expect(listed.text).not.toContain(secretAccessKey);
    expect(listed.text).not.toContain("sealed");
  });

  it("pages the key list", async () => {
    for (let i = 0; i < 3; i++) await createKey({ name: `page ${i}` });
    const first = await api("GET", "/v1/admin/access-keys?limit=2");
    expect(first.body.accessKeys).toHaveLength(2);
    const second = await api("GET", `/v1/admin/access-keys?limit=2&nextToken=${first.body.nextToken}`);
    expect(second.body.accessKeys[0].accessKeyId > first.body.accessKeys[1].accessKeyId).toBe(true);
  });

  it("answers an unknown key, a wrong secret, a disabled key and a revoked key identically", async () => {
    const key = await createKey({ policy: allowAll });
    expect((await as(key, "GET", "/v1/health")).status).toBe(200);
    const wrongSecret = await as(`Bearer ${key.accessKeyId}:${key.secretAccessKey.slice(1)}x`, "GET", "/v1/health");
    const unknown = await as(`Bearer FSAKAAAAAAAAAAAAAAAA:${key.secretAccessKey}`, "GET", "/v1/health");
    expect(wrongSecret.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.message).toBe(wrongSecret.body.error.message);

    expect((await api("PATCH", `/v1/admin/access-keys/${key.accessKeyId}`, { status: "Inactive" })).body.status).toBe("Inactive");
    const disabled = await as(key, "GET", "/v1/health");
    expect(disabled.status).toBe(401);
    expect(disabled.body.error.message).toBe(unknown.body.error.message);
    expect((await api("PATCH", `/v1/admin/access-keys/${key.accessKeyId}`, { status: "Active" })).status).toBe(200);
    expect((await as(key, "GET", "/v1/health")).status).toBe(200);

    expect((await api("DELETE", `/v1/admin/access-keys/${key.accessKeyId}`)).status).toBe(204);
    const revoked = await as(key, "GET", "/v1/health");
    expect(revoked.status).toBe(401);
    expect(revoked.body.error.message).toBe(unknown.body.error.message);
    expect((await api("GET", `/v1/admin/access-keys/${key.accessKeyId}`)).status).toBe(404);
  });

  it("rotates to a new key pair, keeps the old one working during the overlap, and revokes it", async () => {
    const group = await createGroup({ name: uniqueName("rot") });
    const old = await createKey({ name: "rotating", policy: policy({ Effect: "Allow", Action: "sagemaker:*", Resource: `feature-group/${group}` }) });
    expect((await as(old, "PUT", `/v1/feature-groups/${group}/records`, { record: { id: "before", ts: at(1), age: 1 } })).status).toBe(200);

    const rotated = await api("POST", `/v1/admin/access-keys/${old.accessKeyId}/rotate`, { overlapSeconds: 3600 });
    expect(rotated.status).toBe(201);
    const fresh = { accessKeyId: rotated.body.accessKey.accessKeyId, secretAccessKey: rotated.body.secretAccessKey, auth: `Bearer ${rotated.body.accessKey.accessKeyId}:${rotated.body.secretAccessKey}` };
    expect(fresh.accessKeyId).not.toBe(old.accessKeyId);
    expect(rotated.body.accessKey.policy).toEqual(rotated.body.previous.policy);
    expect(rotated.body.previous).toMatchObject({ accessKeyId: old.accessKeyId, rotatedTo: fresh.accessKeyId });
    expect(Date.parse(rotated.body.previous.expiresAt) - Date.now()).toBeGreaterThan(3500_000);

    // Both work during the overlap; records written with either stay readable with the other.
    expect((await as(fresh, "PUT", `/v1/feature-groups/${group}/records`, { record: { id: "after", ts: at(2), age: 2 } })).status).toBe(200);
    expect((await as(old, "GET", `/v1/feature-groups/${group}/records/after`)).status).toBe(200);
    expect((await as(fresh, "GET", `/v1/feature-groups/${group}/records/before`)).body.record.age).toBe(1);

    const again = await api("POST", `/v1/admin/access-keys/${old.accessKeyId}/rotate`, {});
    expect(again.status).toBe(409);

    expect((await api("DELETE", `/v1/admin/access-keys/${old.accessKeyId}`)).status).toBe(204);
    expect((await as(old, "GET", `/v1/feature-groups/${group}/records/before`)).status).toBe(401);
    expect((await as(fresh, "GET", `/v1/feature-groups/${group}/records/before`)).status).toBe(200);
    expect((await as(fresh, "GET", `/v1/feature-groups/${group}/records/after`)).status).toBe(200);
  });

  it("stops the old key at once when a rotation grants no overlap", async () => {
    const old = await createKey({ policy: allowAll });
    const rotated = await api("POST", `/v1/admin/access-keys/${old.accessKeyId}/rotate`, { overlapSeconds: 0 });
    expect(rotated.status).toBe(201);
    expect((await as(old, "GET", "/v1/health")).status).toBe(401);
    expect((await as(`Bearer ${rotated.body.accessKey.accessKeyId}:${rotated.body.secretAccessKey}`, "GET", "/v1/health")).status).toBe(200);
  });

  it("applies a policy change to the next request", async () => {
    const group = await createGroup({ name: uniqueName("chg") });
    await putRecord(group, { id: "r", ts: at(1) });
    const key = await createKey({ policy: allowAll });
    expect((await as(key, "GET", `/v1/feature-groups/${group}/records/r`)).status).toBe(200);
    await api("PATCH", `/v1/admin/access-keys/${key.accessKeyId}`, { policy: policy({ Effect: "Deny", Action: "sagemaker:GetRecord", Resource: "*" }, { Effect: "Allow", Action: "*", Resource: "*" }) });
    expect((await as(key, "GET", `/v1/feature-groups/${group}/records/r`)).status).toBe(403);
    await api("PATCH", `/v1/admin/access-keys/${key.accessKeyId}`, { policy: null });
    expect((await as(key, "GET", "/v1/feature-groups")).status).toBe(403);
  });

  it("rejects bad settings with a 400 naming the field and creates nothing", async () => {
    const before = (await api("GET", "/v1/admin/access-keys?limit=100")).body.accessKeys.length;
    const cases: [unknown, string][] = [
      [{}, "name"],
      [{ name: "x", status: "Paused" }, "status"],
      [{ name: "x", rateLimit: { perSecond: 0 } }, "rateLimit.perSecond"],
      [{ name: "x", rateLimit: { perSecond: 5, burst: 1.5 } }, "rateLimit.burst"],
      [{ name: "x", secret: "mine" }, "secret"],
    ];
    for (const [body, field] of cases) {
      const res = await api("POST", "/v1/admin/access-keys", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.message.startsWith(`${field}:`), res.body.error.message).toBe(true);
    }
    expect((await api("POST", "/v1/admin/access-keys/FSAKAAAAAAAAAAAAAAAA/rotate", { overlapSeconds: -1 })).status).toBe(400);
    expect((await api("POST", "/v1/admin/access-keys/FSAKAAAAAAAAAAAAAAAA/rotate", {})).status).toBe(404);
    expect((await api("GET", "/v1/admin/access-keys?limit=100")).body.accessKeys.length).toBe(before);
  });
});
