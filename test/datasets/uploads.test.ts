import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, uniqueName } from "../helpers";
import { allowAll, as, createKey } from "../access/support";

/** Uploaded entity lists belong to the key that made them. */
describe("PUT /v1/uploads/{name}", () => {
  const csv = (label: string) => `user,at,label\nu1,2026-01-01T00:00:00Z,${label}\n`;
  const stored = async (name: string) => (await env.OFFLINE_BUCKET.get(`uploads/${name}`))!.text();

  it("lets the uploading key and root replace an upload, and refuses every other key with 409, changing nothing", async () => {
    const name = `${uniqueName("entities")}.csv`;
    const owner = await createKey({ policy: allowAll });
    const other = await createKey({ policy: allowAll });
    expect((await as(owner, "PUT", `/v1/uploads/${name}`, csv("first"), { "content-type": "text/csv" })).status).toBe(201);

    const refused = await as(other, "PUT", `/v1/uploads/${name}`, csv("poisoned"), { "content-type": "text/csv" });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain("belongs to another access key");
    expect(await stored(name)).toBe(csv("first"));

    expect((await as(owner, "PUT", `/v1/uploads/${name}`, csv("second"), { "content-type": "text/csv" })).status).toBe(201);
    expect(await stored(name)).toBe(csv("second"));
    expect((await api("PUT", `/v1/uploads/${name}`, csv("by root"), { "content-type": "text/csv" })).status).toBe(201);
    expect(await stored(name)).toBe(csv("by root"));
  });
});
