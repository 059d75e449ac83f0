import { describe, expect, it } from "vitest";
import { api, createGroup, putRecord } from "../helpers";
import { land, ndjson } from "../jobs/support";
import { offlineRows, settle } from "../offline/support";

/**
 * Knowledge time (available_time, docs/time-travel.md): when each row became
 * available to a model, declared by the path that wrote it, and the default
 * leak-free rule of datasets.
 */
const dataset = (body: unknown) => api("POST", "/v1/datasets", body);
const bulk = (group: string, query: string, rows: Record<string, unknown>[]) =>
  api("POST", `/v1/feature-groups/${group}/records/batch${query}`, rows.map((r) => JSON.stringify(r)).join("\n"), { "content-type": "application/x-ndjson" });
const JAN = "2026-01-01T00:00:00Z";

describe("knowledge time", () => {
  it("keeps a live put of an old event time out of entity rows before it was accepted, and counts the rows it emptied", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    const before = new Date(Date.now() - 60_000).toISOString();
    await putRecord(group, { id: "u1", ts: JAN, age: 1 });
    await settle(group, 1);
    const after = new Date(Date.now() + 60_000).toISOString();
    const body = {
      entities: { rows: [{ user: "u1", at: before }, { user: "u1", at: after }, { user: "u2", at: after }] },
      timestampColumn: "at",
      featureGroups: [{ name: group, features: ["age"], entityColumn: "user", prefix: "" }],
    };
    const res = await dataset(body);
    expect(res.body.rows.map((r: { age: number | null }) => r.age)).toEqual([null, 1, null]);
    expect(res.body.knowledgeTime).toEqual({ rowsWithExcludedVersions: 1, rowsEmptied: 1 });
    expect(res.body.warnings).toHaveLength(1);
    expect(res.body.warnings[0]).toContain("1 entity row(s)");
    // Other formats carry the same in headers.
    const csv = await dataset({ ...body, format: "csv" });
    expect(csv.headers.get("x-knowledge-excluded-rows")).toBe("1");
    expect(csv.headers.get("x-knowledge-emptied-rows")).toBe("1");
    expect(csv.headers.get("x-dataset-warning")).toContain("1 entity row(s)");
    const eventOnly = await dataset({ ...body, eventTimeOnly: true });
    expect(eventOnly.body.rows.map((r: { age: number | null }) => r.age)).toEqual([1, 1, null]);
    expect(eventOnly.body.knowledgeTime).toEqual({ rowsWithExcludedVersions: 0, rowsEmptied: 0 });
    expect(eventOnly.body.warnings).toEqual([]);
    // as-of at the same instant by knowledge time agrees with the dataset row.
    const asOf = await api("GET", `/v1/feature-groups/${group}/as-of?eventTime=${before}&availableAt=${before}`);
    expect(asOf.body.records).toEqual([]);
    expect((await api("GET", `/v1/feature-groups/${group}/as-of?eventTime=${before}`)).body.records).toHaveLength(1);
  }, 30_000);

  it("lets a bulk write declare its rows known at their event time, plus a delay", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    expect((await bulk(group, "?targetStores=offline&availableFrom=eventTime&availableDelay=2h", [{ id: "h1", ts: JAN, age: 7 }])).status).toBe(200);
    const [row] = await offlineRows(group);
    expect(new Date(row!.available_time as number).toISOString()).toBe("2026-01-01T02:00:00.000Z");
    const at = (iso: string) => ({ entities: { rows: [{ user: "h1", at: iso }] }, timestampColumn: "at", featureGroups: [{ name: group, features: ["age"], entityColumn: "user", prefix: "" }] });
    expect((await dataset(at("2026-01-01T01:59:59Z"))).body.rows[0].age).toBeNull();
    expect((await dataset(at("2026-01-01T02:00:00Z"))).body.rows[0].age).toBe(7);
  }, 30_000);

  it("refuses availability parameters that are malformed or apply to no offline row, naming the field", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    const row = [{ id: "x", ts: JAN, age: 1 }];
    for (const [query, field] of [
      ["?availableFrom=later", "availableFrom"],
      ["?availableFrom=eventTime&availableDelay=soon", "availableDelay"],
      ["?availableFrom=eventTime&availableDelay=400d", "availableDelay"],
      ["?availableFrom=accepted&availableDelay=1h", "availableDelay"],
      ["?availableDelay=1h", "availableDelay"],
      ["?targetStores=online&availableFrom=eventTime", "availableFrom"],
    ] as const) {
      const res = await bulk(group, query, row);
      expect(res.status, query).toBe(400);
      expect(res.body.error.field, query).toBe(field);
    }
    expect((await api("GET", `/v1/feature-groups/${group}/as-of?availableAt=tomorrow`)).body.error.field).toBe("availableAt");
  });

  it("lets an ingest job declare availability, shows it, and refuses it where no offline row is written", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    const base = { featureGroup: group, source: { prefix: "landing/" }, format: "ndjson", schedule: null };
    const created = await api("POST", "/v1/jobs", { ...base, mode: "both", availability: { from: "eventTime", delay: { unit: "Hours", value: 2 } } });
    expect(created.status, created.text).toBe(201);
    expect(created.body.availability).toEqual({ from: "eventTime", delay: { unit: "Seconds", value: 7200 } });
    expect((await api("GET", `/v1/jobs/${created.body.id}`)).body.availability).toEqual({ from: "eventTime", delay: { unit: "Seconds", value: 7200 } });
    // A run writes the landed history with it: known two hours after each event time.
    await land("landing/history.ndjson", ndjson([{ id: "j1", ts: JAN, age: 3 }]));
    const run = await api("POST", `/v1/jobs/${created.body.id}/run`);
    expect(run.body, run.text).toMatchObject({ status: "succeeded", rows: { written: 1 } });
    const [row] = await offlineRows(group);
    expect(new Date(row!.available_time as number).toISOString()).toBe("2026-01-01T02:00:00.000Z");
    for (const [body, field] of [
      [{ ...base, mode: "online", availability: { from: "eventTime" } }, "availability"],
      [{ ...base, mode: "both", availability: { from: "later" } }, "availability.from"],
      [{ ...base, mode: "both", availability: { from: "accepted", delay: { unit: "Hours", value: 1 } } }, "availability.delay"],
      [{ ...base, mode: "both", availability: { from: "eventTime", delay: { unit: "Days", value: 400 } } }, "availability.delay"],
      [{ featureGroup: group, kind: "materialize", availability: { from: "eventTime" } }, "availability"],
    ] as const) {
      const res = await api("POST", "/v1/jobs", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.field, JSON.stringify(body)).toBe(field);
    }
  });
});
