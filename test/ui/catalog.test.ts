import { describe, expect, it } from "vitest";
import { api, createGroup, putRecord, uniqueName } from "../helpers";
import { createKey, policy } from "../access/support";
import { settle } from "../offline/support";
import { signedIn } from "./support";

/** What a signed-in user finds, reads and changes in the web catalog, through the real app, D1, shards and R2. */

const ARN = (group: string) => `arn:aws:sagemaker:us-east-1:000000000000:feature-group/${group}`;
const listed = (html: string): string[] => [...html.matchAll(/<td><a href="\/ui\/feature-groups\/([^"]+)">/g)].map((m) => decodeURIComponent(m[1]!));

describe("feature group list", () => {
  it("finds groups by name, description, tag, feature name and feature metadata, and filters by tag", async () => {
    const prefix = uniqueName("find");
    const [byName, byDescription, byFeature, byMetadata, tagged] = await Promise.all(["alpha", "beta", "gamma", "delta", "epsilon"].map((s) => createGroup({ name: `${prefix}-${s}` })));
    await api("PATCH", `/v1/feature-groups/${byDescription}`, { description: "clicks per zebra session" });
    await api("PATCH", `/v1/feature-groups/${byFeature}`, { addFeatures: [{ name: "zebra_count", type: "Integral" }] });
    await api("PATCH", `/v1/feature-groups/${byMetadata}/features/age`, { addParameters: { unit: "zebra-years" } });
    await api("PUT", `/v1/feature-groups/${tagged}/tags`, { tags: [{ key: "domain", value: "zebra" }] });
    const browser = await signedIn();
    const search = await browser.get(`/ui/feature-groups?q=zebra`);
    expect(search.status).toBe(200);
    expect(listed(search.html).filter((n) => n.startsWith(prefix)).sort()).toEqual([byDescription, byFeature, byMetadata, tagged].sort());
    expect(listed((await browser.get(`/ui/feature-groups?q=${prefix}-alpha`)).html)).toEqual([byName]);
    const byTag = await browser.get(`/ui/feature-groups?tag=${encodeURIComponent("domain=zebra")}`);
    expect(listed(byTag.html)).toEqual([tagged]);
    expect(byTag.html).toContain('<option value="domain=zebra" selected="">domain=zebra</option>');
    expect(listed((await browser.get(`/ui/feature-groups?status=DeleteFailed`)).html)).toEqual([]);
  }, 30_000);

  it("sorts by name or newest first", async () => {
    const prefix = uniqueName("sort");
    const first = await createGroup({ name: `${prefix}-b` });
    const second = await createGroup({ name: `${prefix}-a` });
    const browser = await signedIn();
    const mine = (html: string) => listed(html).filter((n) => n.startsWith(prefix));
    expect(mine((await browser.get(`/ui/feature-groups?q=${prefix}&sort=name`)).html)).toEqual([second, first]);
    await new Promise((r) => setTimeout(r, 5));
    await api("PATCH", `/v1/feature-groups/${first}`, { description: "changed last" });
    expect(mine((await browser.get(`/ui/feature-groups?q=${prefix}&sort=updated`)).html)).toEqual([first, second]);
  });

  it("shows a key only the groups its policy allows", async () => {
    const prefix = uniqueName("vis");
    const open = await createGroup({ name: `${prefix}-open` });
    await createGroup({ name: `${prefix}-hidden` });
    const key = await createKey({ policy: policy({ Effect: "Allow", Action: ["sagemaker:ListFeatureGroups", "sagemaker:Search", "sagemaker:DescribeFeatureGroup"], Resource: ARN(open) }) });
    const browser = await signedIn(key.accessKeyId, key.secretAccessKey);
    expect(listed((await browser.get("/ui/feature-groups")).html)).toEqual([open]);
    expect(listed((await browser.get(`/ui/feature-groups?q=${prefix}`)).html)).toEqual([open]);
  });
});

describe("feature group page", () => {
  it("shows schema, configuration, freshness, write volume and statistics from the offline files' footers", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    await putRecord(group, { id: "u1", ts: "2026-03-01T10:00:00Z", age: 31, score: 0.5, city: "Oslo" });
    await putRecord(group, { id: "u2", ts: "2026-03-01T11:00:00Z", age: 45, city: "Bergen" });
    await putRecord(group, { id: "u3", ts: "2026-03-01T12:00:00Z", age: 27, score: 2.25 });
    await settle(group, 3);
    const browser = await signedIn();
    const res = await browser.get(`/ui/feature-groups/${group}`);
    expect(res.status).toBe(200);
    const html = res.html;
    expect(html).toContain("<dt>Record TTL</dt><dd>none (records do not expire)</dd>");
    expect(html).toContain("<dt>Offline rows</dt><dd>3 in ");
    expect(html).toContain("none: every online write is in the offline store");
    expect(html).toMatch(/<svg class="chart" viewBox="0 0 640 220" role="img" aria-labelledby="volume-chart-title volume-chart-desc"><title id="volume-chart-title">Rows written over time<\/title><desc id="volume-chart-desc">\d+ bars, 3 rows in all/);
    const stats = html.slice(html.indexOf('id="stats-title"'));
    const row = (column: string) => new RegExp(`<th scope="row"><code>${column}</code></th>(.*?)</tr>`).exec(stats)?.[1];
    expect(row("age")).toBe('<td class="num">3</td><td class="num">0.0%</td><td>27</td><td>45</td>');
    expect(row("score")).toBe('<td class="num">3</td><td class="num">33.3%</td><td>0.5000</td><td>2.250</td>');
    expect(row("city")).toBe('<td class="num">3</td><td class="num">33.3%</td><td>Bergen</td><td>Oslo</td>');
    expect(html).toContain("From the Parquet footers of");
    // A histogram per numeric feature, from the last row group of each of the newest files (three here).
    expect(html).toContain("<figcaption>age: 3 values from 27 to 45.</figcaption>");
    expect(html).toContain("<figcaption>score: 2 values from 0.5000 to 2.250.</figcaption>");
    expect(html).toContain('<title id="histogram-age-chart-title">Distribution of age</title>');
  }, 60_000);

  it("edits the description, tags and feature metadata, visible through the API and in the audit log", async () => {
    const group = await createGroup();
    const browser = await signedIn();
    const csrf = await browser.csrfFrom(`/ui/feature-groups/${group}`);
    const saved = await browser.post(`/ui/feature-groups/${group}/description`, { csrf, description: "Users, one row per account" });
    expect(saved.status).toBe(303);
    expect(saved.location).toBe(`/ui/feature-groups/${group}?saved=description`);
    await browser.post(`/ui/feature-groups/${group}/tags`, { csrf, key: "team", value: "growth" });
    await browser.post(`/ui/feature-groups/${group}/tags`, { csrf, key: "tier", value: "gold" });
    await browser.post(`/ui/feature-groups/${group}/tags/remove`, { csrf, key: "tier" });
    await browser.post(`/ui/feature-groups/${group}/features/age`, { csrf, description: "age in years", parameterKey: "unit", parameterValue: "years" });
    const described = (await api("GET", `/v1/feature-groups/${group}`)).body;
    expect(described.description).toBe("Users, one row per account");
    expect(described.tags).toEqual([{ key: "team", value: "growth" }]);
    expect((await api("GET", `/v1/feature-groups/${group}/features/age`)).body).toMatchObject({ description: "age in years", parameters: { unit: "years" } });
    const audit = (await api("GET", `/v1/admin/audit?featureGroup=${group}`)).body.entries as { action: string; accessKeyId: string; result: string }[];
    expect(audit.map((e) => e.action)).toEqual(["sagemaker:UpdateFeatureMetadata", "sagemaker:DeleteTags", "sagemaker:AddTags", "sagemaker:AddTags", "sagemaker:UpdateFeatureGroup", "sagemaker:CreateFeatureGroup"]);
    expect(audit.every((e) => e.accessKeyId === "AKTESTROOT" && e.result === "allowed")).toBe(true);
    expect((await browser.get(`/ui/feature-groups/${group}?saved=description`)).html).toContain('<p class="notice ok" role="status">Description saved.</p>');
  });

  it("names the field and rule of a bad edit and changes nothing", async () => {
    const group = await createGroup();
    const browser = await signedIn();
    const csrf = await browser.csrfFrom(`/ui/feature-groups/${group}`);
    const res = await browser.post(`/ui/feature-groups/${group}/tags`, { csrf, key: "aws:owner", value: "me" });
    expect(res.status).toBe(400);
    expect(res.html).toContain("tag[0].key: must not start with aws:");
    expect((await api("GET", `/v1/feature-groups/${group}`)).body.tags).toEqual([]);
  });

  it("explains what a key's policy leaves out, and refuses the change it may not make", async () => {
    const group = await createGroup({ offline: true });
    const key = await createKey({ policy: policy({ Effect: "Allow", Action: ["sagemaker:ListFeatureGroups", "sagemaker:DescribeFeatureGroup", "sagemaker:GetRecord"], Resource: "*" }) });
    const browser = await signedIn(key.accessKeyId, key.secretAccessKey);
    const res = await browser.get(`/ui/feature-groups/${group}`);
    expect(res.status).toBe(200);
    expect(res.html).toContain("Your access key&#39;s policy does not allow <code>sagemaker:UpdateFeatureGroup</code> on this group, so you cannot edit its description.");
    expect(res.html).toContain("<code>featurestore:ReadOfflineStore</code> on this group, so you cannot see its freshness");
    expect(res.html).not.toContain('action="/ui/feature-groups/' + group + '/description"');
    const csrf = /name="csrf" value="([^"]+)"/.exec(res.html)![1]!;
    const refused = await browser.post(`/ui/feature-groups/${group}/description`, { csrf, description: "sneaky" });
    expect(refused.status).toBe(403);
    expect(refused.html).toContain(`Your key may not <code>sagemaker:UpdateFeatureGroup</code> on <code>${ARN(group)}</code>`);
    expect((await api("GET", `/v1/feature-groups/${group}`)).body.description).toBeUndefined();
    const denied = (await api("GET", `/v1/admin/audit?accessKeyId=${key.accessKeyId}&result=denied`)).body.entries as { action: string }[];
    expect(denied.map((e) => e.action)).toEqual(["sagemaker:UpdateFeatureGroup"]);
    const history = await browser.get(`/ui/feature-groups/${group}/records?id=u1`);
    expect(history.html).toContain("<code>featurestore:GetRecordHistory</code> on this group, so you cannot see this record&#39;s history");
  });

  it("answers an unknown group with a page that says so", async () => {
    const browser = await signedIn();
    const res = await browser.get(`/ui/feature-groups/${uniqueName("nope")}`);
    expect(res.status).toBe(404);
    expect(res.html).toMatch(/feature group nope-\d+ does not exist/);
  });
});

describe("record page", () => {
  it("shows the online record with its expiry, and its history as a timeline and a chart over event time", async () => {
    const group = await createGroup({ offline: true, shardCount: 1, ttl: { unit: "Days", value: 1 } });
    // Recent event times: the TTL counts from event time, and older records would expire on arrival.
    const hour = Math.floor(Date.now() / 3600_000) * 3600_000;
    const times = [3, 2, 1].map((h) => new Date(hour - h * 3600_000).toISOString().replace(".000Z", "Z"));
    await putRecord(group, { id: "u1", ts: times[0], age: 30, score: 1.5 });
    await putRecord(group, { id: "u1", ts: times[1], age: 31, score: 2.5 });
    await putRecord(group, { id: "u1", ts: times[2], age: 32, score: 0.5 });
    await settle(group, 3);
    const browser = await signedIn();
    const res = await browser.get(`/ui/feature-groups/${group}/records?id=u1&feature=score`);
    expect(res.status).toBe(200);
    expect(res.html).toMatch(/Expires at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(the group&#39;s TTL\)/);
    expect(res.html).toContain('<th scope="row"><code>age</code></th><td>32</td>');
    expect([...res.html.matchAll(/<li class=""><strong>(.*?)<\/strong>/g)].map((m) => m[1])).toEqual(times);
    expect(res.html).toContain("<title id=\"history-chart-title\">score over event time</title>");
    const label = (iso: string) => iso.slice(0, 16).replace("T", " ");
    expect(res.html).toContain(`3 points from ${label(times[0]!)} to ${label(times[2]!)}; values from 0.5000 to 2.500.`);
    const missing = await browser.get(`/ui/feature-groups/${group}/records?id=nobody`);
    expect(missing.html).toContain("No online record with this identifier");
    expect(missing.html).toContain("No versions in the offline store yet");
  }, 60_000);
});
