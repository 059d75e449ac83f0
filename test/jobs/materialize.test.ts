import { describe, expect, it } from "vitest";
import { api, at, createGroup, getRecord, putRecord } from "../helpers";
import { manifest, settle } from "../offline/support";
import { createJob, land, ndjson, tickWhenDue } from "./support";

/** Backfills the offline store only, straight to Parquet through an offline-mode ingest job. */
async function backfillOffline(group: string, rows: Record<string, unknown>[]): Promise<void> {
  const prefix = `${group}/backfill-${crypto.randomUUID()}/`;
  await land(`${prefix}rows.ndjson`, ndjson(rows));
  const job = await createJob({ featureGroup: group, source: { prefix }, format: "ndjson", mode: "offline", schedule: null });
  const run = await api("POST", `/v1/jobs/${job.id}/run`);
  expect(run.body).toMatchObject({ status: "succeeded", rows: { written: rows.length } });
}

const materialize = (group: string) => api("POST", `/v1/feature-groups/${group}/materialize`);

describe("materialise the online store from the offline store", () => {
  it("serves the latest offline values online, never overwrites a newer online record, keeps deleted identifiers deleted, and writes nothing offline", async () => {
    const group = await createGroup({ offline: true, shardCount: 2 });
    await backfillOffline(group, [
      { id: "u1", ts: at(10), age: 1 },
      { id: "u1", ts: at(20), age: 2 },
      { id: "u2", ts: at(10), age: 10 },
      { id: "u3", ts: at(10), age: 30 },
      { id: "u4", ts: at(5), age: 40, city: "Bern" },
      { id: "u5", ts: at(1), age: 50 },
      { id: "u6", ts: at(10), age: 60 },
    ]);
    // Online state before materialising.
    await putRecord(group, { id: "u2", ts: at(30), age: 99 }, { targetStores: ["online"] }); // newer than the offline store
    await putRecord(group, { id: "u3", ts: at(5), age: 0 }, { targetStores: ["online"] });
    expect((await api("DELETE", `/v1/feature-groups/${group}/records/u3?eventTime=${at(15)}&targetStores=online`)).status).toBe(200); // deleted online, after the offline version
    await putRecord(group, { id: "u6", ts: at(1), age: 0 }, { targetStores: ["online"] }); // older than the offline store
    // u5 is deleted in the offline store.
    expect((await api("DELETE", `/v1/feature-groups/${group}/records/u5?eventTime=${at(2)}&targetStores=offline`)).status).toBe(200);
    await settle(group, 8);
    const offlineBefore = await manifest(group);
    for (const id of ["u1", "u4", "u5"]) expect((await getRecord(group, id)).status).toBe(404);

    const res = await materialize(group);
    expect(res.status).toBe(202);
    expect(res.headers.get("location")).toBe(`/v1/jobs/${res.body.job.id}/runs/${res.body.run.id}`);
    expect(res.body.job).toMatchObject({ kind: "materialize", featureGroup: group, mode: "online", schedule: null });
    expect(res.body.run).toMatchObject({ status: "succeeded", rows: { read: 5, written: 3, olderEventTimeIgnored: 2, invalid: 0 } });
    expect((await api("GET", res.headers.get("location")!)).body).toMatchObject({ id: res.body.run.id, status: "succeeded" });

    expect((await getRecord(group, "u1")).body.record).toEqual({ id: "u1", ts: at(20), age: 2 });
    expect((await getRecord(group, "u4")).body.record).toEqual({ id: "u4", ts: at(5), age: 40, city: "Bern" });
    expect((await getRecord(group, "u6")).body.record).toEqual({ id: "u6", ts: at(10), age: 60 });
    expect((await getRecord(group, "u2")).body.record).toEqual({ id: "u2", ts: at(30), age: 99 });
    expect((await getRecord(group, "u3")).status).toBe(404);
    expect((await getRecord(group, "u5")).status).toBe(404);

    // Nothing new is waiting in any outbox, and the manifest is as it was.
    const offline = await api("GET", `/v1/feature-groups/${group}/offline-store`);
    expect(offline.body.pending.rows).toBe(0);
    expect(await manifest(group)).toEqual(offlineBefore);

    // Materialising again reuses the group's on-demand job and changes nothing: every online record is now the
    // offline version itself (same event time and write sequence) or newer, so no row applies.
    const again = await materialize(group);
    expect(again.body.job.id).toBe(res.body.job.id);
    expect(again.body.run).toMatchObject({ status: "succeeded", rows: { read: 5, written: 0, olderEventTimeIgnored: 5 } });
    expect((await getRecord(group, "u2")).body.record.age).toBe(99);
  }, 30_000);

  it("runs as a scheduled job kind on the cron trigger", async () => {
    const group = await createGroup({ offline: true, shardCount: 1 });
    await backfillOffline(group, [{ id: "s1", ts: at(1), age: 7 }]);
    const job = await createJob({ kind: "materialize", featureGroup: group, schedule: "*/10 * * * *" });
    expect(await tickWhenDue(job.id)).toMatchObject({ trigger: "schedule", status: "succeeded", rows: { read: 1, written: 1 } });
    expect((await getRecord(group, "s1")).body.record).toEqual({ id: "s1", ts: at(1), age: 7 });
  });

  it("skips records already past the group's TTL", async () => {
    const group = await createGroup({ offline: true, shardCount: 1, ttl: { unit: "Days", value: 1 } });
    const recent = new Date(Date.now() - 3_600_000).toISOString();
    await backfillOffline(group, [
      { id: "old", ts: at(1), age: 1 },
      { id: "new", ts: recent, age: 2 },
    ]);
    expect((await materialize(group)).body.run).toMatchObject({ status: "succeeded", rows: { read: 2, written: 1 } });
    expect((await getRecord(group, "new")).status).toBe(200);
    expect((await getRecord(group, "old")).status).toBe(404);
  });

  it("refuses groups it cannot materialise", async () => {
    const onlineOnly = await createGroup();
    const res = await materialize(onlineOnly);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ field: "featureGroup" });
    expect((await materialize("no-such-group")).status).toBe(404);
  });
});
