import { describe, expect, it } from "vitest";
import { api, at, createGroup, getRecord, putRecord, uniqueName } from "../helpers";

const base = (name: string) => ({
  name,
  recordIdentifierFeature: "id",
  eventTimeFeature: "ts",
  features: [
    { name: "id", type: "String" },
    { name: "ts", type: "String" },
  ],
});

describe("feature group lifecycle", () => {
  it("creates a group and describes it back with every setting", async () => {
    const name = uniqueName("users");
    const res = await api("POST", "/v1/feature-groups", {
      ...base(name),
      features: [...base(name).features, { name: "emb", type: "Fractional", collection: { type: "Vector", dimension: 4 } }],
      onlineStore: { enabled: true, ttl: { unit: "Days", value: 7 } },
      offlineStore: { enabled: true },
      description: "users of the shop",
      tags: [{ key: "team", value: "ml" }],
      shardCount: 8,
    });
    expect(res.status).toBe(201);
    const described = await api("GET", `/v1/feature-groups/${name}`);
    expect(described.body).toMatchObject({
      name,
      arn: `arn:aws:sagemaker:us-east-1:000000000000:feature-group/${name}`,
      recordIdentifierFeature: "id",
      eventTimeFeature: "ts",
      features: [
        { name: "id", type: "String" },
        { name: "ts", type: "String" },
        { name: "emb", type: "Fractional", collection: { type: "Vector", dimension: 4 } },
      ],
      onlineStore: { enabled: true, ttl: { unit: "Days", value: 7 } },
      offlineStore: { enabled: true },
      description: "users of the shop",
      tags: [{ key: "team", value: "ml" }],
      status: "Created",
      shardCount: 8,
    });
    expect(described.body.generation).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(described.body.createdAt)).toBeGreaterThan(0);
  });

  it("refuses a second group with the same name with 409", async () => {
    const name = await createGroup();
    const res = await api("POST", "/v1/feature-groups", base(name));
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("feature_group_exists");
  });

  it("holds up to 2,500 features", async () => {
    const name = uniqueName("wide");
    const features = [...base(name).features, ...Array.from({ length: 2_498 }, (_, i) => ({ name: `f${i}`, type: "Fractional" }))];
    const res = await api("POST", "/v1/feature-groups", { ...base(name), features });
    expect(res.status).toBe(201);
    expect((await api("GET", `/v1/feature-groups/${name}`)).body.features).toHaveLength(2_500);
    const tooMany = await api("POST", "/v1/feature-groups", { ...base(uniqueName("wider")), features: [...features, { name: "extra", type: "String" }] });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.field).toBe("features");
  });

  const invalid: [string, (name: string) => unknown, string][] = [
    ["a name with a dot", (n) => ({ ...base(n), name: "bad.name" }), "name"],
    ["a name longer than 64", (n) => ({ ...base(n), name: "a".repeat(65) }), "name"],
    ["a reserved feature name", (n) => ({ ...base(n), features: [...base(n).features, { name: "write_time", type: "String" }] }), "features[2].name"],
    ["a reserved name in other case", (n) => ({ ...base(n), features: [...base(n).features, { name: "Is_Deleted", type: "String" }] }), "features[2].name"],
    ["a feature named like a JavaScript object member", (n) => ({ ...base(n), features: [...base(n).features, { name: "constructor", type: "String" }] }), "features[2].name"],
    ["duplicate feature names", (n) => ({ ...base(n), features: [...base(n).features, { name: "ID", type: "String" }] }), "features[2].name"],
    ["an unknown feature type", (n) => ({ ...base(n), features: [...base(n).features, { name: "x", type: "Boolean" }] }), "features[2].type"],
    ["a vector without a dimension", (n) => ({ ...base(n), features: [...base(n).features, { name: "v", type: "Fractional", collection: { type: "Vector" } }] }), "features[2].collection.dimension"],
    ["an identifier that is not a feature", (n) => ({ ...base(n), recordIdentifierFeature: "nope" }), "recordIdentifierFeature"],
    ["an Integral event time", (n) => ({ ...base(n), features: [{ name: "id", type: "String" }, { name: "ts", type: "Integral" }] }), "eventTimeFeature"],
    ["a list event time", (n) => ({ ...base(n), features: [{ name: "id", type: "String" }, { name: "ts", type: "String", collection: { type: "List" } }] }), "eventTimeFeature"],
    ["a Fractional identifier", (n) => ({ ...base(n), features: [{ name: "id", type: "Fractional" }, { name: "ts", type: "String" }] }), "recordIdentifierFeature"],
    ["no store enabled", (n) => ({ ...base(n), onlineStore: { enabled: false } }), "onlineStore.enabled"],
    ["a zero TTL", (n) => ({ ...base(n), onlineStore: { ttl: { unit: "Days", value: 0 } } }), "onlineStore.ttl.value"],
    ["an unknown field", (n) => ({ ...base(n), colour: "red" }), ""],
    ["too many shards", (n) => ({ ...base(n), shardCount: 100_000 }), "shardCount"],
  ];
  it.each(invalid)("refuses %s with a 400 naming the field, and creates nothing", async (_, body, field) => {
    const name = uniqueName("bad");
    const res = await api("POST", "/v1/feature-groups", body(name));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_field");
    if (field) expect(res.body.error.field).toBe(field);
    expect((await api("GET", `/v1/feature-groups/${name}`)).status).toBe(404);
  });

  it("lists groups by name with pagination and a name filter", async () => {
    const names = [uniqueName("list-a"), uniqueName("list-b"), uniqueName("list-c")];
    for (const name of names) await createGroup({ name });
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const res = await api("GET", `/v1/feature-groups?nameContains=LIST-&limit=2${token ? `&nextToken=${token}` : ""}`);
      expect(res.status).toBe(200);
      expect(res.body.featureGroups.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.featureGroups.map((g: { name: string }) => g.name));
      token = res.body.nextToken;
    } while (token);
    expect(seen).toEqual([...names].sort());
    expect((await api("GET", "/v1/feature-groups?limit=0")).status).toBe(400);
  });

  it("adds features, never removes them, and serves the new ones at once", async () => {
    const name = await createGroup();
    const res = await api("PATCH", `/v1/feature-groups/${name}`, { addFeatures: [{ name: "tier", type: "String" }] });
    expect(res.status).toBe(200);
    expect(res.body.features.map((f: { name: string }) => f.name)).toEqual(["id", "ts", "age", "score", "city", "tier"]);
    expect((await putRecord(name, { id: "u1", ts: at(0), tier: "gold" })).status).toBe(200);
    expect((await getRecord(name, "u1", "?features=tier")).body.record).toEqual({ tier: "gold" });
  });

  it("refuses to add a feature that exists or is reserved, and changes nothing", async () => {
    const name = await createGroup();
    for (const feature of ["age", "AGE", "api_invocation_time"]) {
      const res = await api("PATCH", `/v1/feature-groups/${name}`, { addFeatures: [{ name: "ok_one", type: "String" }, { name: feature, type: "String" }] });
      expect(res.status).toBe(400);
      expect(res.body.error.field).toBe("addFeatures[1].name");
    }
    expect((await api("GET", `/v1/feature-groups/${name}`)).body.features).toHaveLength(5);
  });

  it("answers 404 for describing, updating or deleting a missing group", async () => {
    expect((await api("GET", "/v1/feature-groups/ghost")).status).toBe(404);
    expect((await api("PATCH", "/v1/feature-groups/ghost", { description: "x" })).status).toBe(404);
    expect((await api("DELETE", "/v1/feature-groups/ghost")).status).toBe(404);
  });

  it("never brings old records back when a deleted group is created again", async () => {
    const name = await createGroup();
    await putRecord(name, { id: "u1", ts: at(0), age: 1 });
    const first = (await api("GET", `/v1/feature-groups/${name}`)).body.generation;
    expect((await api("DELETE", `/v1/feature-groups/${name}`)).status).toBe(204);
    expect((await getRecord(name, "u1")).status).toBe(404);
    await createGroup({ name });
    const second = (await api("GET", `/v1/feature-groups/${name}`)).body.generation;
    expect(second).not.toBe(first);
    expect((await getRecord(name, "u1")).status).toBe(404);
    await putRecord(name, { id: "u1", ts: at(-10), age: 2 });
    expect((await getRecord(name, "u1")).body.record.age).toBe(2);
  });
});

describe("feature metadata", () => {
  it("describes a feature and updates its description and parameters", async () => {
    const name = await createGroup();
    const before = await api("GET", `/v1/feature-groups/${name}/features/age`);
    expect(before.body).toMatchObject({ featureGroup: name, feature: { name: "age", type: "Integral" }, parameters: {} });
    const updated = await api("PATCH", `/v1/feature-groups/${name}/features/age`, { description: "age in years", addParameters: { unit: "years", source: "crm" } });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ description: "age in years", parameters: { unit: "years", source: "crm" } });
    const removed = await api("PATCH", `/v1/feature-groups/${name}/features/age`, { removeParameters: ["source"] });
    expect(removed.body.parameters).toEqual({ unit: "years" });
    expect((await api("GET", `/v1/feature-groups/${name}/features/age`)).body.description).toBe("age in years");
  });

  it("refuses more than 25 parameters and changes nothing", async () => {
    const name = await createGroup();
    const params = Object.fromEntries(Array.from({ length: 26 }, (_, i) => [`k${i}`, "v"]));
    const res = await api("PATCH", `/v1/feature-groups/${name}/features/age`, { addParameters: params });
    expect(res.status).toBe(400);
    expect((await api("GET", `/v1/feature-groups/${name}/features/age`)).body.parameters).toEqual({});
  });

  it("answers 404 for an unknown feature", async () => {
    const name = await createGroup();
    const res = await api("GET", `/v1/feature-groups/${name}/features/nope`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("feature_not_found");
  });
});
