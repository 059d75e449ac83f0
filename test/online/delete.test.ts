import { describe, expect, it } from "vitest";
import { api, at, createGroup, getRecord, putRecord } from "../helpers";

const del = (group: string, id: string, query: string) =>
  api("DELETE", `/v1/feature-groups/${group}/records/${encodeURIComponent(id)}?${query}`);

describe("DeleteRecord", () => {
  it("soft-deletes: the record is no longer served", async () => {
    const group = await createGroup();
    await putRecord(group, { id: "u1", ts: at(1), age: 1 });
    const res = await del(group, "u1", `eventTime=${at(2)}`);
    expect(res.status).toBe(200);
    expect(res.body.online).toBe("deleted");
    expect((await getRecord(group, "u1")).status).toBe(404);
  });

  it("keeps a soft-delete tombstone that still orders later puts", async () => {
    const group = await createGroup();
    await putRecord(group, { id: "u1", ts: at(1), age: 1 });
    await del(group, "u1", `eventTime=${at(5)}&mode=soft`);
    const older = await putRecord(group, { id: "u1", ts: at(3), age: 3 });
    expect(older.body.online).toBe("older_event_time_ignored");
    expect((await getRecord(group, "u1")).status).toBe(404);
    const newer = await putRecord(group, { id: "u1", ts: at(6), age: 6 });
    expect(newer.body.online).toBe("written");
    expect((await getRecord(group, "u1")).body.record.age).toBe(6);
  });

  it("leaves the record in place when a soft delete has an older event time", async () => {
    const group = await createGroup();
    await putRecord(group, { id: "u1", ts: at(5), age: 5 });
    const res = await del(group, "u1", `eventTime=${at(4)}`);
    expect(res.status).toBe(200);
    expect(res.body.online).toBe("older_event_time_unchanged");
    expect((await getRecord(group, "u1")).body.record.age).toBe(5);
  });

  it("tombstones the record when a soft delete comes later at its event time (the later write wins, as offline)", async () => {
    const group = await createGroup();
    await putRecord(group, { id: "u1", ts: at(5), age: 5 });
    const res = await del(group, "u1", `eventTime=${at(5)}`);
    expect(res.status).toBe(200);
    expect(res.body.online).toBe("deleted");
    expect((await getRecord(group, "u1")).status).toBe(404);
    expect((await putRecord(group, { id: "u1", ts: at(5), age: 6 })).body.online).toBe("written");
    expect((await getRecord(group, "u1")).body.record.age).toBe(6);
  });

  it("hard-deletes: the record is removed and an older put can land again", async () => {
    const group = await createGroup();
    await putRecord(group, { id: "u1", ts: at(5), age: 5 });
    const res = await del(group, "u1", `eventTime=${at(6)}&mode=hard`);
    expect(res.status).toBe(200);
    expect((await getRecord(group, "u1")).status).toBe(404);
    expect((await putRecord(group, { id: "u1", ts: at(1), age: 1 })).body.online).toBe("written");
  });

  it("refuses a hard delete that is not newer than the stored record, and changes nothing", async () => {
    const group = await createGroup();
    await putRecord(group, { id: "u1", ts: at(5), age: 5 });
    for (const eventTime of [at(5), at(4)]) {
      const res = await del(group, "u1", `eventTime=${eventTime}&mode=hard`);
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe("event_time_not_newer");
    }
    expect((await getRecord(group, "u1")).body.record.age).toBe(5);
  });

  it("hard-deletes a soft-deleted record when newer than its tombstone", async () => {
    const group = await createGroup();
    await putRecord(group, { id: "u1", ts: at(1), age: 1 });
    await del(group, "u1", `eventTime=${at(2)}`);
    expect((await del(group, "u1", `eventTime=${at(3)}&mode=hard`)).status).toBe(200);
    expect((await putRecord(group, { id: "u1", ts: at(1), age: 7 })).body.online).toBe("written");
  });

  const bad: [string, string, string][] = [
    ["a missing event time", "mode=soft", "eventTime"],
    ["an unparseable event time", "eventTime=soon", "eventTime"],
    ["an unknown mode", `eventTime=${at(1)}&mode=shred`, "mode"],
    ["an unknown target store", `eventTime=${at(1)}&targetStores=disk`, "targetStores"],
  ];
  it.each(bad)("refuses %s with a 400 naming %s", async (_, query, field) => {
    const group = await createGroup();
    await putRecord(group, { id: "u1", ts: at(0), age: 1 });
    const res = await del(group, "u1", query);
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe(field);
    expect((await getRecord(group, "u1")).status).toBe(200);
  });

  it("refuses to target an offline store the group does not have", async () => {
    const group = await createGroup();
    const res = await del(group, "u1", `eventTime=${at(1)}&targetStores=offline`);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain("offline store");
  });
});
