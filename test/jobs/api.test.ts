import { describe, expect, it } from "vitest";
import { api, createGroup } from "../helpers";
import { createJob } from "./support";

const ingestJob = (group: string, extra: Record<string, unknown> = {}) => ({
  featureGroup: group,
  source: { prefix: `landing/${group}/` },
  format: "ndjson",
  mode: "online",
  schedule: "*/5 * * * *",
  ...extra,
});

describe("job definitions", () => {
  it("creates a job with its next run time, and lists and describes it", async () => {
    const group = await createGroup();
    const before = Date.now();
    const res = await api("POST", "/v1/jobs", ingestJob(group, { description: "hourly drop" }));
    expect(res.status).toBe(201);
    expect(res.headers.get("location")).toBe(`/v1/jobs/${res.body.id}`);
    expect(res.body).toMatchObject({
      kind: "ingest",
      featureGroup: group,
      source: { bucket: "INGEST_BUCKET", prefix: `landing/${group}/` },
      format: "ndjson",
      mode: "online",
      schedule: "*/5 * * * *",
      enabled: true,
      status: "enabled",
      activeRunId: null,
      description: "hourly drop",
    });
    const nextRun = Date.parse(res.body.nextRunAt);
    expect(nextRun).toBeGreaterThan(before);
    expect(nextRun).toBeLessThanOrEqual(before + 5 * 60_000);
    expect(new Date(nextRun).getUTCMinutes() % 5).toBe(0);

    expect((await api("GET", `/v1/jobs/${res.body.id}`)).body).toEqual(res.body);
    const listed = await api("GET", `/v1/jobs?featureGroup=${group}`);
    expect(listed.body.jobs.map((j: { id: string }) => j.id)).toEqual([res.body.id]);
  });

  it("refuses a bad cron expression, an unknown group, a bad mode or format, naming the field, and creates nothing", async () => {
    const group = await createGroup();
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [ingestJob(group, { schedule: "every minute" }), "schedule", /five fields/],
      [ingestJob(group, { schedule: "0 25 * * *" }), "schedule", /hour field "25"/],
      [ingestJob("no-such-group"), "featureGroup", /names no feature group/],
      [ingestJob(group, { mode: "sideways" }), "mode", /online|offline|both/],
      [ingestJob(group, { mode: "offline" }), "mode", /has none/], // the group has no offline store
      [ingestJob(group, { format: "xlsx" }), "format", /parquet|csv|ndjson/],
      [{ ...ingestJob(group), source: undefined }, "source.prefix", /is required/],
      [ingestJob(group, { source: { prefix: "" } }), "source.prefix", /must not be empty/],
      [ingestJob(group, { kind: "teleport" }), "kind", /ingest|materialize/],
      [{ kind: "materialize", featureGroup: group }, "featureGroup", /both an online and an offline store/],
    ];
    for (const [body, field, rule] of cases) {
      const res = await api("POST", "/v1/jobs", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.field).toBe(field);
      expect(res.body.error.message).toMatch(rule);
    }
    expect((await api("POST", "/v1/jobs", "{not json")).status).toBe(400);
    expect((await api("GET", `/v1/jobs?featureGroup=${group}`)).body.jobs).toEqual([]);
  });

  it("updates a job: PATCH merges, PUT replaces, and bad updates change nothing", async () => {
    const group = await createGroup({ offline: true });
    const job = await createJob(ingestJob(group));
    const patched = await api("PATCH", `/v1/jobs/${job.id}`, { schedule: "0 * * * *", mode: "both" });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ schedule: "0 * * * *", mode: "both", format: "ndjson" });
    expect(new Date(patched.body.nextRunAt).getUTCMinutes()).toBe(0);

    const bad = await api("PATCH", `/v1/jobs/${job.id}`, { schedule: "* * *" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe("schedule");
    expect((await api("PATCH", `/v1/jobs/${job.id}`, { kind: "materialize" })).body.error.field).toBe("source");
    expect((await api("GET", `/v1/jobs/${job.id}`)).body.schedule).toBe("0 * * * *");

    const replaced = await api("PUT", `/v1/jobs/${job.id}`, { featureGroup: group, source: { prefix: "other/" }, format: "csv", mode: "offline" });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ source: { prefix: "other/" }, format: "csv", mode: "offline", schedule: null, nextRunAt: null });
  });

  it("pauses and resumes: a paused job has no next run", async () => {
    const group = await createGroup();
    const job = await createJob(ingestJob(group));
    const paused = await api("POST", `/v1/jobs/${job.id}/pause`);
    expect(paused.body).toMatchObject({ enabled: false, status: "paused", nextRunAt: null });
    const resumed = await api("POST", `/v1/jobs/${job.id}/resume`);
    expect(resumed.body).toMatchObject({ enabled: true, status: "enabled" });
    expect(Date.parse(resumed.body.nextRunAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  it("deletes a job; unknown jobs and runs are 404", async () => {
    const group = await createGroup();
    const job = await createJob(ingestJob(group));
    expect((await api("DELETE", `/v1/jobs/${job.id}`)).status).toBe(204);
    for (const [method, path] of [
      ["GET", `/v1/jobs/${job.id}`],
      ["DELETE", `/v1/jobs/${job.id}`],
      ["POST", `/v1/jobs/${job.id}/run`],
      ["POST", `/v1/jobs/${job.id}/pause`],
      ["GET", `/v1/jobs/${job.id}/runs`],
    ] as const) {
      const res = await api(method, path);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error.code).toBe("resource_not_found");
    }
    const other = await createJob(ingestJob(group));
    expect((await api("GET", `/v1/jobs/${other.id}/runs/nope`)).status).toBe(404);
  });

  it("needs credentials", async () => {
    expect((await api("GET", "/v1/jobs", undefined, { authorization: "Bearer nobody:nothing" })).status).toBe(401);
  });
});
