import { describe, expect, it } from "vitest";
import { api, at, createGroup, getRecord, putRecord } from "../helpers";

describe("ListRecords", () => {
  it("pages through every identifier across shards exactly once", async () => {
    const group = await createGroup({ shardCount: 4 });
    const ids = Array.from({ length: 23 }, (_, i) => `id-${String(i).padStart(2, "0")}`);
    for (const id of ids) await putRecord(group, { id, ts: at(0) });
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const res = await api("GET", `/v1/feature-groups/${group}/records?limit=5${token ? `&nextToken=${encodeURIComponent(token)}` : ""}`);
      expect(res.status).toBe(200);
      expect(res.body.recordIdentifiers.length).toBeLessThanOrEqual(5);
      seen.push(...res.body.recordIdentifiers);
      token = res.body.nextToken;
      pages += 1;
    } while (token && pages < 20);
    expect([...seen].sort()).toEqual(ids);
    expect(new Set(seen).size).toBe(ids.length);
  });

  it("lists soft-deleted identifiers only when asked", async () => {
    const group = await createGroup({ shardCount: 1 });
    await putRecord(group, { id: "a", ts: at(0) });
    await putRecord(group, { id: "b", ts: at(0) });
    await api("DELETE", `/v1/feature-groups/${group}/records/b?eventTime=${at(1)}`);
    expect((await api("GET", `/v1/feature-groups/${group}/records`)).body.recordIdentifiers).toEqual(["a"]);
    expect((await api("GET", `/v1/feature-groups/${group}/records?includeSoftDeleted=true`)).body.recordIdentifiers).toEqual(["a", "b"]);
  });

  it("refuses a forged page token", async () => {
    const group = await createGroup();
    const res = await api("GET", `/v1/feature-groups/${group}/records?nextToken=bm9wZQ`);
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe("nextToken");
  });
});

describe("UpdateRecord", () => {
  it("merges the given features into the stored record", async () => {
    const group = await createGroup();
    await putRecord(group, { id: "u1", ts: at(5), age: 1, city: "Oslo" });
    const res = await api("PATCH", `/v1/feature-groups/${group}/records/u1`, { features: { age: 2 } });
    expect(res.status).toBe(200);
    expect((await getRecord(group, "u1")).body.record).toEqual({ id: "u1", ts: at(5), age: 2, city: "Oslo" });
  });

  it("refuses an update carrying an older event time with 409, changing nothing", async () => {
    const group = await createGroup();
    await putRecord(group, { id: "u1", ts: at(5), age: 1 });
    const res = await api("PATCH", `/v1/feature-groups/${group}/records/u1`, { features: { ts: at(4), age: 9 } });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("update_older_event_time");
    expect((await getRecord(group, "u1")).body.record.age).toBe(1);
  });

  it("answers 404 when there is no record to update", async () => {
    const group = await createGroup();
    const res = await api("PATCH", `/v1/feature-groups/${group}/records/ghost`, { features: { age: 9 } });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("record_not_found");
  });

  it("validates the features it changes", async () => {
    const group = await createGroup();
    await putRecord(group, { id: "u1", ts: at(5), age: 1 });
    const bad = await api("PATCH", `/v1/feature-groups/${group}/records/u1`, { features: { age: "old" } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe("features.age");
    const other = await api("PATCH", `/v1/feature-groups/${group}/records/u1`, { features: { id: "u2" } });
    expect(other.status).toBe(400);
    expect(other.body.error.field).toBe("features.id");
  });
});
