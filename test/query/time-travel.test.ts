import { describe, expect, it } from "vitest";
import { MAX_AS_OF_LIMIT } from "../../src/records/limits";
import { api, createGroup, putRecord } from "../helpers";
import { settle } from "../offline/support";


const asOf = (group: string, query: string) => api("GET", `/v1/feature-groups/${group}/as-of?${query}`);

describe("as-of snapshots", () => {
  it("returns the latest record per identifier with event time at most E", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    await putRecord(group, { id: "a", ts: "2026-01-01T00:00:00Z", age: 1 });
    await putRecord(group, { id: "a", ts: "2026-01-02T00:00:00Z", age: 2 });
    await putRecord(group, { id: "b", ts: "2026-01-03T00:00:00Z", age: 3 });
    await settle(group, 3);
    const jan1 = await asOf(group, "eventTime=2026-01-01T12:00:00Z");
    expect(jan1.status).toBe(200);
    expect(jan1.body.records.map((r: { record: unknown }) => r.record)).toEqual([{ id: "a", ts: "2026-01-01T00:00:00Z", age: 1 }]);
    const later = await asOf(group, "eventTime=2026-01-05T00:00:00Z&features=age");
    expect(later.body.records.map((r: { recordIdentifier: string; record: unknown }) => [r.recordIdentifier, r.record])).toEqual([
      ["a", { age: 2 }],
      ["b", { age: 3 }],
    ]);
  }, 30_000);

  it("excludes a record whose latest version is a deletion, and shows it before the deletion", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    await putRecord(group, { id: "a", ts: "2026-01-01T00:00:00Z", age: 1 });
    await api("DELETE", `/v1/feature-groups/${group}/records/a?eventTime=2026-01-02T00:00:00Z`);
    await settle(group, 2);
    expect((await asOf(group, "eventTime=2026-01-03T00:00:00Z")).body.records).toEqual([]);
    expect((await asOf(group, "eventTime=2026-01-01T06:00:00Z")).body.records).toHaveLength(1);
  }, 30_000);

  it("does not see what was written after knownAt, even for old event times (no leakage from backfills)", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    await putRecord(group, { id: "a", ts: "2026-01-01T00:00:00Z", age: 1 });
    await settle(group, 1);
    const knownAt = new Date(Date.now() + 5).toISOString();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await putRecord(group, { id: "a", ts: "2026-01-01T00:00:00Z", age: 99 }); // a backfill correcting the same event time
    await settle(group, 2);
    const before = await asOf(group, `eventTime=2026-01-02T00:00:00Z&knownAt=${knownAt}`);
    expect(before.body.records[0].record.age).toBe(1);
    const now = await asOf(group, "eventTime=2026-01-02T00:00:00Z");
    expect(now.body.records[0].record.age).toBe(99);
  }, 30_000);

  it("reads only the files whose event-time range can match", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    for (let day = 1; day <= 5; day++) await putRecord(group, { id: `d${day}`, ts: `2026-01-0${day}T00:00:00Z`, age: day });
    await settle(group, 5);
    const res = await asOf(group, "eventTime=2026-01-01T23:00:00Z");
    expect(res.body.stats).toMatchObject({ filesInManifest: 5, filesRead: 1 });
    expect(res.body.records.map((r: { recordIdentifier: string }) => r.recordIdentifier)).toEqual(["d1"]);
  }, 30_000);

  it("pages through a snapshot with limit and after", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    for (const id of ["a", "b", "c"]) await putRecord(group, { id, ts: "2026-01-01T00:00:00Z" });
    await settle(group, 3);
    const first = await asOf(group, "limit=2");
    expect(first.body.records.map((r: { recordIdentifier: string }) => r.recordIdentifier)).toEqual(["a", "b"]);
    const second = await asOf(group, `limit=2&after=${first.body.nextAfter}`);
    expect(second.body.records.map((r: { recordIdentifier: string }) => r.recordIdentifier)).toEqual(["c"]);
    expect(second.body.nextAfter).toBeUndefined();
  }, 30_000);

  it("pages through every live record exactly once when tombstones and later versions are spread over the pages", async () => {
    const group = await createGroup({ offline: true, shardCount: 2 });
    const ids = Array.from({ length: 12 }, (_, i) => `k${String(i).padStart(2, "0")}`);
    for (const id of ids) await putRecord(group, { id, ts: "2026-01-01T00:00:00Z", age: 1 });
    await settle(group, ids.length);
    // A second wave: newer versions of some, deletions of others, in another file.
    for (const [i, id] of ids.entries()) {
      if (i % 3 === 0) await api("DELETE", `/v1/feature-groups/${group}/records/${id}?eventTime=2026-01-02T00:00:00Z`);
      else if (i % 3 === 1) await putRecord(group, { id, ts: "2026-01-02T00:00:00Z", age: 2 });
    }
    await settle(group, ids.length + 8);
    const seen: [string, unknown][] = [];
    let after: string | undefined;
    for (let round = 0; round < 20; round++) {
      const page = await asOf(group, `limit=3${after ? `&after=${after}` : ""}`);
      expect(page.body.records.length).toBeLessThanOrEqual(3);
      seen.push(...page.body.records.map((r: { recordIdentifier: string; record: { age: number } }): [string, unknown] => [r.recordIdentifier, r.record.age]));
      after = page.body.nextAfter;
      if (after === undefined) break;
    }
    expect(seen).toEqual(ids.flatMap((id, i) => (i % 3 === 0 ? [] : [[id, i % 3 === 1 ? 2 : 1]])));
  }, 60_000);

  it("refuses bad parameters with a 400 naming them", async () => {
    const group = await createGroup({ offline: true });
    for (const [query, field] of [["eventTime=yesterday", "eventTime"], ["knownAt=soon", "knownAt"], ["features=nope", "features"], ["limit=0", "limit"], [`limit=${MAX_AS_OF_LIMIT + 1}`, "limit"]]) {
      const res = await asOf(group, query!);
      expect(res.status).toBe(400);
      expect(res.body.error.field).toBe(field);
    }
    const online = await createGroup();
    expect((await asOf(online, "")).status).toBe(400);
  });
});

describe("record history", () => {
  it("lists every version of one identifier with write times and deletions, in order", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    await putRecord(group, { id: "a", ts: "2026-01-02T00:00:00Z", age: 2 });
    await putRecord(group, { id: "a", ts: "2026-01-01T00:00:00Z", age: 1 }); // late arrival
    await putRecord(group, { id: "b", ts: "2026-01-01T00:00:00Z", age: 7 });
    await api("DELETE", `/v1/feature-groups/${group}/records/a?eventTime=2026-01-03T00:00:00Z`);
    await settle(group, 4);
    const res = await api("GET", `/v1/feature-groups/${group}/records/a/history`);
    expect(res.status).toBe(200);
    expect(res.body.versions.map((v: { record: { ts: string; age?: number }; isDeleted: boolean }) => [v.record.ts, v.record.age ?? null, v.isDeleted])).toEqual([
      ["2026-01-01T00:00:00Z", 1, false],
      ["2026-01-02T00:00:00Z", 2, false],
      ["2026-01-03T00:00:00Z", null, true],
    ]);
    for (const v of res.body.versions) expect(Date.parse(v.writeTime)).toBeGreaterThan(0);
    const ranged = await api("GET", `/v1/feature-groups/${group}/records/a/history?from=2026-01-01T12:00:00Z&to=2026-01-02T12:00:00Z`);
    expect(ranged.body.versions).toHaveLength(1);
  }, 30_000);
});
