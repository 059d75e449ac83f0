import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, createGroup, uniqueName } from "../helpers";

/** Tags of feature groups: the native routes, storage, and SageMaker's AddTags/ListTags/DeleteTags through the worker. */

type TagList = { key: string; value: string }[];

const tagsOf = async (group: string): Promise<TagList> => (await api("GET", `/v1/feature-groups/${group}/tags`)).body.tags;
const put = (group: string, tags: unknown) => api("PUT", `/v1/feature-groups/${group}/tags`, { tags });
const arn = (group: string) => `arn:aws:sagemaker:us-east-1:000000000000:feature-group/${group}`;
const control = (operation: string, body: unknown) =>
  api("POST", "/", body, { "x-amz-target": `SageMaker.${operation}`, "content-type": "application/x-amz-json-1.1" });

describe("native tag routes", () => {
  it("adds tags, overwrites a present key in place and lists them in the order first added", async () => {
    const group = await createGroup();
    const added = await put(group, [{ key: "team", value: "ml" }, { key: "tier", value: "gold" }]);
    expect(added.status, added.text).toBe(200);
    expect(added.body).toEqual({ featureGroup: group, tags: [{ key: "team", value: "ml" }, { key: "tier", value: "gold" }] });
    const again = await put(group, [{ key: "cost-center", value: "" }, { key: "team", value: "search" }]);
    expect(again.body.tags).toEqual([{ key: "team", value: "search" }, { key: "tier", value: "gold" }, { key: "cost-center", value: "" }]);
    expect(await tagsOf(group)).toEqual(again.body.tags);
    expect((await api("GET", `/v1/feature-groups/${group}`)).body.tags).toEqual(again.body.tags);
  });

  it("deletes the keys named and ignores keys the group does not have", async () => {
    const group = await createGroup();
    await put(group, [{ key: "a", value: "1" }, { key: "b", value: "2" }, { key: "c d", value: "3" }]);
    const res = await api("DELETE", `/v1/feature-groups/${group}/tags?keys=a,nope&keys=${encodeURIComponent("c d")}`);
    expect(res.status, res.text).toBe(200);
    expect(res.body.tags).toEqual([{ key: "b", value: "2" }]);
    expect(await tagsOf(group)).toEqual([{ key: "b", value: "2" }]);
  });

  it("accepts letters, separators and numbers of any script and _ . : / = + - @", async () => {
    const group = await createGroup();
    const tags = [{ key: "Équipe données_1.2:x/y=z+w-v@u", value: "日本語 ٣ ok" }, { key: "k".repeat(128), value: "v".repeat(256) }];
    expect((await put(group, tags)).status).toBe(200);
    expect(await tagsOf(group)).toEqual(tags);
  });

  it.each([
    ["an empty key", [{ key: "", value: "v" }], "tags[0].key", "1-128"],
    ["a key of 129 characters", [{ key: "k".repeat(129), value: "v" }], "tags[0].key", "1-128"],
    ["a value of 257 characters", [{ key: "k", value: "v".repeat(257) }], "tags[0].value", "0-256"],
    ["a key with a character outside the pattern", [{ key: "ok", value: "v" }, { key: "semi;colon", value: "v" }], "tags[1].key", "letters"],
    ["a value with a character outside the pattern", [{ key: "k", value: "a*b" }], "tags[0].value", "letters"],
    ["a key with the reserved aws: prefix, in any case", [{ key: "AWS:owner", value: "me" }], "tags[0].key", "aws:"],
    ["the same key twice", [{ key: "k", value: "1" }, { key: "k", value: "2" }], "tags[1].key", "twice"],
    ["51 tags", Array.from({ length: 51 }, (_, i) => ({ key: `k${i}`, value: "v" })), "tags", "at most 50"],
    ["no tags", [], "tags", "1-50"],
    ["a tag without a value", [{ key: "k" }], "tags[0].value", ""],
    ["a tag with another member", [{ key: "k", value: "v", Key: "k" }], "tags[0].Key", ""],
  ])("refuses %s with 400 naming the field, and changes nothing", async (_case, tags, field, rule) => {
    const group = await createGroup();
    await put(group, [{ key: "keep", value: "me" }]);
    const res = await put(group, tags);
    expect(res.status, res.text).toBe(400);
    expect(res.body.error).toMatchObject({ code: "invalid_field", field });
    expect(res.body.error.message).toContain(rule);
    expect(await tagsOf(group)).toEqual([{ key: "keep", value: "me" }]);
  });

  it("refuses additions past 50 tags on the group, counting only new keys", async () => {
    const group = await createGroup();
    const fifty = Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: "v" }));
    expect((await put(group, fifty)).status).toBe(200);
    expect((await put(group, [{ key: "k0", value: "overwritten" }])).status).toBe(200);
    const res = await put(group, [{ key: "k1", value: "x" }, { key: "one-too-many", value: "v" }]);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "invalid_field", field: "tags" });
    expect(res.body.error.message).toContain("at most 50");
    const stored = await tagsOf(group);
    expect(stored).toHaveLength(50);
    expect(stored[0]).toEqual({ key: "k0", value: "overwritten" });
    expect(stored[1]).toEqual({ key: "k1", value: "v" });
  });

  it("refuses a body with another field, a body that is not JSON, and a delete without keys", async () => {
    const group = await createGroup();
    expect((await api("PUT", `/v1/feature-groups/${group}/tags`, { tags: [{ key: "k", value: "v" }], extra: 1 })).body.error.code).toBe("invalid_field");
    expect((await api("PUT", `/v1/feature-groups/${group}/tags`, "{not json")).status).toBe(400);
    const noKeys = await api("DELETE", `/v1/feature-groups/${group}/tags`);
    expect(noKeys.status).toBe(400);
    expect(noKeys.body.error.field).toBe("keys");
    const reserved = await api("DELETE", `/v1/feature-groups/${group}/tags?keys=aws:x`);
    expect(reserved.body.error.field).toBe("keys[0]");
    expect(await tagsOf(group)).toEqual([]);
  });

  it("answers 404 for a group that does not exist", async () => {
    const missing = uniqueName("missing");
    for (const res of [await api("GET", `/v1/feature-groups/${missing}/tags`), await put(missing, [{ key: "k", value: "v" }]), await api("DELETE", `/v1/feature-groups/${missing}/tags?keys=k`)]) {
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe("feature_group_not_found");
    }
  });

  it("keeps every key when many additions race on one group", async () => {
    const group = await createGroup();
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => put(group, [{ key: `k${i}`, value: `${i}` }])));
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect((await tagsOf(group)).map((t) => t.key).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `k${i}`).sort());
  });

  it("does not change the group's updatedAt", async () => {
    const group = await createGroup();
    const before = (await api("GET", `/v1/feature-groups/${group}`)).body.updatedAt;
    await put(group, [{ key: "k", value: "v" }]);
    expect((await api("GET", `/v1/feature-groups/${group}`)).body.updatedAt).toBe(before);
  });

  it("deletes the tags with the group: a new group of the same name starts without them", async () => {
    const group = await createGroup();
    await put(group, [{ key: "team", value: "ml" }]);
    expect((await api("DELETE", `/v1/feature-groups/${group}`)).status).toBe(204);
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM feature_groups WHERE name = ?").bind(group).first<{ n: number }>();
    expect(rows?.n).toBe(0);
    await createGroup({ name: group });
    expect(await tagsOf(group)).toEqual([]);
  });

  it("records AddTags and DeleteTags in the audit log, allowed or failed", async () => {
    const group = await createGroup();
    await put(group, [{ key: "k", value: "v" }]);
    await put(group, [{ key: "aws:k", value: "v" }]);
    await api("DELETE", `/v1/feature-groups/${group}/tags?keys=k`);
    await api("GET", `/v1/feature-groups/${group}/tags`);
    const entries = (await api("GET", `/v1/admin/audit?featureGroup=${group}`)).body.entries as { action: string; result: string }[];
    expect(entries.map((e) => [e.action, e.result])).toEqual([
      ["sagemaker:DeleteTags", "allowed"],
      ["sagemaker:AddTags", "failed"],
      ["sagemaker:AddTags", "allowed"],
      ["sagemaker:CreateFeatureGroup", "allowed"],
    ]);
  });
});

describe("listing groups by tag", () => {
  it("filters GET /v1/feature-groups by tag key, and by key and value", async () => {
    const prefix = uniqueName("bytag");
    const [a, b, c] = [`${prefix}-a`, `${prefix}-b`, `${prefix}-c`];
    for (const name of [a, b, c]) await createGroup({ name });
    await put(a, [{ key: "team", value: "ml" }]);
    await put(b, [{ key: "team", value: "search" }, { key: "pii", value: "" }]);
    const names = async (query: string) => ((await api("GET", `/v1/feature-groups?nameContains=${prefix}&${query}`)).body.featureGroups as { name: string }[]).map((g) => g.name);
    expect(await names("tagKey=team")).toEqual([a, b]);
    expect(await names("tagKey=team&tagValue=search")).toEqual([b]);
    expect(await names("tagKey=pii&tagValue=")).toEqual([b]);
    expect(await names("tagKey=Team")).toEqual([]);
    const bad = await api("GET", "/v1/feature-groups?tagValue=ml");
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe("tagValue");
  });
});

describe("SageMaker AddTags, ListTags and DeleteTags", () => {
  it("adds, lists and deletes tags on a feature group ARN", async () => {
    const group = await createGroup();
    const added = await control("AddTags", { ResourceArn: arn(group), Tags: [{ Key: "team", Value: "ml" }, { Key: "tier", Value: "gold" }] });
    expect(added.status, added.text).toBe(200);
    expect(added.body).toEqual({ Tags: [{ Key: "team", Value: "ml" }, { Key: "tier", Value: "gold" }] });
    expect((await control("ListTags", { ResourceArn: arn(group) })).body).toEqual({ Tags: [{ Key: "team", Value: "ml" }, { Key: "tier", Value: "gold" }] });
    expect((await control("DeleteTags", { ResourceArn: arn(group), TagKeys: ["team"] })).body).toEqual({});
    expect(await tagsOf(group)).toEqual([{ key: "tier", value: "gold" }]);
  });

  it("answers a missing group, another resource's ARN and a malformed ARN with ValidationException", async () => {
    const cases = [
      { ResourceArn: arn(uniqueName("missing")) },
      { ResourceArn: "arn:aws:sagemaker:us-east-1:000000000000:model/m" },
      { ResourceArn: "arn:aws:sagemaker:us-east-1:999999999999:feature-group/other-account" },
      { ResourceArn: "users" },
      {},
    ];
    for (const body of cases) {
      const res = await control("ListTags", body);
      expect(res.status).toBe(400);
      expect(res.body.__type).toBe("ValidationException");
      expect(res.headers.get("x-amzn-errortype")).toBe("ValidationException");
    }
  });

  it("names the member and rule of a bad tag, and of MaxResults under 50", async () => {
    const group = await createGroup();
    const bad = await control("AddTags", { ResourceArn: arn(group), Tags: [{ Key: "ok", Value: "v" }, { Key: "bad!", Value: "v" }] });
    expect(bad.status).toBe(400);
    expect(bad.body.Message).toContain("Tags[1].Key");
    const deleted = await control("DeleteTags", { ResourceArn: arn(group), TagKeys: [] });
    expect(deleted.body.Message).toContain("TagKeys");
    const small = await control("ListTags", { ResourceArn: arn(group), MaxResults: 10 });
    expect(small.body.__type).toBe("ValidationException");
    expect(small.body.Message).toContain("MaxResults");
    expect(await tagsOf(group)).toEqual([]);
  });

  it("applies the tag rules to CreateFeatureGroup's Tags too", async () => {
    const res = await control("CreateFeatureGroup", {
      FeatureGroupName: uniqueName("create"),
      RecordIdentifierFeatureName: "id",
      EventTimeFeatureName: "ts",
      FeatureDefinitions: [{ FeatureName: "id", FeatureType: "String" }, { FeatureName: "ts", FeatureType: "String" }],
      OnlineStoreConfig: { EnableOnlineStore: true },
      Tags: [{ Key: "aws:cloudformation:stack", Value: "x" }],
    });
    expect(res.status).toBe(400);
    expect(res.body.Message).toContain("Tags[0].Key");
  });

  it("finds groups by tag through Search once tags are added", async () => {
    const group = await createGroup();
    await control("AddTags", { ResourceArn: arn(group), Tags: [{ Key: "owner.team", Value: `t-${group}` }] });
    const res = await control("Search", { Resource: "FeatureGroup", SearchExpression: { Filters: [{ Name: "Tags.owner.team", Operator: "Equals", Value: `t-${group}` }] } });
    expect(res.status, res.text).toBe(200);
    expect((res.body.Results as { FeatureGroup: { FeatureGroupName: string } }[]).map((r) => r.FeatureGroup.FeatureGroupName)).toEqual([group]);
  });
});
