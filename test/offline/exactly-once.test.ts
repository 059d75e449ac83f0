import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, at, createGroup, putRecord } from "../helpers";
import { groupInfo, isUtcMillisTimestamp, readObject, registeredBatchIds, confirmOutbox, shardStub, waitForManifestRows, type PlainRow } from "./harness";

const FEATURES = [
  { name: "age", type: "Integral" },
  { name: "score", type: "Fractional" },
  { name: "city", type: "String" },
];

const ms = (iso: string) => Date.parse(iso);

describe("offline store: every kind of write lands exactly once", () => {
  it("writes one row per put, offline-only put, older put, soft and hard delete, update and TTL expiry, with the right values and times", async () => {
    const group = await createGroup({ offline: true, shardCount: 1, features: FEATURES });
    const { generation } = await groupInfo(group);
    const started = Date.now();

    // TTL first, so its second passes while the other writes happen. Its event time is now, so it expires in one second.
    const ttlEventTime = new Date().toISOString();
    const ttlPut = await putRecord(group, { id: "ttl", ts: ttlEventTime, age: 7 }, { ttl: { unit: "Seconds", value: 1 } });
    expect(ttlPut.status).toBe(200);
    const expiresAt = ttlPut.body.expiresAt as string;
    expect(ms(expiresAt)).toBe(ms(ttlEventTime) + 1000);

    expect((await putRecord(group, { id: "both", ts: at(100), age: 1, score: 1.5, city: "Oslo" })).body).toMatchObject({ online: "written", offline: "queued" });
    expect((await putRecord(group, { id: "offline-only", ts: at(100), age: 2 }, { targetStores: ["offline"] })).status).toBe(200);
    expect((await putRecord(group, { id: "both", ts: at(50), age: 0, city: "Bergen" })).status).toBe(200); // older: offline only
    expect((await putRecord(group, { id: "soft", ts: at(100), age: 3 })).status).toBe(200);
    expect((await api("DELETE", `/v1/feature-groups/${group}/records/soft?eventTime=${at(200)}`)).status).toBe(200);
    expect((await putRecord(group, { id: "hard", ts: at(100), age: 4 })).status).toBe(200);
    expect((await api("DELETE", `/v1/feature-groups/${group}/records/hard?eventTime=${at(200)}&mode=hard`)).status).toBe(200);
    expect((await putRecord(group, { id: "upd", ts: at(100), age: 5, city: "Rome" })).status).toBe(200);
    expect((await api("PATCH", `/v1/feature-groups/${group}/records/upd`, { features: { age: 6 } })).status).toBe(200);

    // The online store saw the older put as older, the update merged.
    expect((await api("GET", `/v1/feature-groups/${group}/records/both`)).body.record).toMatchObject({ age: 1, city: "Oslo" });
    expect((await api("GET", `/v1/feature-groups/${group}/records/upd`)).body.record).toMatchObject({ age: 6, city: "Rome" });

    // Past the expiry: the shard's alarm sweeps it (it may already have fired on its own) and drains through the real queue.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, ms(expiresAt) + 50 - Date.now())));
    const stub = shardStub(generation, 0);
    await runDurableObjectAlarm(stub);
    expect((await api("GET", `/v1/feature-groups/${group}/records/ttl`)).status).toBe(404);

    const expected = 11;
    const files = await waitForManifestRows(group, expected);
    const sweptBy = Date.now();
    expect(files.reduce((n, f) => n + f.row_count, 0)).toBe(expected);
    expect((await confirmOutbox(stub))?.rows).toBe(0);
    // Every row came from a registered batch, and those batches hold exactly these rows.
    expect((await registeredBatchIds(generation)).reduce((n, b) => n + b.row_count, 0)).toBe(expected);

    const rows: PlainRow[] = [];
    for (const file of files) {
      const decoded = await readObject(file.key);
      for (const column of ["write_time", "api_invocation_time"]) expect(isUtcMillisTimestamp(decoded.table, column), `${column} is a UTC ms timestamp`).toBe(true);
      rows.push(...decoded.rows);
    }
    const byId = (id: string) =>
      rows
        .filter((r) => r.id === id)
        .map(({ id: _id, write_time: _w, api_invocation_time: _a, write_sequence: _s, available_time: _k, ...rest }) => rest)
        .sort((a, b) => String(a.ts).localeCompare(String(b.ts)));

    expect(byId("both")).toEqual([
      { ts: at(50), age: 0, score: null, city: "Bergen", is_deleted: false },
      { ts: at(100), age: 1, score: 1.5, city: "Oslo", is_deleted: false },
    ]);
    expect(byId("offline-only")).toEqual([{ ts: at(100), age: 2, score: null, city: null, is_deleted: false }]);
    expect(byId("soft")).toEqual([
      { ts: at(100), age: 3, score: null, city: null, is_deleted: false },
      { ts: at(200), age: null, score: null, city: null, is_deleted: true },
    ]);
    expect(byId("hard")).toEqual([
      { ts: at(100), age: 4, score: null, city: null, is_deleted: false },
      { ts: at(200), age: null, score: null, city: null, is_deleted: true },
    ]);
    // The update's row is the merged record, at the stored event time.
    expect(byId("upd")).toEqual([
      { ts: at(100), age: 5, score: null, city: "Rome", is_deleted: false },
      { ts: at(100), age: 6, score: null, city: "Rome", is_deleted: false },
    ]);
    // The expiry row: identifier and the expiry instant only.
    expect(byId("ttl")).toEqual([
      { ts: ttlEventTime, age: 7, score: null, city: null, is_deleted: false },
      { ts: expiresAt, age: null, score: null, city: null, is_deleted: true },
    ]);
    expect(rows).toHaveLength(expected);

    for (const row of rows) {
      const invocation = row.api_invocation_time as number;
      const write = row.write_time as number;
      expect(typeof invocation).toBe("number");
      expect(invocation).toBeGreaterThanOrEqual(started);
      expect(write).toBeGreaterThanOrEqual(invocation);
      expect(write).toBeLessThanOrEqual(sweptBy);
    }
    // The shard stamped every write in the order it accepted them, and each became known when accepted.
    // (The expiry row is left out: the alarm may sweep before the last writes under load.)
    const bySequence = [...rows].sort((x, y) => Number(x.write_sequence) - Number(y.write_sequence)).map((r) => `${r.id}@${r.ts}${r.is_deleted ? " deleted" : ""}`);
    expect(bySequence.indexOf(`ttl@${expiresAt} deleted`)).toBeGreaterThan(bySequence.indexOf(`ttl@${ttlEventTime}`));
    expect(bySequence.filter((r) => r !== `ttl@${expiresAt} deleted`)).toEqual([
      `ttl@${ttlEventTime}`,
      `both@${at(100)}`,
      `offline-only@${at(100)}`,
      `both@${at(50)}`,
      `soft@${at(100)}`,
      `soft@${at(200)} deleted`,
      `hard@${at(100)}`,
      `hard@${at(200)} deleted`,
      `upd@${at(100)}`,
      `upd@${at(100)}`,
    ]);
    for (const row of rows) {
      const available = row.available_time as number;
      expect(available).toBeGreaterThanOrEqual(row.api_invocation_time as number);
      expect(available).toBeLessThanOrEqual(row.write_time as number);
      expect(Math.floor(Number(row.write_sequence) / 1000)).toBeGreaterThanOrEqual(available);
    }
    // The expiry is recorded when the sweep ran, which is after the record expired.
    const expiryRow = rows.find((r) => r.id === "ttl" && r.is_deleted)!;
    expect(expiryRow.api_invocation_time as number).toBeGreaterThanOrEqual(ms(expiresAt));
  }, 40_000);
});

