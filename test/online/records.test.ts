import { describe, expect, it } from "vitest";
import { api, at, createGroup, getRecord, putRecord } from "../helpers";

describe("PutRecord and GetRecord", () => {
  it("returns the record that was put, with typed values", async () => {
    const group = await createGroup();
    const put = await putRecord(group, { id: "u1", ts: at(0), age: 42, score: 0.5, city: "Zürich" });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ online: "written", offline: "not_targeted" });
    const got = await getRecord(group, "u1");
    expect(got.status).toBe(200);
    expect(got.body).toEqual({ record: { id: "u1", ts: at(0), age: 42, score: 0.5, city: "Zürich" } });
  });

  it("keeps the newer record when an older event time arrives", async () => {
    const group = await createGroup();
    await putRecord(group, { id: "u1", ts: at(10), age: 2 });
    const older = await putRecord(group, { id: "u1", ts: at(5), age: 1 });
    expect(older.status).toBe(200);
    expect(older.body.online).toBe("older_event_time_ignored");
    expect((await getRecord(group, "u1")).body.record.age).toBe(2);
  });

  it("lets the later write win when event times are equal", async () => {
    const group = await createGroup();
    await putRecord(group, { id: "u1", ts: at(10), age: 1 });
    const tie = await putRecord(group, { id: "u1", ts: at(10), age: 2 });
    expect(tie.body.online).toBe("written");
    expect((await getRecord(group, "u1")).body.record.age).toBe(2);
  });

  it("orders event times by their instant, not their text, across fraction digits", async () => {
    const group = await createGroup();
    await putRecord(group, { id: "u1", ts: "2026-01-01T00:00:00.5Z", age: 1 });
    const earlier = await putRecord(group, { id: "u1", ts: "2026-01-01T00:00:00.123456789Z", age: 2 });
    expect(earlier.body.online).toBe("older_event_time_ignored");
    const later = await putRecord(group, { id: "u1", ts: "2026-01-01T00:00:00.500000001Z", age: 3 });
    expect(later.body.online).toBe("written");
    expect((await getRecord(group, "u1")).body.record.age).toBe(3);
  });

  it("treats a put as a full overwrite: features left out are gone afterwards", async () => {
    const group = await createGroup();
    await putRecord(group, { id: "u1", ts: at(1), age: 1, city: "Oslo" });
    await putRecord(group, { id: "u1", ts: at(2), age: 2 });
    expect((await getRecord(group, "u1")).body.record).toEqual({ id: "u1", ts: at(2), age: 2 });
  });

  it("accepts Fractional epoch-second event times and orders them numerically", async () => {
    const group = await createGroup({ eventTimeType: "Fractional" });
    await putRecord(group, { id: "u1", ts: 1_700_000_000.25, age: 1 });
    expect((await putRecord(group, { id: "u1", ts: 1_700_000_000.2, age: 2 })).body.online).toBe("older_event_time_ignored");
    expect((await putRecord(group, { id: "u1", ts: 1_700_000_001, age: 3 })).body.online).toBe("written");
    expect((await getRecord(group, "u1")).body.record).toEqual({ id: "u1", ts: 1_700_000_001, age: 3 });
  });

  it("round-trips int64 values beyond 2^53 exactly as decimal strings", async () => {
    const group = await createGroup();
    await putRecord(group, { id: "big", ts: at(0), age: "9223372036854775807" });
    await putRecord(group, { id: "small", ts: at(0), age: "-9223372036854775808" });
    await putRecord(group, { id: "safe", ts: at(0), age: "9007199254740991" });
    expect((await getRecord(group, "big")).text).toContain('"age":"9223372036854775807"');
    expect((await getRecord(group, "small")).text).toContain('"age":"-9223372036854775808"');
    expect((await getRecord(group, "safe")).body.record.age).toBe(9007199254740991);
  });

  it("refuses an int64 sent as a JSON number beyond 2^53, because JSON has already rounded it", async () => {
    const group = await createGroup();
    const res = await putRecord(group, { id: "u1", ts: at(0) }, {});
    expect(res.status).toBe(200);
    const raw = `{"record":{"id":"u2","ts":"${at(0)}","age":9223372036854775807}}`;
    const bad = await api("PUT", `/v1/feature-groups/${group}/records`, raw);
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe("record.age");
    expect(bad.body.error.message).toMatch(/send them as strings/);
    expect((await getRecord(group, "u2")).status).toBe(404);
  });

  it("returns only the requested features and names an unknown one with a 400", async () => {
    const group = await createGroup();
    await putRecord(group, { id: "u1", ts: at(0), age: 42, score: 1.5, city: "Rome" });
    const subset = await getRecord(group, "u1", "?features=age,city");
    expect(subset.body).toEqual({ record: { age: 42, city: "Rome" } });
    const repeated = await getRecord(group, "u1", "?features=age&features=score");
    expect(repeated.body).toEqual({ record: { age: 42, score: 1.5 } });
    const unknown = await getRecord(group, "u1", "?features=age,agee");
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ code: "unknown_feature", field: "features" });
    expect(unknown.body.error.message).toContain("agee");
  });

  it("answers 404 record_not_found for an identifier never written", async () => {
    const group = await createGroup();
    const res = await getRecord(group, "nobody");
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("record_not_found");
  });

  it("serves identifiers with unicode, slashes and spaces", async () => {
    const group = await createGroup();
    for (const id of ["ユーザー/1", "a b?c#d", "😀", "%41"]) {
      await putRecord(group, { id, ts: at(0), city: id });
      const got = await getRecord(group, id);
      expect(got.status).toBe(200);
      expect(got.body.record.city).toBe(id);
    }
  });

  it("finds an Integral identifier whatever its decimal spelling", async () => {
    const group = await createGroup({ identifierType: "Integral" });
    await putRecord(group, { id: 7, ts: at(0), age: 1 });
    expect((await getRecord(group, "007")).body.record).toEqual({ id: 7, ts: at(0), age: 1 });
    const bad = await getRecord(group, "seven");
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe("recordIdentifier");
  });

  it("stores collections: lists, sets and vectors of the declared element type", async () => {
    const group = await createGroup({
      features: [
        { name: "tags", type: "String", collection: { type: "List" } },
        { name: "ids", type: "Integral", collection: { type: "Set" } },
        { name: "emb", type: "Fractional", collection: { type: "Vector", dimension: 3 } },
      ],
    });
    const record = { id: "u1", ts: at(0), tags: ["a", "a", "b"], ids: [1, "9223372036854775807"], emb: [0.1, 0.2, 0.3] };
    expect((await putRecord(group, record)).status).toBe(200);
    expect((await getRecord(group, "u1")).body.record).toEqual(record);
    const wrongDim = await putRecord(group, { id: "u2", ts: at(0), emb: [1, 2] });
    expect(wrongDim.status).toBe(400);
    expect(wrongDim.body.error.field).toBe("record.emb");
    const dupSet = await putRecord(group, { id: "u2", ts: at(0), ids: [1, 1] });
    expect(dupSet.body.error.field).toBe("record.ids[1]");
    const badElement = await putRecord(group, { id: "u2", ts: at(0), tags: ["a", 3] });
    expect(badElement.body.error.field).toBe("record.tags[1]");
    expect((await getRecord(group, "u2")).status).toBe(404);
  });
});

describe("PutRecord validation", () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ["a missing identifier", { ts: at(0) }, "record.id"],
    ["a missing event time", { id: "u1" }, "record.ts"],
    ["an unparseable event time", { id: "u1", ts: "yesterday" }, "record.ts"],
    ["a calendar date that does not exist", { id: "u1", ts: "2026-02-30T00:00:00Z" }, "record.ts"],
    ["a non-UTC event time", { id: "u1", ts: "2026-01-01T00:00:00+01:00" }, "record.ts"],
    ["a fractional Integral", { id: "u1", ts: at(0), age: 1.5 }, "record.age"],
    ["an Integral out of int64 range", { id: "u1", ts: at(0), age: "9223372036854775808" }, "record.age"],
    ["a string for a Fractional", { id: "u1", ts: at(0), score: "abc" }, "record.score"],
    ["a number for a String", { id: "u1", ts: at(0), city: 5 }, "record.city"],
    ["a list for a scalar", { id: "u1", ts: at(0), city: ["a"] }, "record.city"],
    ["an empty identifier", { id: "", ts: at(0) }, "record.id"],
    ["a lone surrogate", { id: "u1", ts: at(0), city: "\ud800" }, "record.city"],
  ];
  it.each(cases)("refuses %s with a 400 naming the field, and writes nothing", async (_, record, field) => {
    const group = await createGroup();
    const res = await putRecord(group, record);
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe(field);
    expect(res.body.error.message.startsWith(`${field}: `)).toBe(true);
    expect((await getRecord(group, "u1")).status).toBe(404);
  });

  it("names an unknown feature in the record", async () => {
    const group = await createGroup();
    const res = await putRecord(group, { id: "u1", ts: at(0), agee: 1 });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "unknown_feature", field: "record.agee" });
  });

  it("refuses a record larger than 350 KB with a 413", async () => {
    const group = await createGroup();
    const res = await putRecord(group, { id: "u1", ts: at(0), city: "x".repeat(350 * 1024) });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe("payload_too_large");
    expect((await getRecord(group, "u1")).status).toBe(404);
  });

  it("accepts a record just under 350 KB", async () => {
    const group = await createGroup();
    const res = await putRecord(group, { id: "u1", ts: at(0), city: "x".repeat(340 * 1024) });
    expect(res.status).toBe(200);
  });

  it("refuses a body over the request limit before parsing it", async () => {
    const group = await createGroup();
    const res = await api("PUT", `/v1/feature-groups/${group}/records`, "x".repeat(3 * 1024 * 1024));
    expect(res.status).toBe(413);
  });

  const bodies: [string, string, string][] = [
    ["broken JSON", "{", "body"],
    ["an empty body", "", "body"],
    ["a JSON array", "[]", "body"],
    ["a record that is not an object", '{"record": 5}', "record"],
    ["an unknown top-level field", '{"record": {}, "extra": 1}', "extra"],
    ["bad targetStores", '{"record": {}, "targetStores": ["cloud"]}', "targetStores"],
    ["a bad ttl unit", '{"record": {}, "ttl": {"unit": "Years", "value": 1}}', "ttl.unit"],
  ];
  it.each(bodies)("refuses %s with a 400 naming %s", async (_, body, field) => {
    const group = await createGroup();
    const res = await api("PUT", `/v1/feature-groups/${group}/records`, body);
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe(field);
  });

  it("answers 404 for a put to a missing feature group", async () => {
    const res = await putRecord("no-such-group", { id: "u1", ts: at(0) });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("feature_group_not_found");
  });
});
