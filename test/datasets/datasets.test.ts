import { describe, expect, it } from "vitest";
import { MAX_SYNC_RESULT_CHARS } from "../../src/records/limits";
import { api, createGroup, putRecord } from "../helpers";
import { settle } from "../offline/support";


const dataset = (body: unknown) => api("POST", "/v1/datasets", body);
/** After every write of these tests (write_time is "now"). */
const FUTURE = "2099-01-01T00:00:00Z";

describe("point-in-time datasets", () => {
  it("takes the newest feature row with event time at or before each entity's timestamp", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    await putRecord(group, { id: "u1", ts: "2026-01-01T00:00:00Z", age: 1 });
    await putRecord(group, { id: "u1", ts: "2026-01-03T00:00:00Z", age: 3 });
    await settle(group, 2);
    const res = await dataset({
      entities: { rows: [{ user: "u1", at: "2026-01-02T00:00:00Z", label: 0 }, { user: "u1", at: "2026-01-04T00:00:00Z", label: 1 }, { user: "u9", at: FUTURE, label: 1 }] },
      timestampColumn: "at",
      featureGroups: [{ name: group, features: ["age"], entityColumn: "user", prefix: "f_" }],
      eventTimeOnly: true,
    });
    expect(res.status).toBe(200);
    expect(res.body.columns).toEqual(["user", "at", "label", "f_age"]);
    expect(res.body.rows).toEqual([
      { user: "u1", at: "2026-01-02T00:00:00Z", label: 0, f_age: 1 },
      { user: "u1", at: "2026-01-04T00:00:00Z", label: 1, f_age: 3 },
      { user: "u9", at: FUTURE, label: 1, f_age: null },
    ]);
  }, 30_000);

  it("refuses a synchronous dataset whose rows pass MAX_SYNC_RESULT_CHARS, naming the rule and the job alternative", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    const city = "c".repeat(300 * 1024);
    await putRecord(group, { id: "u1", ts: "2026-01-01T00:00:00Z", city });
    await settle(group, 1);
    const rows = Array.from({ length: Math.ceil(MAX_SYNC_RESULT_CHARS / city.length) + 1 }, (_, i) => ({ user: "u1", at: FUTURE, n: i }));
    const res = await dataset({ entities: { rows }, timestampColumn: "at", featureGroups: [{ name: group, features: ["city"], entityColumn: "user" }] });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe(`entities: must yield at most ${MAX_SYNC_RESULT_CHARS} characters of JSON rows in a synchronous dataset (these yield more); build it as a job ("async": true)`);
  }, 30_000);

  it("does not leak values written after the entity timestamp unless event-time-only semantics are asked for", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    await putRecord(group, { id: "u1", ts: "2026-01-01T00:00:00Z", age: 1 });
    await settle(group, 1);
    // The row's event time is long past, but it was written now: at 2026-06-01 nobody knew it.
    const body = {
      entities: { rows: [{ user: "u1", at: "2026-06-01T00:00:00Z" }, { user: "u1", at: FUTURE }] },
      timestampColumn: "at",
      featureGroups: [{ name: group, features: ["age"], entityColumn: "user", prefix: "" }],
    };
    expect((await dataset(body)).body.rows.map((r: { age: number | null }) => r.age)).toEqual([null, 1]);
    expect((await dataset({ ...body, eventTimeOnly: true })).body.rows.map((r: { age: number | null }) => r.age)).toEqual([1, 1]);
  }, 30_000);

  it("hides data behind a newer deletion, and shows it when deletions are included", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    await putRecord(group, { id: "u1", ts: "2026-01-01T00:00:00Z", age: 1 });
    await api("DELETE", `/v1/feature-groups/${group}/records/u1?eventTime=2026-01-02T00:00:00Z`);
    await settle(group, 2);
    const body = { entities: { rows: [{ user: "u1", at: FUTURE }] }, timestampColumn: "at", featureGroups: [{ name: group, features: ["age"], entityColumn: "user", prefix: "" }] };
    expect((await dataset(body)).body.rows).toEqual([{ user: "u1", at: FUTURE, age: null }]);
    expect((await dataset({ ...body, includeDeleted: true })).body.rows).toEqual([{ user: "u1", at: FUTURE, age: null, is_deleted: true }]);
  }, 30_000);

  it("joins several groups with their prefixes, from CSV entities to CSV output", async () => {
    const users = await createGroup({ offline: true, shardCount: 1 });
    const items = await createGroup({ offline: true, shardCount: 1, identifierType: "Integral", features: [{ name: "price", type: "Fractional" }] });
    await putRecord(users, { id: "u1", ts: "2026-01-01T00:00:00Z", city: "Oslo, NO" });
    await putRecord(items, { id: 7, ts: "2026-01-01T00:00:00Z", price: 9.5 });
    await settle(users, 1);
    await settle(items, 1);
    const res = await api("POST", "/v1/datasets", {
      entities: { csv: `user,item,at,clicked\nu1,007,${FUTURE},1\nu2,7,${FUTURE},0\n` },
      timestampColumn: "at",
      featureGroups: [
        { name: users, features: ["city"], entityColumn: "user", prefix: "u_" },
        { name: items, features: ["price"], entityColumn: "item", prefix: "i_" },
      ],
      format: "csv",
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/csv");
    expect(res.text).toBe(`user,item,at,clicked,u_city,i_price\nu1,007,${FUTURE},1,"Oslo, NO",9.5\nu2,7,${FUTURE},0,,9.5\n`);
  }, 30_000);

  it("returns the N most recent rows per entity when asked", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    for (const day of [1, 2, 3]) await putRecord(group, { id: "u1", ts: `2026-01-0${day}T00:00:00Z`, age: day });
    await settle(group, 3);
    const res = await dataset({ entities: { rows: [{ user: "u1", at: FUTURE }] }, timestampColumn: "at", featureGroups: [{ name: group, features: ["age"], entityColumn: "user", prefix: "" }], mostRecent: 2, format: "ndjson" });
    expect(res.text.trim().split("\n").map((l) => JSON.parse(l).age)).toEqual([3, 2]);
  }, 30_000);

  it("refuses bad requests with a 400 naming the field", async () => {
    const group = await createGroup({ offline: true });
    const cases: [unknown, string][] = [
      [{ entities: { rows: [{ u: "a", at: "x" }] }, timestampColumn: "at", featureGroups: [{ name: group, entityColumn: "u" }] }, "entities[0].at"],
      [{ entities: { rows: [{ u: {}, at: FUTURE }] }, timestampColumn: "at", featureGroups: [{ name: group, entityColumn: "u" }] }, "entities[0].u"],
      [{ entities: { rows: [{ u: "a", at: FUTURE }] }, timestampColumn: "at", featureGroups: [{ name: group, entityColumn: "u", features: ["nope"] }] }, "featureGroups[0].features"],
      [{ entities: { csv: 'u,at\n"a,1' }, timestampColumn: "at", featureGroups: [{ name: group, entityColumn: "u" }] }, "entities.csv"],
      [{ entities: { rows: [] }, timestampColumn: "at", featureGroups: [{ name: group, entityColumn: "u" }] }, "entities.rows"],
      [{ entities: { rows: [{ u: "a", at: FUTURE, age: 1 }] }, timestampColumn: "at", featureGroups: [{ name: group, entityColumn: "u", features: ["age"], prefix: "" }] }, "featureGroups[0].prefix"],
    ];
    for (const [body, field] of cases) {
      const res = await dataset(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.field).toBe(field);
    }
  });

  it("names the accepted entity shapes, or the member's own rule once the shape is recognised", async () => {
    const group = await createGroup({ offline: true });
    const request = (entities: unknown) => ({ entities, timestampColumn: "at", featureGroups: [{ name: group, entityColumn: "u" }] });
    const asArray = await dataset(request([{ u: "a", at: FUTURE }]));
    expect(asArray.status).toBe(400);
    expect(asArray.body.error).toMatchObject({ field: "entities", message: expect.stringContaining('exactly one of "rows"') });
    const both = await dataset(request({ rows: [{ u: "a", at: FUTURE }], csv: "u,at" }));
    expect(both.body.error).toMatchObject({ field: "entities", message: expect.stringContaining('"csv" (CSV text)') });
    const rowsNotArray = await dataset(request({ rows: "u,at" }));
    expect(rowsNotArray.status).toBe(400);
    expect(rowsNotArray.body.error).toMatchObject({ field: "entities.rows", message: expect.stringContaining("expected array") });
    const badUpload = await dataset(request({ object: "../x.csv" }));
    expect(badUpload.status).toBe(400);
    expect(badUpload.body.error.field).toBe("entities.object");
  });
});

describe("point-in-time SQL for external engines", () => {
  it("generates the same join for DuckDB over the manifest's files and for Athena and Spark over the tables", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    await putRecord(group, { id: "u1", ts: "2026-01-01T00:00:00Z", age: 1 });
    await settle(group, 1);
    const files = (await api("GET", `/v1/feature-groups/${group}/offline-store`)).body.files as { uri: string }[];
    const res = await api("POST", "/v1/datasets/sql", {
      timestampColumn: "at",
      entityColumns: ["user", "at", "label"],
      featureGroups: [{ name: group, features: ["age"], entityColumn: "user", prefix: "f_", lookback: { unit: "Days", value: 30 } }],
    });
    expect(res.status).toBe(200);
    expect(res.body.duckdb).toContain(`read_parquet(['${files[0]!.uri}']`);
    expect(res.body.duckdb).toContain("COALESCE(r.available_time, r.write_time) <=");
    expect(res.body.duckdb).toContain("COALESCE(r.write_sequence, epoch_ms(r.write_time) * 1000) DESC");
    expect(res.body.knowledgeCheck.duckdb).toContain("rows_with_excluded_versions");
    expect(res.body.duckdb).toContain(`AS "f_age"`);
    expect(res.body.athena).toContain(`JOIN "${group.replaceAll("-", "_")}" r`);
    expect(res.body.athena).toContain("from_iso8601_timestamp");
    expect(res.body.spark).toContain("to_timestamp");
    expect(res.body.spark).toContain("make_interval(0, 0, 0, 0, 0, 0, 2592000)");
    const eventOnly = await api("POST", "/v1/datasets/sql", { timestampColumn: "at", entityColumns: ["user", "at"], eventTimeOnly: true, featureGroups: [{ name: group, entityColumn: "user" }] });
    expect(eventOnly.body.duckdb).not.toContain("write_time) <=");
    const bad = await api("POST", "/v1/datasets/sql", { timestampColumn: "at", featureGroups: [{ name: group, entityColumn: "user" }] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe("entityColumns");
  }, 30_000);
});

describe("dataset formats", () => {
  it("returns Parquet and Arrow IPC with declared feature types and inferred label types", async () => {
    const { exports } = await import("cloudflare:workers");
    const { decodeParquet } = await import("../../src/offline/parquet");
    const { tableFromIPC } = await import("apache-arrow");
    const { ROOT_AUTH } = await import("../helpers");
    const group = await createGroup({ offline: true, shardCount: 1 });
    await putRecord(group, { id: "u1", ts: "2026-01-01T00:00:00Z", age: "9223372036854775807", score: 0.5 });
    await settle(group, 1);
    const request = (format: string) =>
      exports.default.fetch("http://fs.test/v1/datasets", {
        method: "POST",
        headers: { authorization: ROOT_AUTH },
        body: JSON.stringify({ entities: { rows: [{ user: "u1", at: FUTURE, label: 1 }, { user: "u2", at: FUTURE, label: 0 }] }, timestampColumn: "at", featureGroups: [{ name: group, features: ["age", "score"], entityColumn: "user", prefix: "" }], eventTimeOnly: true, format }),
      });
    const parquet = await request("parquet");
    expect(parquet.headers.get("content-type")).toBe("application/vnd.apache.parquet");
    const table = decodeParquet(new Uint8Array(await parquet.arrayBuffer()));
    expect(table.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(["user:Utf8", "at:Utf8", "label:Int64", "age:Int64", "score:Float64"]);
    expect(table.getChild("age")!.get(0)).toBe(9223372036854775807n);
    expect(table.getChild("age")!.get(1)).toBeNull();
    const arrow = tableFromIPC(new Uint8Array(await (await request("arrow")).arrayBuffer()));
    expect(arrow.numRows).toBe(2);
    expect(arrow.getChild("score")!.get(0)).toBe(0.5);
  }, 30_000);
});
