import { describe, expect, it } from "vitest";
import { api, at, createGroup, putRecord } from "../helpers";
import { drainShards, offlineRows, waitForOfflineRows } from "./support";

describe("offline store pipeline", () => {
  it("lands every kind of write exactly once as Parquet rows", async () => {
    const group = await createGroup({ offline: true, shardCount: 2 });
    await putRecord(group, { id: "u1", ts: at(10), age: 1 });
    await putRecord(group, { id: "u1", ts: at(5), age: 0 }); // older: offline only
    await putRecord(group, { id: "u2", ts: at(10), age: 2 }, { targetStores: ["offline"] });
    await api("DELETE", `/v1/feature-groups/${group}/records/u1?eventTime=${at(20)}`);
    await drainShards(group);
    const files = await waitForOfflineRows(group, 4);
    expect(files.reduce((n, f) => n + f.row_count, 0)).toBe(4);
    const rows = await offlineRows(group);
    const summary = rows.map((r) => [r.id, r.ts, r.age === null ? null : Number(r.age), r.is_deleted]).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    expect(summary).toEqual([
      ["u1", at(5), 0, false],
      ["u1", at(10), 1, false],
      ["u1", at(20), null, true],
      ["u2", at(10), 2, false],
    ]);
  }, 30_000);
});
