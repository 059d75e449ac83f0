import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { FeatureStoreClient, type FetchLike } from "../../../clients/typescript/src";
import { api, getRecord, putRecord, ROOT_AUTH } from "../../../test/helpers";
import { insertAccessKey } from "../../../test/rpc/support";
import { churnProbability, MODEL, MODEL_FEATURES } from "../src/model";

/** The key the example's binding names (examples/edge-inference/wrangler.toml, handed over by vitest.config.ts). */
const EXAMPLE_ACCESS_KEY_ID = env.EDGE_INFERENCE_ACCESS_KEY_ID;

/**
 * The example runs as its own Worker in the test runtime (vitest.config.ts),
 * bound to the store's FeatureStore entrypoint with the props of its
 * wrangler.toml; the test calls it through a service binding, and compares
 * its score with the model applied to the stored features read over HTTP.
 */

const score = (userId: unknown) =>
  env.EDGE_INFERENCE.fetch("http://edge-inference.test/score", { method: "POST", body: JSON.stringify({ userId }) }).then(async (res) => ({ status: res.status, body: (await res.json()) as any }));

const readUsers = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sagemaker:GetRecord", Resource: `feature-group/${MODEL.featureGroup}` }] };

describe("edge inference example", () => {
  beforeAll(async () => {
    await insertAccessKey(EXAMPLE_ACCESS_KEY_ID, readUsers);
    const created = await api("POST", "/v1/feature-groups", {
      name: MODEL.featureGroup,
      recordIdentifierFeature: "user_id",
      eventTimeFeature: "event_time",
      features: [
        { name: "user_id", type: "String" },
        { name: "event_time", type: "String" },
        { name: "clicks_7d", type: "Integral" },
        { name: "sessions_7d", type: "Integral" },
        { name: "days_since_last_order", type: "Fractional" },
        { name: "support_tickets_30d", type: "Integral" },
        { name: "email", type: "String" },
      ],
    });
    expect(created.status).toBe(201);
  });

  it("scores an entity with the features the store holds for it", async () => {
    const users = [
      { user_id: "u1", event_time: "2026-11-25T08:00:00Z", clicks_7d: 42, sessions_7d: 9, days_since_last_order: 3.5, support_tickets_30d: 0, email: "u1@example.com" },
      { user_id: "u2", event_time: "2026-11-25T08:00:00Z", clicks_7d: 1, sessions_7d: 0, days_since_last_order: 61, support_tickets_30d: 4 },
    ];
    for (const user of users) expect((await putRecord(MODEL.featureGroup, user)).status).toBe(200);
    for (const { user_id } of users) {
      const res = await score(user_id);
      expect(res.status).toBe(200);
      const stored = (await getRecord(MODEL.featureGroup, user_id)).body.record;
      expect(res.body).toMatchObject({ userId: user_id, model: MODEL.version, churnProbability: churnProbability(stored) });
      expect(res.body.featuresAgeMs).toBeLessThanOrEqual(1_000);
    }
    expect(churnProbability(users[1]!)).toBeGreaterThan(churnProbability(users[0]!));
  });

  it("scores as a fetch caller would: the TypeScript client reads the same features over HTTP", async () => {
    // The store's own fetch handler stands in for the network; the client is what a browser, Node or a Worker without the binding would run.
    const fetch: FetchLike = (url, init) => exports.default.fetch(url, init);
    const endpoint = "http://feature-store.test";
    const [rootKeyId, rootSecret] = ROOT_AUTH.slice("Bearer ".length).split(":") as [string, string];
    const admin = new FeatureStoreClient({ endpoint, accessKeyId: rootKeyId, secretAccessKey: rootSecret, fetch });
    const policy = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["sagemaker:GetRecord", "sagemaker:BatchGetRecord"], Resource: `feature-group/${MODEL.featureGroup}` }] };
    const issued = await admin.request<{ accessKey: { accessKeyId: string }; secretAccessKey: string }>("POST", "/admin/access-keys", { json: { name: "edge inference over HTTP", policy } });
    const client = new FeatureStoreClient({ endpoint, accessKeyId: issued.accessKey.accessKeyId, secretAccessKey: issued.secretAccessKey, fetch, coalesce: true });

    const users = ["u1", "u2"];
    const reads = await Promise.all(users.map((id) => client.getRecord(MODEL.featureGroup, id, { features: [...MODEL_FEATURES], maxStalenessMs: 1_000 })));
    expect(client.coalescing).toEqual({ batchCalls: 1, singleCalls: 0 });
    for (const [i, userId] of users.entries()) {
      const features = reads[i];
      if (!features) throw new Error(`no features for ${userId}`);
      expect(Object.keys(features.record).sort()).toEqual([...MODEL_FEATURES].sort());
      expect((await score(userId)).body.churnProbability).toBe(churnProbability(features.record));
    }
    expect(await client.getRecord(MODEL.featureGroup, "nobody")).toBeNull();
  });

  it("passes the store's errors on: an unknown entity is 404, a bad request 400", async () => {
    expect(await score("nobody")).toMatchObject({ status: 404, body: { error: "record_not_found" } });
    expect((await score(42)).status).toBe(400);
  });

  it("reads only what the binding's access key may read", async () => {
    const denyAll = { Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "sagemaker:GetRecord", Resource: "*" }] };
    expect((await api("PATCH", `/v1/admin/access-keys/${EXAMPLE_ACCESS_KEY_ID}`, { policy: denyAll })).status).toBe(200);
    try {
      expect(await score("u1")).toMatchObject({ status: 403, body: { error: "access_denied" } });
    } finally {
      await api("PATCH", `/v1/admin/access-keys/${EXAMPLE_ACCESS_KEY_ID}`, { policy: readUsers });
    }
  });
});
