// The CLI's thin commands over the jobs and access-keys APIs, against the
// real routes of the bundled workers: what each prints is what the API
// answered, and the changes are visible through the API afterwards.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOfflineGroup, tempDir } from "../engines/engines";
import { ENDPOINT, native } from "../support";
import { cliEnv, runCli } from "./run-cli";

let work: { path: string; remove: () => void };
beforeAll(() => {
  work = tempDir("fs-cli-admin-");
});
afterAll(() => work?.remove());

const cli = (...args: string[]) => runCli(args, { cwd: work.path });
const jsonFile = (name: string, value: unknown) => {
  const path = join(work.path, name);
  writeFileSync(path, JSON.stringify(value));
  return path;
};

describe("fs jobs", () => {
  it("creates, lists, pauses, resumes, updates and deletes a job, and shows its runs", async () => {
    const group = await createOfflineGroup("cli-jobs", [{ name: "age", type: "Integral" }]);
    const created = await cli("jobs", "create", "--file", jsonFile("job.json", { featureGroup: group, source: { prefix: `landing/${group}/` }, format: "ndjson", mode: "online", schedule: "0 3 * * *" }));
    expect(created.code, created.stderr).toBe(0);
    const id = created.json.id as string;
    expect(created.json).toMatchObject({ featureGroup: group, schedule: "0 3 * * *", enabled: true });

    const listed = await cli("jobs", "list", "--feature-group", group);
    expect(listed.json.jobs.map((j: { id: string }) => j.id)).toEqual([id]);
    expect((await cli("jobs", "pause", id)).json.enabled).toBe(false);
    expect((await cli("jobs", "resume", id)).json.enabled).toBe(true);
    expect((await cli("jobs", "update", id, "--file", jsonFile("change.json", { schedule: "30 4 * * *" }))).json.schedule).toBe("30 4 * * *");

    const run = await cli("jobs", "run", id);
    expect(run.code, run.stderr).toBe(0);
    const runs = await cli("jobs", "runs", id);
    expect(runs.json.runs.map((r: { id: string }) => r.id)).toContain(run.json.id);
    const report = await cli("jobs", "run-report", id, run.json.id);
    expect(report.json).toMatchObject({ id: run.json.id, jobId: id });

    expect((await cli("jobs", "delete", id)).code).toBe(0);
    const gone = await cli("jobs", "get", id);
    expect(gone.code).toBe(4);
    expect(gone.stderr).toContain("resource_not_found");
  });

  it("exits 3 when the API refuses a bad definition, naming the field, and creates nothing", async () => {
    const group = await createOfflineGroup("cli-jobs-bad", [{ name: "age", type: "Integral" }]);
    const res = await cli("jobs", "create", "--file", jsonFile("bad.json", { featureGroup: group, source: { prefix: "x/" }, format: "ndjson", mode: "online", schedule: "every minute" }));
    expect(res.code).toBe(3);
    expect(res.stderr).toContain("schedule");
    expect((await cli("jobs", "list", "--feature-group", group)).json.jobs).toEqual([]);
  });
});

describe("fs access-keys", () => {
  it("creates a key whose secret works once printed, rotates it, and revokes it", async () => {
    const group = await createOfflineGroup("cli-keys", [{ name: "age", type: "Integral" }]);
    const policy = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["sagemaker:DescribeFeatureGroup"], Resource: [`feature-group/${group}`] }] };
    const created = await cli("access-keys", "create", "--file", jsonFile("key.json", { name: "cli reader", policy }));
    expect(created.code, created.stderr).toBe(0);
    const { accessKeyId } = created.json.accessKey as { accessKeyId: string };
    const secret = created.json.secretAccessKey as string;
    const asKey = (id: string, s: string, ...args: string[]) => runCli(args, { cwd: work.path, env: cliEnv({ FS_ENDPOINT: ENDPOINT, FS_ACCESS_KEY_ID: id, FS_SECRET_ACCESS_KEY: s }) });

    expect((await asKey(accessKeyId, secret, "feature-groups", "describe", group)).code).toBe(0);
    // The policy allows nothing but DescribeFeatureGroup.
    const denied = await asKey(accessKeyId, secret, "jobs", "list");
    expect(denied.code).toBe(5);
    expect(denied.stderr).toContain("access_denied");
    expect((await cli("access-keys", "get", accessKeyId)).json).not.toHaveProperty("secretAccessKey");
    expect((await cli("access-keys", "list", "--limit", "100")).stdout).not.toContain(secret);

    const rotated = await cli("access-keys", "rotate", accessKeyId, "--file", jsonFile("rotate.json", { overlapSeconds: 0 }));
    expect(rotated.code, rotated.stderr).toBe(0);
    const next = rotated.json.accessKey.accessKeyId as string;
    expect((await asKey(next, rotated.json.secretAccessKey, "feature-groups", "describe", group)).code).toBe(0);

    expect((await cli("access-keys", "revoke", next)).code).toBe(0);
    const revoked = await asKey(next, rotated.json.secretAccessKey, "feature-groups", "describe", group);
    expect(revoked.code).toBe(5);
  });
});

describe("fs dead-letters", () => {
  it("lists dead letters and replays named ones, reporting ids that name none; refuses conflicting options", async () => {
    const listed = await cli("dead-letters", "list", "--limit", "5");
    expect(listed.code, listed.stderr).toBe(0);
    expect(Array.isArray(listed.json.deadLetters)).toBe(true);

    const replay = await cli("dead-letters", "replay", "--message-id", "no-such-message", "--message-id", "another");
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.json).toMatchObject({ replayed: [], notFound: ["no-such-message", "another"] });

    const conflicting = await cli("dead-letters", "replay", "--message-id", "x", "--limit", "3");
    expect(conflicting.code).toBe(2);
    expect(conflicting.stderr).toContain("--limit cannot be combined with --message-id");
    const refused = await cli("dead-letters", "replay", "--limit", "0");
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain("limit");
  });
});

describe("fs audit", () => {
  it("audits a group's parity, exits 8 on a difference and 3 on a bad option, and lists and shows kept results", async () => {
    const group = await createOfflineGroup("cli-audit", [{ name: "age", type: "Integral" }]);
    expect((await native("PUT", `/feature-groups/${group}/records`, { record: { id: "a1", ts: "2026-01-01T00:00:00Z", age: 1 } })).status).toBe(200);
    // Written to both stores: matching once delivered, pending until then; neither is a difference.
    const clean = await cli("audit", "--group", group);
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.json).toMatchObject({ featureGroup: group, status: "succeeded", differences: 0 });
    expect(clean.json.counts.matching + clean.json.counts.pending).toBe(1);

    expect((await native("PUT", `/feature-groups/${group}/records`, { record: { id: "a2", ts: "2026-01-01T00:00:00Z", age: 2 }, targetStores: ["online"] })).status).toBe(200);
    const found = await cli("audit", "--group", group, "--examples", "1");
    expect(found.code, found.stderr).toBe(8);
    expect(found.json.counts.onlineOnly).toBe(1);
    // a1 may still be in its shard's outbox on a loaded machine: its example is then "pending", not a difference.
    expect(found.json.examples.filter((e: { verdict: string }) => e.verdict !== "pending")).toEqual([expect.objectContaining({ recordIdentifier: "a2", verdict: "onlineOnly" })]);

    const refused = await cli("audit", "--group", group, "--examples", "99");
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain("examples");

    const listed = await cli("audits", "list", "--group", group);
    expect(listed.json.audits.map((a: { id: string }) => a.id)).toEqual([found.json.id, clean.json.id]);
    const shown = await cli("audits", "get", "--group", group, clean.json.id);
    expect(shown.json).toMatchObject({ id: clean.json.id, counts: clean.json.counts });
  });
});
