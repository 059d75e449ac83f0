import { describe, expect, it } from "vitest";
import { api, createGroup } from "../helpers";
import { createKey, policy } from "../access/support";
import { DATASET_JOBS_PER_PAGE, SCHEDULED_JOBS_PER_PAGE } from "../../src/ui/jobs";
import { signedIn } from "./support";

/** The web catalog's admin pages (access keys, audit log) and its jobs page, through the real app and D1. */

const secretOn = (html: string) => /id="issued-secret" class="secret" readonly="" size="48" value="([^"]+)"/.exec(html)?.[1];
const keyIdOn = (html: string) => /Access key <code>(FSAK[A-Z2-7]{16})<\/code>/.exec(html)?.[1];

describe("admin pages", () => {
  it("creates a key showing its secret once, which then works on the API; disables and rotates keys", async () => {
    const browser = await signedIn();
    const csrf = await browser.csrfFrom("/ui/admin");
    const created = await browser.post("/ui/admin/keys", { csrf, name: "notebook", policy: JSON.stringify(policy({ Effect: "Allow", Action: "sagemaker:ListFeatureGroups", Resource: "*" })) });
    expect(created.status).toBe(201);
    const id = keyIdOn(created.html)!;
    const secret = secretOn(created.html)!;
    expect(secret.length).toBeGreaterThan(20);
    expect((await api("GET", "/v1/feature-groups", undefined, { authorization: `Bearer ${id}:${secret}` })).status).toBe(200);
    const list = await browser.get("/ui/admin");
    expect(list.html).toContain('<a href="/ui/admin">Admin</a>');
    expect(list.html).toContain(`<code>${id}</code></th><td>notebook</td><td>Active</td>`);
    expect(list.html).not.toContain(secret);

    const rotated = await browser.post(`/ui/admin/keys/${id}/rotate`, { csrf });
    expect(rotated.status).toBe(201);
    const newId = keyIdOn(rotated.html)!;
    expect(newId).not.toBe(id);
    expect((await api("GET", "/v1/feature-groups", undefined, { authorization: `Bearer ${newId}:${secretOn(rotated.html)!}` })).status).toBe(200);

    expect((await browser.post(`/ui/admin/keys/${newId}/disable`, { csrf })).status).toBe(303);
    expect((await api("GET", `/v1/admin/access-keys/${newId}`)).body.status).toBe("Inactive");

    const audit = await browser.get(`/ui/admin/audit?action=featurestore:CreateAccessKey&accessKeyId=AKTESTROOT`);
    expect(audit.status).toBe(200);
    expect(audit.html).toContain(`<td><code>featurestore:CreateAccessKey</code></td><td></td><td>${id}</td><td>allowed</td>`);
    expect(audit.html).not.toContain(secret);
  });

  it("names the rule a bad policy breaks, and creates nothing", async () => {
    const browser = await signedIn();
    const csrf = await browser.csrfFrom("/ui/admin");
    const before = (await api("GET", "/v1/admin/access-keys?limit=100")).body.accessKeys.length;
    const res = await browser.post("/ui/admin/keys", { csrf, name: "broken", policy: "{not json" });
    expect(res.status).toBe(400);
    expect(res.html).toContain("policy: must be a JSON policy document");
    expect((await api("GET", "/v1/admin/access-keys?limit=100")).body.accessKeys.length).toBe(before);
  });

  it("refuses the admin pages to a key whose policy does not allow them", async () => {
    const key = await createKey({ policy: policy({ Effect: "Allow", Action: ["sagemaker:ListFeatureGroups"], Resource: "*" }) });
    const browser = await signedIn(key.accessKeyId, key.secretAccessKey);
    expect((await browser.get("/ui/feature-groups")).html).not.toContain('href="/ui/admin"');
    for (const [path, action] of [["/ui/admin", "featurestore:ListAccessKeys"], ["/ui/admin/audit", "featurestore:ReadAuditLog"]] as const) {
      const res = await browser.get(path);
      expect(res.status).toBe(403);
      expect(res.html).toContain(`Your key may not <code>${action}</code> on <code>*</code>`);
    }
  });
});

describe("jobs page", () => {
  it("lists dataset jobs with their state and progress, and scheduled jobs with their runs", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    const dataset = await api("POST", "/v1/datasets", { entities: { rows: [{ user: "u1", at: "2026-03-01T00:00:00Z" }] }, timestampColumn: "at", featureGroups: [{ name: group, entityColumn: "user" }], async: true });
    expect(dataset.status, dataset.text).toBe(202);
    const job = await api("POST", "/v1/jobs", { featureGroup: group, description: "hourly drop", source: { prefix: `landing/${group}/` }, format: "ndjson", mode: "online", schedule: "0 * * * *" });
    expect(job.status, job.text).toBe(201);
    const browser = await signedIn();
    const page = await browser.get("/ui/jobs");
    expect(page.status).toBe(200);
    expect(page.html).toContain(`<th scope="row"><code>${dataset.body.id}</code></th><td>${group}</td><td>queued</td><td>0 chunks, 0 rows written</td>`);
    expect(page.html).toContain(`<a href="/ui/jobs/${job.body.id}">hourly drop</a></th><td>ingest</td><td>${group}</td><td>0 * * * *</td><td>enabled</td>`);
    const detail = await browser.get(`/ui/jobs/${job.body.id}`);
    expect(detail.html).toContain("No runs yet.");
    const result = await browser.get(`/ui/datasets/${dataset.body.id}/result`);
    expect(result.status).toBe(409);
    expect(result.html).toContain(`dataset job ${dataset.body.id} is queued; its result is ready when it has succeeded`);
  });
});

describe("jobs page paging", () => {
  it("pages dataset jobs and scheduled jobs apart, with no job twice", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    const datasets = DATASET_JOBS_PER_PAGE + 2;
    const scheduled = SCHEDULED_JOBS_PER_PAGE + 1;
    const datasetIdsMade: string[] = [];
    for (let i = 0; i < datasets; i++) {
      const res = await api("POST", "/v1/datasets", { entities: { rows: [{ user: `u${i}`, at: "2026-03-01T00:00:00Z" }] }, timestampColumn: "at", featureGroups: [{ name: group, entityColumn: "user" }], async: true });
      expect(res.status, res.text).toBe(202);
      datasetIdsMade.push(res.body.id);
    }
    const made = await Promise.all(
      Array.from({ length: scheduled }, (_, i) => api("POST", "/v1/jobs", { featureGroup: group, description: `drop ${i}`, source: { prefix: `landing/${group}/${i}/` }, format: "ndjson", mode: "online", schedule: "0 * * * *" })),
    );
    const browser = await signedIn();
    const datasetIds = (html: string) => [...html.matchAll(/<th scope="row"><code>([0-9a-f-]{36})<\/code><\/th>/g)].map((m) => m[1]!);
    const jobLinks = (html: string) => [...html.matchAll(/<a href="\/ui\/jobs\/([^"]+)">/g)].map((m) => m[1]!);
    const hrefOf = (html: string, text: string) => new RegExp(`href="([^"]+)">${text}`).exec(html)?.[1]?.replace(/&amp;/g, "&");
    const first = await browser.get("/ui/jobs");
    expect(datasetIds(first.html)).toHaveLength(DATASET_JOBS_PER_PAGE);
    expect(jobLinks(first.html)).toHaveLength(SCHEDULED_JOBS_PER_PAGE);
    const olderDatasets = hrefOf(first.html, "Older jobs")!;
    expect(olderDatasets).toMatch(/^\/ui\/jobs\?ds-after=/);
    const second = await browser.get(olderDatasets);
    const rest = datasetIds(second.html);
    expect(rest.length).toBeGreaterThanOrEqual(2);
    const allDatasets = [...datasetIds(first.html), ...rest];
    expect(new Set(allDatasets).size).toBe(allDatasets.length);
    for (const id of datasetIdsMade) expect(allDatasets).toContain(id);
    // The scheduled list stays on its first page while the dataset list moves.
    expect(jobLinks(second.html)).toEqual(jobLinks(first.html));
    const scheduledNext = await browser.get(hrefOf(second.html, "Next")!);
    expect(datasetIds(scheduledNext.html)).toEqual(rest);
    const allScheduled = [...jobLinks(first.html), ...jobLinks(scheduledNext.html)];
    expect(new Set(allScheduled).size).toBe(allScheduled.length);
    for (const job of made) expect(allScheduled).toContain(job.body.id);
  }, 60_000);
});
