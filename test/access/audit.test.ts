import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { recordAudit } from "../../src/access/audit";
import type { Env } from "../../src/env";
import worker from "../../src/index";
import { api, createGroup, uniqueName } from "../helpers";
import { as, createKey, policy } from "./support";

const DAY_MS = 24 * 3600 * 1000;

describe("audit log", () => {
  it("records control-plane changes with who, what, which group and the result", async () => {
    const name = uniqueName("aud");
    await createGroup({ name });
    await api("PATCH", `/v1/feature-groups/${name}/features/age`, { description: "years" });
    await api("DELETE", `/v1/feature-groups/${name}`);
    const res = await api("GET", `/v1/admin/audit?featureGroup=${name}`);
    expect(res.status).toBe(200);
    const entries = res.body.entries as { action: string; accessKeyId: string; result: string; requestId: string; at: string }[];
    expect(entries.map((e) => e.action)).toEqual(["sagemaker:DeleteFeatureGroup", "sagemaker:UpdateFeatureMetadata", "sagemaker:CreateFeatureGroup"]);
    expect(entries.every((e) => e.accessKeyId === "AKTESTROOT" && e.result === "allowed" && e.requestId.length > 0)).toBe(true);
  });

  it("records refused changes as failed", async () => {
    const name = uniqueName("gone");
    await api("DELETE", `/v1/feature-groups/${name}`);
    const res = await api("GET", `/v1/admin/audit?featureGroup=${name}&result=failed`);
    expect(res.body.entries).toHaveLength(1);
    expect(res.body.entries[0].action).toBe("sagemaker:DeleteFeatureGroup");
  });

  it("records credential changes with the key they changed, and never the secret", async () => {
    const key = await createKey({ name: "audited" });
    await api("PATCH", `/v1/admin/access-keys/${key.accessKeyId}`, { status: "Inactive" });
    const rotated = await api("POST", `/v1/admin/access-keys/${key.accessKeyId}/rotate`, {});
    const res = await api("GET", `/v1/admin/audit?action=featurestore:RotateAccessKey`);
    expect(res.body.entries[0]).toMatchObject({ targetKeyId: key.accessKeyId, result: "allowed" });
    const all = await api("GET", "/v1/admin/audit?limit=1000");
    const mine = (all.body.entries as { targetKeyId: string | null; action: string }[]).filter((e) => e.targetKeyId === key.accessKeyId).map((e) => e.action);
    expect(mine).toEqual(["featurestore:RotateAccessKey", "featurestore:UpdateAccessKey", "featurestore:CreateAccessKey"]);
    expect(all.text).not.toContain(key.secretAccessKey);
    expect(all.text).not.toContain(rotated.body.secretAccessKey);
  });

  it("records denied requests with the caller, action, group and source IP", async () => {
    const group = await createGroup({ name: uniqueName("den") });
    const key = await createKey({ policy: policy({ Effect: "Allow", Action: "sagemaker:GetRecord", Resource: "feature-group/other" }) });
    const denied = await as(key, "GET", `/v1/feature-groups/${group}/records/x`, undefined, { "cf-connecting-ip": "203.0.113.7" });
    expect(denied.status).toBe(403);
    const res = await api("GET", `/v1/admin/audit?accessKeyId=${key.accessKeyId}&result=denied`);
    expect(res.body.entries).toHaveLength(1);
    expect(res.body.entries[0]).toMatchObject({
      action: "sagemaker:GetRecord",
      featureGroup: group,
      result: "denied",
      sourceIp: "203.0.113.7",
      requestId: denied.headers.get("x-request-id"),
    });
  });

  it("filters by time range and pages newest first", async () => {
    const key = await createKey();
    for (let i = 0; i < 3; i++) await as(key, "GET", "/v1/feature-groups");
    const first = await api("GET", `/v1/admin/audit?accessKeyId=${key.accessKeyId}&limit=2`);
    expect(first.body.entries).toHaveLength(2);
    const second = await api("GET", `/v1/admin/audit?accessKeyId=${key.accessKeyId}&limit=2&nextToken=${first.body.nextToken}`);
    expect(second.body.entries).toHaveLength(1);
    expect(second.body.nextToken).toBeUndefined();
    const future = await api("GET", `/v1/admin/audit?accessKeyId=${key.accessKeyId}&from=${encodeURIComponent(new Date(Date.now() + DAY_MS).toISOString())}`);
    expect(future.body.entries).toHaveLength(0);
    expect((await api("GET", "/v1/admin/audit?result=maybe")).status).toBe(400);
    expect((await api("GET", "/v1/admin/audit?from=yesterday")).status).toBe(400);
  });

  it("keeps entries for the retention period; the cron sweeps older ones", async () => {
    const now = Date.now();
    const entry = (ageDays: number, action: string) => ({ at: now - ageDays * DAY_MS, requestId: "r", accessKeyId: "AKOLD", action, featureGroup: null, targetKeyId: null, result: "denied" as const, sourceIp: null });
    await recordAudit(env.DB, [entry(91, "featurestore:Old"), entry(89, "featurestore:Recent")]);
    const ctx = createExecutionContext();
    const scheduled = worker.scheduled as ExportedHandlerScheduledHandler<Env>;
    await scheduled(createScheduledController({ scheduledTime: now, cron: "*/15 * * * *" }), env as unknown as Env, ctx);
    await waitOnExecutionContext(ctx);
    const left = await api("GET", "/v1/admin/audit?accessKeyId=AKOLD");
    expect(left.body.entries.map((e: { action: string }) => e.action)).toEqual(["featurestore:Recent"]);
  });
});
