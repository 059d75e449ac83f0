import { env } from "cloudflare:test";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { ACTION_NAMES, ACTIONS, type Action } from "../../src/access/actions";
import { FailureError } from "../../src/failure";
import { authorize, requireDeclaration } from "../../src/http/authorize";
import type { AppEnv } from "../../src/http/context";
import { authenticate, requestContext } from "../../src/http/middleware";
import { renderNativeFailure } from "../../src/http/render";
import { api, at, createGroup, putRecord, uniqueName, type ApiResponse } from "../helpers";
import { as, createKey, policy, type IssuedKey } from "./support";

/**
 * Every action × {Allow, Deny, no policy} × {matching, non-matching
 * resource}, through the native API (and the SageMaker routes for actions
 * only they serve). Generated from the action table: an action without a
 * probe here fails.
 */

interface Scene {
  group: string;
  key: IssuedKey;
  /** A key the admin probes act on. */
  scratchKeyId: string;
  /** A scheduled ingest job of the group (created by root for the job actions). */
  jobId: string;
  /** An asynchronous dataset job over the group (created by root for the dataset-job actions). */
  datasetJobId: string;
}

interface Probe {
  call(scene: Scene): Promise<ApiResponse>;
  /** For "list" actions: whether the group is among the results. */
  sees?(res: ApiResponse, group: string): boolean;
  /**
   * For probes that cannot succeed without setup the matrix does not do
   * (a Parquet object to register): allowed means got past authorization
   * to the handler's own 4xx.
   */
  reachesHandler?: true;
}

const ingestJob = (group: string) => ({ featureGroup: group, source: { prefix: `landing/${group}/` }, format: "ndjson", mode: "online", schedule: "*/5 * * * *" });

const datasetRequest = (group: string) => ({ entities: { rows: [{ user: "r1", at: at(10) }] }, timestampColumn: "at", featureGroups: [{ name: group, entityColumn: "user" }] });

/** Actions on an existing job, and ListJobs (which must see it), need one in the scene. */
const needsJob = (action: Action) => action === "featurestore:ListJobs" || ((ACTIONS[action] as { native?: string }).native?.includes("/v1/jobs/{id}") ?? false);

const sageMakerControl = (scene: Scene, operation: string, body: unknown) =>
  as(scene.key, "POST", "/", body, { "x-amz-target": `SageMaker.${operation}`, "content-type": "application/x-amz-json-1.1" });

const probes: Record<Action, Probe> = {
  "sagemaker:CreateFeatureGroup": {
    call: (s) =>
      as(s.key, "POST", "/v1/feature-groups", {
        name: `${s.group}-new`,
        recordIdentifierFeature: "id",
        eventTimeFeature: "ts",
        features: [{ name: "id", type: "String" }, { name: "ts", type: "String" }],
        onlineStore: { enabled: true },
      }),
  },
  "sagemaker:DescribeFeatureGroup": { call: (s) => as(s.key, "GET", `/v1/feature-groups/${s.group}`) },
  "sagemaker:UpdateFeatureGroup": { call: (s) => as(s.key, "PATCH", `/v1/feature-groups/${s.group}`, { addFeatures: [{ name: "tier", type: "String" }] }) },
  "sagemaker:DeleteFeatureGroup": { call: (s) => as(s.key, "DELETE", `/v1/feature-groups/${s.group}`) },
  "sagemaker:ListFeatureGroups": {
    call: (s) => as(s.key, "GET", `/v1/feature-groups?nameContains=${s.group}`),
    sees: (res, group) => (res.body.featureGroups as { name: string }[]).some((g) => g.name === group),
  },
  "sagemaker:Search": {
    call: (s) => sageMakerControl(s, "Search", { Resource: "FeatureGroup", MaxResults: 100 }),
    sees: (res, group) => (res.body.Results as { FeatureGroup: { FeatureGroupName: string } }[]).some((r) => r.FeatureGroup.FeatureGroupName === group),
  },
  "sagemaker:DescribeFeatureMetadata": { call: (s) => as(s.key, "GET", `/v1/feature-groups/${s.group}/features/age`) },
  "sagemaker:UpdateFeatureMetadata": { call: (s) => as(s.key, "PATCH", `/v1/feature-groups/${s.group}/features/age`, { description: "years" }) },
  "sagemaker:AddTags": { call: (s) => as(s.key, "PUT", `/v1/feature-groups/${s.group}/tags`, { tags: [{ key: "team", value: "ml" }] }) },
  "sagemaker:ListTags": { call: (s) => as(s.key, "GET", `/v1/feature-groups/${s.group}/tags`) },
  "sagemaker:DeleteTags": { call: (s) => as(s.key, "DELETE", `/v1/feature-groups/${s.group}/tags?keys=team`) },
  "sagemaker:PutRecord": { call: (s) => as(s.key, "PUT", `/v1/feature-groups/${s.group}/records`, { record: { id: "r2", ts: at(2), age: 2 } }) },
  "sagemaker:GetRecord": { call: (s) => as(s.key, "GET", `/v1/feature-groups/${s.group}/records/r1`) },
  "sagemaker:DeleteRecord": { call: (s) => as(s.key, "DELETE", `/v1/feature-groups/${s.group}/records/r1?eventTime=${at(5)}`) },
  "sagemaker:UpdateRecord": { call: (s) => as(s.key, "PATCH", `/v1/feature-groups/${s.group}/records/r1`, { features: { age: 3 } }) },
  "sagemaker:ListRecords": { call: (s) => as(s.key, "GET", `/v1/feature-groups/${s.group}/records`) },
  "sagemaker:BatchGetRecord": { call: (s) => as(s.key, "POST", "/v1/records/batch-get", { requests: [{ featureGroup: s.group, recordIdentifiers: ["r1"] }] }) },
  "sagemaker:BatchWriteRecord": {
    call: (s) =>
      as(s.key, "POST", "/BatchWriteRecord", {
        Entries: [{ FeatureGroupName: s.group, Record: [{ FeatureName: "id", ValueAsString: "r3" }, { FeatureName: "ts", ValueAsString: at(3) }] }],
      }),
  },
  "featurestore:BulkIngest": {
    call: (s) => as(s.key, "POST", `/v1/feature-groups/${s.group}/records/batch`, `${JSON.stringify({ id: "r4", ts: at(4) })}\n`, { "content-type": "application/x-ndjson" }),
  },
  "featurestore:QueryAsOf": { call: (s) => as(s.key, "GET", `/v1/feature-groups/${s.group}/as-of`) },
  "featurestore:GetRecordHistory": { call: (s) => as(s.key, "GET", `/v1/feature-groups/${s.group}/records/r1/history`) },
  "featurestore:BuildDataset": {
    call: (s) =>
      as(s.key, "POST", "/v1/datasets", { entities: { rows: [{ user: "r1", at: at(10) }] }, timestampColumn: "at", featureGroups: [{ name: s.group, entityColumn: "user" }], format: "json" }),
  },
  "featurestore:GetDatasetSql": {
    call: (s) => as(s.key, "POST", "/v1/datasets/sql", { timestampColumn: "at", entityColumns: ["user", "at"], featureGroups: [{ name: s.group, entityColumn: "user" }] }),
  },
  "featurestore:ReadOfflineStore": { call: (s) => as(s.key, "GET", `/v1/feature-groups/${s.group}/offline-store`) },
  "featurestore:ListDeadLetters": { call: (s) => as(s.key, "GET", "/v1/offline/dead-letters") },
  "featurestore:ReplayDeadLetters": { call: (s) => as(s.key, "POST", "/v1/offline/dead-letters/replay", { messageIds: ["no-such-message"] }) },
  "featurestore:RegisterOfflineStoreFile": {
    reachesHandler: true,
    call: (s) =>
      as(s.key, "POST", `/v1/feature-groups/${s.group}/offline-store/files`, {
        key: "not-in-the-bucket.parquet", fileId: "f1", partition: "year=2026/month=01/day=01/hour=00", rows: 1, bytes: 10,
        minEventTime: at(1), maxEventTime: at(1), minWriteTime: at(1), maxWriteTime: at(1),
      }),
  },
  "featurestore:CreateJob": { call: (s) => as(s.key, "POST", "/v1/jobs", ingestJob(s.group)) },
  "featurestore:ListJobs": {
    call: (s) => as(s.key, "GET", "/v1/jobs?limit=1000"),
    sees: (res, group) => (res.body.jobs as { featureGroup: string }[]).some((j) => j.featureGroup === group),
  },
  "featurestore:DescribeJob": { call: (s) => as(s.key, "GET", `/v1/jobs/${s.jobId}`) },
  "featurestore:UpdateJob": { call: (s) => as(s.key, "PATCH", `/v1/jobs/${s.jobId}`, { description: "renamed" }) },
  "featurestore:DeleteJob": { call: (s) => as(s.key, "DELETE", `/v1/jobs/${s.jobId}`) },
  "featurestore:StartJobRun": { call: (s) => as(s.key, "POST", `/v1/jobs/${s.jobId}/run`) },
  "featurestore:PauseJob": { call: (s) => as(s.key, "POST", `/v1/jobs/${s.jobId}/pause`) },
  "featurestore:ResumeJob": { call: (s) => as(s.key, "POST", `/v1/jobs/${s.jobId}/resume`) },
  "featurestore:ListJobRuns": { call: (s) => as(s.key, "GET", `/v1/jobs/${s.jobId}/runs`) },
  "featurestore:DescribeJobRun": { reachesHandler: true, call: (s) => as(s.key, "GET", `/v1/jobs/${s.jobId}/runs/no-such-run`) },
  "featurestore:MaterializeFeatureGroup": { call: (s) => as(s.key, "POST", `/v1/feature-groups/${s.group}/materialize`) },
  "featurestore:StartParityAudit": { call: (s) => as(s.key, "POST", `/v1/feature-groups/${s.group}/audit`, { examples: 1 }) },
  "featurestore:ListParityAudits": { call: (s) => as(s.key, "GET", `/v1/feature-groups/${s.group}/audits`) },
  // No audit exists in the matrix scene: past authorization the route answers 404 for the unknown id.
  "featurestore:DescribeParityAudit": { reachesHandler: true, call: (s) => as(s.key, "GET", `/v1/feature-groups/${s.group}/audits/no-such-audit`) },
  "featurestore:DescribeDatasetJob": { call: (s) => as(s.key, "GET", `/v1/datasets/jobs/${s.datasetJobId}`) },
  // Queued, never run in this project (no consumer): the result route answers 409 "not ready" once past authorization.
  "featurestore:GetDatasetJobResult": { reachesHandler: true, call: (s) => as(s.key, "GET", `/v1/datasets/jobs/${s.datasetJobId}/result`) },
  "featurestore:CancelDatasetJob": { call: (s) => as(s.key, "POST", `/v1/datasets/jobs/${s.datasetJobId}/cancel`) },
  "featurestore:PutEntityUpload": {
    call: (s) => as(s.key, "PUT", `/v1/uploads/${s.group}-entities.csv`, `user,at\nr1,${at(10)}\n`, { "content-type": "text/csv" }),
  },
  // The matrix group does not encrypt: past authorization the route answers 400 "does not encrypt".
  "featurestore:RotateDataKey": { reachesHandler: true, call: (s) => as(s.key, "POST", `/v1/admin/feature-groups/${s.group}/keys/rotate?store=online`) },
  "featurestore:RewrapDataKeys": { call: (s) => as(s.key, "POST", "/v1/admin/master-key/rewrap") },
  "featurestore:CreateAccessKey": { call: (s) => as(s.key, "POST", "/v1/admin/access-keys", { name: "made by a key" }) },
  "featurestore:ListAccessKeys": { call: (s) => as(s.key, "GET", "/v1/admin/access-keys") },
  "featurestore:GetAccessKey": { call: (s) => as(s.key, "GET", `/v1/admin/access-keys/${s.scratchKeyId}`) },
  "featurestore:UpdateAccessKey": { call: (s) => as(s.key, "PATCH", `/v1/admin/access-keys/${s.scratchKeyId}`, { name: "renamed" }) },
  "featurestore:RotateAccessKey": { call: (s) => as(s.key, "POST", `/v1/admin/access-keys/${s.scratchKeyId}/rotate`, { overlapSeconds: 0 }) },
  "featurestore:DeleteAccessKey": { call: (s) => as(s.key, "DELETE", `/v1/admin/access-keys/${s.scratchKeyId}`) },
  "featurestore:ReadAuditLog": { call: (s) => as(s.key, "GET", "/v1/admin/audit") },
};

/** Denied, in whichever API's shape answered. */
function isDenied(res: ApiResponse): boolean {
  const code = res.body?.__type ?? res.body?.error?.code;
  return (res.status === 403 || res.status === 400) && ["access_denied", "AccessForbidden", "AccessDeniedException"].includes(code);
}

type Effect = "allow" | "deny" | "none";
type Match = "matching" | "non-matching";

/** The policy under test; "deny" allows everything else, so only the Deny can refuse. */
function policyFor(action: Action, effect: Effect, match: Match, group: string) {
  const groupScoped = ACTIONS[action].resource !== "none";
  const resource = match === "matching" ? (groupScoped ? `feature-group/${group}*` : "*") : groupScoped ? "feature-group/zz-unrelated-*" : `feature-group/${group}`;
  if (effect === "none") return undefined;
  if (effect === "allow") return policy({ Effect: "Allow", Action: action, Resource: resource });
  return policy({ Effect: "Allow", Action: "*", Resource: "*" }, { Effect: "Deny", Action: action, Resource: resource });
}

const cases = ACTION_NAMES.flatMap((action) =>
  (["allow", "deny", "none"] as const).flatMap((effect) =>
    (["matching", "non-matching"] as const).map((match) => ({ action, effect, match, allowed: (effect === "allow" && match === "matching") || (effect === "deny" && match === "non-matching") })),
  ),
);

describe("policy matrix (native API)", () => {
  it("has a probe for every action in the table", () => {
    expect(Object.keys(probes).sort()).toEqual([...ACTION_NAMES].sort());
  });

  it.each(cases)("$action with $effect on a $match resource: allowed=$allowed", async ({ action, effect, match, allowed }) => {
    const group = await createGroup({ name: uniqueName("pm"), offline: true, shardCount: 1 });
    expect((await putRecord(group, { id: "r1", ts: at(1), age: 1 })).status).toBe(200);
    const scratch = await createKey({ name: "scratch" });
    const jobId = needsJob(action) ? ((await api("POST", "/v1/jobs", ingestJob(group))).body.id as string) : "";
    const document = policyFor(action, effect, match, group);
    const key = await createKey(document ? { policy: document } : {});
    const probe = probes[action];
    const datasetJobId = action.includes("DatasetJob") ? ((await api("POST", "/v1/datasets", { ...datasetRequest(group), async: true })).body.id as string) : "";
    const res = await probe.call({ group, key, scratchKeyId: scratch.accessKeyId, jobId, datasetJobId });
    if (probe.sees) {
      // List actions filter: a denied caller gets 403 or a list without the group.
      if (allowed) {
        expect(res.status, res.text).toBe(200);
        expect(probe.sees(res, group)).toBe(true);
      } else {
        expect(isDenied(res) || (res.status === 200 && !probe.sees(res, group)), res.text).toBe(true);
      }
      return;
    }
    if (allowed && probe.reachesHandler) {
      expect(isDenied(res), res.text).toBe(false);
      expect(res.status, res.text).toBeLessThan(500);
    } else if (allowed) {
      expect(res.status, res.text).toBeLessThan(300);
      if (res.body?.Errors) expect(res.body.Errors).toEqual([]);
    } else {
      expect(isDenied(res), res.text).toBe(true);
    }
  });
});

describe("routes without a declaration", () => {
  it("are denied to keys with an allow-everything policy, and still served to the root key", async () => {
    // A router shaped like /v1 with one route someone forgot to declare.
    const app = new Hono<AppEnv>();
    app.use("*", requestContext, authenticate, requireDeclaration);
    app.get("/declared", authorize("featurestore:ListDeadLetters"), (c) => c.json({ ok: true }));
    app.post("/jobs", (c) => c.json({ ran: true }));
    app.onError((error, c) => (error instanceof FailureError ? renderNativeFailure(c, error.failure) : c.text("boom", 500)));
    const key = await createKey({ policy: policy({ Effect: "Allow", Action: "*", Resource: "*" }) });
    const call = (auth: string, method: string, path: string) => app.request(`http://x${path}`, { method, headers: { authorization: auth } }, env);

    const forgotten = await call(key.auth, "POST", "/jobs");
    expect(forgotten.status).toBe(403);
    expect(((await forgotten.json()) as { error: { code: string } }).error.code).toBe("access_denied");
    expect((await call(key.auth, "GET", "/declared")).status).toBe(200);
    expect((await call("Bearer AKTESTROOT:test-root-secret", "POST", "/jobs")).status).toBe(200);
  });

  it("lets any authenticated key read /v1/health and /v1/openapi.json, even one without a policy", async () => {
    const key = await createKey();
    expect((await as(key, "GET", "/v1/health")).status).toBe(200);
    expect((await as(key, "GET", "/v1/openapi.json")).status).toBe(200);
  });
});

describe("policy documents", () => {
  const bad: [string, unknown, string][] = [
    ["a wrong version", { Version: "2008-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }, "policy.Version"],
    ["an unknown effect", policy({ Effect: "Maybe" as "Allow", Action: "*", Resource: "*" }), "policy.Statement[0].Effect"],
    ["an action of another service", policy({ Effect: "Allow", Action: ["sagemaker:GetRecord", "s3:GetObject"], Resource: "*" }), "policy.Statement[0].Action[1]"],
    ["an action that names nothing", policy({ Effect: "Allow", Action: "sagemaker:GetRecrod", Resource: "*" }), "policy.Statement[0].Action"],
    ["a resource of another kind", policy({ Effect: "Allow", Action: "*", Resource: "arn:aws:s3:::bucket" }), "policy.Statement[0].Resource"],
    ["an empty action list", policy({ Effect: "Allow", Action: [], Resource: "*" }), "policy.Statement[0].Action"],
  ];

  it.each(bad)("rejects %s with a 400 naming the field", async (_what, document, field) => {
    const res = await api("POST", "/v1/admin/access-keys", { name: "bad", policy: document });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(field);
  });

  it("rejects Condition, which is not supported, naming the statement", async () => {
    const res = await api("POST", "/v1/admin/access-keys", {
      name: "bad",
      policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }, { Effect: "Allow", Action: "*", Resource: "*", Condition: {} }] },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain("policy.Statement[1].Condition");
  });

  it("matches action wildcards and full ARNs", async () => {
    const group = await createGroup({ name: uniqueName("arn") });
    await putRecord(group, { id: "r1", ts: at(1) });
    const key = await createKey({ policy: policy({ Effect: "Allow", Action: "sagemaker:Get*", Resource: `arn:aws:sagemaker:*:000000000000:feature-group/${group}` }) });
    expect((await as(key, "GET", `/v1/feature-groups/${group}/records/r1`)).status).toBe(200);
    expect((await as(key, "GET", `/v1/feature-groups/${group}/records`)).status).toBe(403);
  });

  it("checks every group of a BatchGetRecord and refuses the request when one is not allowed", async () => {
    const mine = await createGroup({ name: uniqueName("mine") });
    const theirs = await createGroup({ name: uniqueName("theirs") });
    const key = await createKey({ policy: policy({ Effect: "Allow", Action: "sagemaker:BatchGetRecord", Resource: "feature-group/mine-*" }) });
    const one = await as(key, "POST", "/v1/records/batch-get", { requests: [{ featureGroup: mine, recordIdentifiers: ["a"] }] });
    expect(one.status).toBe(200);
    const both = await as(key, "POST", "/v1/records/batch-get", { requests: [{ featureGroup: mine, recordIdentifiers: ["a"] }, { featureGroup: theirs, recordIdentifiers: ["a"] }] });
    expect(both.status).toBe(403);
    expect(both.body.error.message).toContain(`feature-group/${theirs}`);
  });
});
