import { describe, expect, it } from "vitest";
import { createGroup, putRecord } from "../helpers";
import { captureDrain, dataPrefixOf, deliver, groupInfo, manifestFiles, readObject } from "./harness";

/** Hive partition of an instant, computed independently of src/offline/layout.ts. */
function hourPartition(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, "0");
  return `year=${d.getUTCFullYear()}/month=${two(d.getUTCMonth() + 1)}/day=${two(d.getUTCDate())}/hour=${two(d.getUTCHours())}`;
}

describe("offline partitioning", () => {
  it("puts rows into hourly partitions of their event time (UTC), in the manifest and in the object keys", async () => {
    const group = await createGroup({ offline: true, shardCount: 2, features: [{ name: "age", type: "Integral" }] });
    const { generation } = await groupInfo(group);
    const times: Record<string, string> = {
      "last-of-2025": "2025-12-31T23:59:59.999Z",
      "first-of-2026": "2026-01-01T00:00:00Z",
      "end-of-hour": "2026-01-01T00:59:59.999999999Z",
      "next-hour": "2026-01-01T01:00:00Z",
      "leap-day": "2028-02-29T13:30:00Z",
    };
    for (const [id, ts] of Object.entries(times)) expect((await putRecord(group, { id, ts, age: 1 })).status).toBe(200);
    const messages = await captureDrain(group);
    expect((await deliver(messages)).result.retryMessages).toEqual([]);

    const files = await manifestFiles(group);
    expect(files.map((f) => [f.partition, f.row_count])).toEqual([
      ["year=2025/month=12/day=31/hour=23", 1],
      ["year=2026/month=01/day=01/hour=00", 2],
      ["year=2026/month=01/day=01/hour=01", 1],
      ["year=2028/month=02/day=29/hour=13", 1],
    ]);
    const prefix = dataPrefixOf(group, generation);
    for (const file of files) {
      expect(file.key).toMatch(new RegExp(`^${prefix}${file.partition}/[0-9a-f]{32}\\.parquet$`));
      const { rows } = await readObject(file.key);
      for (const row of rows) {
        const ms = Date.parse(times[row.id as string]!);
        expect(hourPartition(ms), `${row.id as string} in ${file.partition}`).toBe(file.partition);
        expect(ms).toBeGreaterThanOrEqual(file.min_event_time);
        expect(Math.floor(ms)).toBeLessThanOrEqual(file.max_event_time);
      }
    }
  });

  it("partitions Fractional (epoch seconds) event times by their UTC hour", async () => {
    const group = await createGroup({ offline: true, shardCount: 1, eventTimeType: "Fractional", features: [{ name: "age", type: "Integral" }] });
    const { generation } = await groupInfo(group);
    const seconds = { before: 1767225599.5, after: 1767225600.25, later: 1767232800 };
    for (const [id, ts] of Object.entries(seconds)) expect((await putRecord(group, { id, ts, age: 1 })).status).toBe(200);
    await deliver(await captureDrain(group));
    const files = await manifestFiles(group);
    expect(files.map((f) => f.partition)).toEqual(["year=2025/month=12/day=31/hour=23", "year=2026/month=01/day=01/hour=00", "year=2026/month=01/day=01/hour=02"]);
    for (const file of files) {
      expect(file.key.startsWith(`${dataPrefixOf(group, generation)}${file.partition}/`)).toBe(true);
      const { rows } = await readObject(file.key);
      expect(rows).toHaveLength(1);
      expect(hourPartition((rows[0]!.ts as number) * 1000)).toBe(file.partition);
      expect(rows[0]!.ts).toBe(seconds[rows[0]!.id as keyof typeof seconds]);
    }
  });
});
