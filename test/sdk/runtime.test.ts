// The feature store runtime API (restJson1) through the official client
// @aws-sdk/client-sagemaker-featurestore-runtime, over real HTTP.
import {
  BatchGetRecordCommand,
  BatchWriteRecordCommand,
  ConflictException,
  DeleteRecordCommand,
  GetRecordCommand,
  ListRecordsCommand,
  paginateListRecords,
  PutRecordCommand,
  ResourceNotFound,
  UpdateRecordCommand,
  ValidationError,
  type FeatureValue,
} from "@aws-sdk/client-sagemaker-featurestore-runtime";
import { DescribeFeatureGroupCommand } from "@aws-sdk/client-sagemaker";
import { describe, expect, it } from "vitest";
import {
  arnPattern,
  at,
  controlClient,
  createGroup,
  fromNow,
  plain,
  rec,
  rejection,
  runtime,
  runtimeClient,
  uniqueName,
  UUID,
} from "./support";

const get = (FeatureGroupName: string, id: string, extra: { FeatureNames?: string[]; ExpirationTimeResponse?: "Enabled" | "Disabled" } = {}) =>
  runtime.send(new GetRecordCommand({ FeatureGroupName, RecordIdentifierValueAsString: id, ...extra }));
const put = (FeatureGroupName: string, values: Record<string, string | string[]>, extra: Partial<ConstructorParameters<typeof PutRecordCommand>[0]> = {}) =>
  runtime.send(new PutRecordCommand({ FeatureGroupName, Record: rec(values), ...extra }));
const read = async (group: string, id: string) => plain((await get(group, id)).Record);

const HOUR = 3600_000;
const ms = (iso: string) => Date.parse(iso);

describe("PutRecord and GetRecord", () => {
  it("GetRecord returns the record PutRecord wrote, every value as a string, with response metadata", async () => {
    const { name } = await createGroup();
    const putOut = await put(name, { id: "u1", ts: at(10), age: "42", score: "0.5", city: "Paris" });
    expect(putOut.$metadata.httpStatusCode).toBe(200);
    expect(putOut.$metadata.requestId).toMatch(UUID);

    const out = await get(name, "u1");
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(out.$metadata.requestId).toMatch(UUID);
    expect(out.$metadata.requestId).not.toBe(putOut.$metadata.requestId);
    expect(plain(out.Record)).toEqual({ id: "u1", ts: at(10), age: "42", score: "0.5", city: "Paris" });
    expect(out.ExpiresAt).toBeUndefined();
  });

  it("GetRecord with FeatureNames returns only the named features", async () => {
    const { name } = await createGroup();
    await put(name, { id: "u1", ts: at(10), age: "42", score: "0.5", city: "Paris" });
    const out = await get(name, "u1", { FeatureNames: ["age", "city"] });
    expect(plain(out.Record)).toEqual({ age: "42", city: "Paris" });
    const one = await get(name, "u1", { FeatureNames: ["score"] });
    expect(plain(one.Record)).toEqual({ score: "0.5" });
  });

  it("GetRecord naming a feature the group lacks is a ValidationError", async () => {
    const { name } = await createGroup();
    await put(name, { id: "u1", ts: at(10), age: "42" });
    const error = await rejection(get(name, "u1", { FeatureNames: ["age", "no_such_feature"] }), ValidationError);
    expect(error.$metadata.httpStatusCode).toBe(400);
  });

  it("GetRecord of an identifier never written answers 200 with neither Record nor ExpiresAt", async () => {
    const { name } = await createGroup();
    const out = await get(name, "nobody", { ExpirationTimeResponse: "Enabled" });
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(out.Record).toBeUndefined();
    expect(out.ExpiresAt).toBeUndefined();
  });

  it("GetRecord from a feature group that does not exist is ResourceNotFound (404)", async () => {
    const error = await rejection(get(uniqueName("missing"), "u1"), ResourceNotFound);
    expect(error.$metadata.httpStatusCode).toBe(404);
    expect(error.$fault).toBe("client");
    expect(error.message).toBeTruthy();
  });

  it("ExpirationTimeResponse=Enabled returns ExpiresAt = event time + the record's TtlDuration, and only then", async () => {
    const { name } = await createGroup();
    const ts = fromNow(-60);
    await put(name, { id: "u1", ts, age: "1" }, { TtlDuration: { Unit: "Hours", Value: 2 } });
    const enabled = await get(name, "u1", { ExpirationTimeResponse: "Enabled" });
    expect(plain(enabled.Record)).toEqual({ id: "u1", ts, age: "1" });
    expect(enabled.ExpiresAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(ms(enabled.ExpiresAt!)).toBe(ms(ts) + 2 * HOUR);
    expect((await get(name, "u1", { ExpirationTimeResponse: "Disabled" })).ExpiresAt).toBeUndefined();
    expect((await get(name, "u1")).ExpiresAt).toBeUndefined();
  });

  it("the group's TtlDuration applies to records without one, and a record's TtlDuration overrides it", async () => {
    const { name } = await createGroup({ ttl: { Unit: "Days", Value: 1 } });
    const ts = fromNow(-60);
    await put(name, { id: "group-ttl", ts });
    await put(name, { id: "own-ttl", ts }, { TtlDuration: { Unit: "Minutes", Value: 30 } });
    const groupTtl = await get(name, "group-ttl", { ExpirationTimeResponse: "Enabled" });
    const ownTtl = await get(name, "own-ttl", { ExpirationTimeResponse: "Enabled" });
    expect(ms(groupTtl.ExpiresAt!)).toBe(ms(ts) + 24 * HOUR);
    expect(ms(ownTtl.ExpiresAt!)).toBe(ms(ts) + 30 * 60_000);
  });

  it("a record whose TTL has passed is not served", async () => {
    const { name } = await createGroup();
    await put(name, { id: "old", ts: fromNow(-2 * 3600), age: "1" }, { TtlDuration: { Unit: "Hours", Value: 1 } });
    await put(name, { id: "fresh", ts: fromNow(-60), age: "2" }, { TtlDuration: { Unit: "Hours", Value: 1 } });
    const old = await get(name, "old", { ExpirationTimeResponse: "Enabled" });
    expect(old.Record).toBeUndefined();
    expect(old.ExpiresAt).toBeUndefined();
    expect(await read(name, "fresh")).toMatchObject({ age: "2" });
  });

  it("a PutRecord is a full overwrite: features it leaves out are absent afterwards", async () => {
    const { name } = await createGroup();
    await put(name, { id: "u1", ts: at(10), age: "42", city: "Paris" });
    await put(name, { id: "u1", ts: at(20), score: "1.5" });
    expect(await read(name, "u1")).toEqual({ id: "u1", ts: at(20), score: "1.5" });
  });

  it("an older event time leaves the online record alone and an equal one replaces it", async () => {
    const { name } = await createGroup();
    await put(name, { id: "u1", ts: at(20), age: "1" });
    await put(name, { id: "u1", ts: at(10), age: "2" });
    expect(await read(name, "u1")).toEqual({ id: "u1", ts: at(20), age: "1" });
    await put(name, { id: "u1", ts: at(20), age: "3" });
    expect(await read(name, "u1")).toEqual({ id: "u1", ts: at(20), age: "3" });
    // 9 fraction digits order correctly, and any fraction counts as newer than none.
    await put(name, { id: "u1", ts: "2026-01-01T00:00:20.000000001Z", age: "4" });
    await put(name, { id: "u1", ts: "2026-01-01T00:00:20Z", age: "5" });
    expect(await read(name, "u1")).toMatchObject({ age: "4" });
  });

  it("a Fractional event-time feature (epoch seconds) orders records by its value", async () => {
    const { name } = await createGroup({
      features: [
        { FeatureName: "id", FeatureType: "String" },
        { FeatureName: "ts", FeatureType: "Fractional" },
        { FeatureName: "v", FeatureType: "String" },
      ],
    });
    await put(name, { id: "u1", ts: "1767225600.5", v: "newer" });
    await put(name, { id: "u1", ts: "1767225600.25", v: "older" });
    expect(await read(name, "u1")).toEqual({ id: "u1", ts: "1767225600.5", v: "newer" });
  });

  it("accepts event times from year 0000 to 9999", async () => {
    const { name } = await createGroup();
    await put(name, { id: "first", ts: "0000-01-01T00:00:00Z" });
    await put(name, { id: "last", ts: "9999-12-31T23:59:59.999999999Z" });
    expect(await read(name, "first")).toEqual({ id: "first", ts: "0000-01-01T00:00:00Z" });
    expect(await read(name, "last")).toEqual({ id: "last", ts: "9999-12-31T23:59:59.999999999Z" });
  });

  it("PutRecord to a feature group that does not exist is a ValidationError", async () => {
    // SAGEMAKER.md: "PutRecord to a missing feature group answers ValidationError (observed on the real service)".
    const error = await rejection(put(uniqueName("missing"), { id: "u1", ts: at(1) }), ValidationError);
    expect(error.$metadata.httpStatusCode).toBe(400);
  });

  it.each([
    ["a non-integer Integral", { age: "4.5" }],
    ["an Integral beyond int64", { age: "9223372036854775808" }],
    ["a non-numeric Fractional", { score: "abc" }],
    ["a feature the group lacks", { nope: "1" }],
    ["a collection value for a scalar feature", { city: ["a", "b"] }],
    ["an event time that is not ISO-8601 UTC", { ts: "2026-01-01 00:00:00" }],
    ["an event time beyond year 9999", { ts: "10000-01-01T00:00:00Z" }],
    ["an event time with a UTC offset instead of Z", { ts: "2026-01-01T01:00:00+01:00" }],
    ["an event time with 10 fraction digits", { ts: "2026-01-01T00:00:00.0000000001Z" }],
  ])("PutRecord with %s is a ValidationError and leaves the stored record as it was", async (_what, bad) => {
    const { name } = await createGroup();
    await put(name, { id: "u1", ts: at(10), age: "1", city: "Paris" });
    const error = await rejection(put(name, { id: "u1", ts: at(20), age: "2", ...bad }), ValidationError);
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.message).toBeTruthy();
    expect(await read(name, "u1")).toEqual({ id: "u1", ts: at(10), age: "1", city: "Paris" });
  });

  it("PutRecord without the identifier or without the event time is a ValidationError and writes nothing", async () => {
    const { name } = await createGroup();
    await rejection(put(name, { ts: at(10), age: "1" }), ValidationError);
    await rejection(put(name, { id: "u1", age: "1" }), ValidationError);
    expect(await read(name, "u1")).toBeUndefined();
  });

  it("PutRecord with a FeatureValue carrying both ValueAsString and ValueAsStringList, or neither, is a ValidationError", async () => {
    const { name } = await createGroup();
    const both: FeatureValue[] = [...rec({ id: "u1", ts: at(1) }), { FeatureName: "city", ValueAsString: "a", ValueAsStringList: ["a"] }];
    const neither: FeatureValue[] = [...rec({ id: "u1", ts: at(1) }), { FeatureName: "city" }];
    await rejection(runtime.send(new PutRecordCommand({ FeatureGroupName: name, Record: both })), ValidationError);
    await rejection(runtime.send(new PutRecordCommand({ FeatureGroupName: name, Record: neither })), ValidationError);
    expect(await read(name, "u1")).toBeUndefined();
  });

  it("enforces the value, identifier and record size limits with ValidationError", async () => {
    const { name } = await createGroup({
      features: [
        { FeatureName: "id", FeatureType: "String" },
        { FeatureName: "ts", FeatureType: "String" },
        { FeatureName: "a", FeatureType: "String" },
        { FeatureName: "b", FeatureType: "String" },
      ],
    });
    // A value ≤ 358,400 characters; an identifier ≤ 2 KB; a record ≤ 350 KB (SAGEMAKER.md "Limits").
    const big = "x".repeat(300_000);
    await put(name, { id: "big", ts: at(1), a: big });
    expect((await read(name, "big"))?.a).toHaveLength(300_000);
    await rejection(put(name, { id: "too-long-value", ts: at(1), a: "x".repeat(358_401) }), ValidationError);
    await rejection(put(name, { id: "too-big-record", ts: at(1), a: "x".repeat(200_000), b: "y".repeat(200_000) }), ValidationError);
    const id2k = "i".repeat(2048);
    await put(name, { id: id2k, ts: at(1) });
    expect(await read(name, id2k)).toEqual({ id: id2k, ts: at(1) });
    await rejection(put(name, { id: "i".repeat(2049), ts: at(1) }), ValidationError);
    expect(await read(name, "too-long-value")).toBeUndefined();
    expect(await read(name, "too-big-record")).toBeUndefined();
  });

  it("PutRecord naming a feature twice is a ValidationError", async () => {
    const { name } = await createGroup();
    const Record: FeatureValue[] = [...rec({ id: "u1", ts: at(1), age: "1" }), { FeatureName: "age", ValueAsString: "2" }];
    await rejection(runtime.send(new PutRecordCommand({ FeatureGroupName: name, Record })), ValidationError);
    expect(await read(name, "u1")).toBeUndefined();
  });
});

describe("DeleteRecord", () => {
  const del = (FeatureGroupName: string, id: string, EventTime: string, extra: Partial<ConstructorParameters<typeof DeleteRecordCommand>[0]> = {}) =>
    runtime.send(new DeleteRecordCommand({ FeatureGroupName, RecordIdentifierValueAsString: id, EventTime, ...extra }));

  it("SoftDelete (the default) hides the record; an older PutRecord stays hidden and a newer one shows", async () => {
    const { name } = await createGroup();
    await put(name, { id: "u1", ts: at(10), age: "1" });
    const out = await del(name, "u1", at(20));
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect((await get(name, "u1")).Record).toBeUndefined();
    await put(name, { id: "u1", ts: at(15), age: "2" });
    expect((await get(name, "u1")).Record).toBeUndefined();
    await put(name, { id: "u1", ts: at(30), age: "3" });
    expect(await read(name, "u1")).toEqual({ id: "u1", ts: at(30), age: "3" });
  });

  it("an explicit SoftDelete not newer than the stored record succeeds and leaves the online record", async () => {
    const { name } = await createGroup();
    await put(name, { id: "u1", ts: at(10), age: "1" });
    await del(name, "u1", at(5), { DeletionMode: "SoftDelete" });
    expect(await read(name, "u1")).toEqual({ id: "u1", ts: at(10), age: "1" });
  });

  it("HardDelete removes the record", async () => {
    const { name } = await createGroup();
    await put(name, { id: "u1", ts: at(10), age: "1" });
    await del(name, "u1", at(20), { DeletionMode: "HardDelete" });
    expect((await get(name, "u1")).Record).toBeUndefined();
    const listed = await runtime.send(new ListRecordsCommand({ FeatureGroupName: name, IncludeSoftDeletedRecords: true }));
    expect(listed.RecordIdentifiers).toEqual([]);
  });

  it("a HardDelete not newer than the stored record is a ValidationError and deletes nothing", async () => {
    const { name } = await createGroup();
    await put(name, { id: "u1", ts: at(10), age: "1" });
    const equal = await rejection(del(name, "u1", at(10), { DeletionMode: "HardDelete" }), ValidationError);
    expect(equal.$metadata.httpStatusCode).toBe(400);
    await rejection(del(name, "u1", at(5), { DeletionMode: "HardDelete" }), ValidationError);
    expect(await read(name, "u1")).toEqual({ id: "u1", ts: at(10), age: "1" });
  });

  it("DeleteRecord with a malformed EventTime is a ValidationError and deletes nothing", async () => {
    const { name } = await createGroup();
    await put(name, { id: "u1", ts: at(10), age: "1" });
    await rejection(del(name, "u1", "yesterday"), ValidationError);
    expect(await read(name, "u1")).toEqual({ id: "u1", ts: at(10), age: "1" });
  });

  it("ListRecords shows soft-deleted identifiers only with IncludeSoftDeletedRecords", async () => {
    const { name } = await createGroup();
    for (const id of ["a", "b", "c"]) await put(name, { id, ts: at(10) });
    await del(name, "b", at(20));
    const live = await runtime.send(new ListRecordsCommand({ FeatureGroupName: name }));
    expect([...live.RecordIdentifiers!].sort()).toEqual(["a", "c"]);
    const all = await runtime.send(new ListRecordsCommand({ FeatureGroupName: name, IncludeSoftDeletedRecords: true }));
    expect([...all.RecordIdentifiers!].sort()).toEqual(["a", "b", "c"]);
  });
});

describe("BatchGetRecord", () => {
  it("reads several groups in one call: misses are absent from Records and a missing group's identifiers are Errors", async () => {
    const a = await createGroup({ ttl: { Unit: "Days", Value: 7 } });
    const b = await createGroup();
    const missing = uniqueName("missing");
    const ts = fromNow(-60);
    await put(a.name, { id: "a1", ts, age: "1", city: "Oslo" });
    await put(a.name, { id: "a2", ts, age: "2", city: "Rome" });
    await put(b.name, { id: "b1", ts, age: "3", city: "Lima" });

    const out = await runtime.send(
      new BatchGetRecordCommand({
        Identifiers: [
          { FeatureGroupName: a.name, RecordIdentifiersValueAsString: ["a1", "a2", "a-miss"] },
          { FeatureGroupName: b.name, RecordIdentifiersValueAsString: ["b1", "b-miss"], FeatureNames: ["city"] },
          { FeatureGroupName: missing, RecordIdentifiersValueAsString: ["m1", "m2"] },
        ],
        ExpirationTimeResponse: "Enabled",
      }),
    );
    expect(out.$metadata.httpStatusCode).toBe(200);
    const records = (out.Records ?? []).map((r) => ({ group: r.FeatureGroupName, id: r.RecordIdentifierValueAsString, record: plain(r.Record), expiresAt: r.ExpiresAt }));
    expect(records.sort((x, y) => x.id!.localeCompare(y.id!))).toEqual([
      { group: a.name, id: "a1", record: { id: "a1", ts, age: "1", city: "Oslo" }, expiresAt: expect.any(String) },
      { group: a.name, id: "a2", record: { id: "a2", ts, age: "2", city: "Rome" }, expiresAt: expect.any(String) },
      { group: b.name, id: "b1", record: { city: "Lima" }, expiresAt: undefined },
    ]);
    expect(ms(records[0]!.expiresAt!)).toBe(ms(ts) + 7 * 24 * HOUR);

    const errors = (out.Errors ?? []).map((e) => ({ group: e.FeatureGroupName, id: e.RecordIdentifierValueAsString }));
    expect(errors.sort((x, y) => x.id!.localeCompare(y.id!))).toEqual([
      { group: missing, id: "m1" },
      { group: missing, id: "m2" },
    ]);
    for (const error of out.Errors!) {
      expect(error.ErrorCode).toBeTruthy();
      expect(error.ErrorMessage).toBeTruthy();
    }
    expect(out.UnprocessedIdentifiers).toEqual([]);
  });

  it("leaves soft-deleted and expired records out of Records, without Errors", async () => {
    const { name } = await createGroup();
    await put(name, { id: "live", ts: fromNow(-60) });
    await put(name, { id: "deleted", ts: at(10) });
    await runtime.send(new DeleteRecordCommand({ FeatureGroupName: name, RecordIdentifierValueAsString: "deleted", EventTime: at(20) }));
    await put(name, { id: "expired", ts: fromNow(-7200) }, { TtlDuration: { Unit: "Hours", Value: 1 } });
    const out = await runtime.send(new BatchGetRecordCommand({ Identifiers: [{ FeatureGroupName: name, RecordIdentifiersValueAsString: ["live", "deleted", "expired"] }] }));
    expect(out.Records!.map((r) => r.RecordIdentifierValueAsString)).toEqual(["live"]);
    expect(out.Errors).toEqual([]);
    expect(out.UnprocessedIdentifiers).toEqual([]);
  });

  it("always answers all three lists, even when every identifier is found", async () => {
    const { name } = await createGroup();
    await put(name, { id: "x", ts: at(1) });
    const out = await runtime.send(new BatchGetRecordCommand({ Identifiers: [{ FeatureGroupName: name, RecordIdentifiersValueAsString: ["x"] }] }));
    expect(out.Records).toHaveLength(1);
    expect(out.Errors).toEqual([]);
    expect(out.UnprocessedIdentifiers).toEqual([]);
    expect(out.Records![0]!.ExpiresAt).toBeUndefined();
  });

  it("reads 100 identifiers of one group in one call", async () => {
    const { name } = await createGroup();
    const ids = Array.from({ length: 100 }, (_, i) => `id-${i}`);
    await runtime.send(
      new BatchWriteRecordCommand({ Entries: ids.slice(0, 25).map((id) => ({ FeatureGroupName: name, Record: rec({ id, ts: at(1), age: "7" }) })) }),
    );
    const out = await runtime.send(new BatchGetRecordCommand({ Identifiers: [{ FeatureGroupName: name, RecordIdentifiersValueAsString: ids }] }));
    expect(out.Records!.map((r) => r.RecordIdentifierValueAsString).sort()).toEqual(ids.slice(0, 25).sort());
    expect(out.Errors).toEqual([]);
  });

  it("answers any request within the model's limits, handing back what it cannot read now in UnprocessedIdentifiers", async () => {
    // 60 groups × 20 identifiers: within 100 × 100 (SAGEMAKER.md), but more
    // shard calls than one invocation makes. The model's answer to that is
    // UnprocessedIdentifiers, which the client re-sends; not a refusal.
    const groups: string[] = [];
    for (let i = 0; i < 60; i++) groups.push((await createGroup({ prefix: "wide" })).name);
    for (let i = 0; i < groups.length; i += 25) {
      await runtime.send(
        new BatchWriteRecordCommand({ Entries: groups.slice(i, i + 25).map((g) => ({ FeatureGroupName: g, Record: rec({ id: "hit", ts: at(1), city: g }) })) }),
      );
    }
    const ids = ["hit", ...Array.from({ length: 19 }, (_, i) => `miss-${i}`)];
    let pending = groups.map((g) => ({ FeatureGroupName: g, RecordIdentifiersValueAsString: ids }));
    const found: string[] = [];
    for (let round = 0; round < 5 && pending.length > 0; round++) {
      const out = await runtime.send(new BatchGetRecordCommand({ Identifiers: pending }));
      expect(out.Errors).toEqual([]);
      for (const r of out.Records!) {
        expect(plain(r.Record)).toEqual({ id: "hit", ts: at(1), city: r.FeatureGroupName });
        found.push(r.FeatureGroupName!);
      }
      pending = (out.UnprocessedIdentifiers ?? []).map((u) => ({ FeatureGroupName: u.FeatureGroupName!, RecordIdentifiersValueAsString: u.RecordIdentifiersValueAsString! }));
    }
    expect(pending).toEqual([]);
    expect(found.sort()).toEqual([...groups].sort());
    // 60 groups of 16 shards: the first reads start some 960 Durable Objects, which takes well over the default 20 s on a loaded 2-core machine.
  }, 120_000);

  it("more than 100 identifiers for one group is a ValidationError", async () => {
    const { name } = await createGroup();
    const ids = Array.from({ length: 101 }, (_, i) => `id-${i}`);
    await rejection(runtime.send(new BatchGetRecordCommand({ Identifiers: [{ FeatureGroupName: name, RecordIdentifiersValueAsString: ids }] })), ValidationError);
  });
});

describe("BatchWriteRecord", () => {
  it("writes the good entries and reports each bad entry in Errors with its Entry", async () => {
    const a = await createGroup();
    const b = await createGroup();
    const missing = uniqueName("missing");
    const badType = { FeatureGroupName: a.name, Record: rec({ id: "bad-type", ts: at(1), age: "not-a-number" }) };
    const badFeature = { FeatureGroupName: b.name, Record: rec({ id: "bad-feature", ts: at(1), nope: "x" }) };
    const badGroup = { FeatureGroupName: missing, Record: rec({ id: "bad-group", ts: at(1) }) };

    const out = await runtime.send(
      new BatchWriteRecordCommand({
        Entries: [
          { FeatureGroupName: a.name, Record: rec({ id: "good-a", ts: at(1), age: "1" }) },
          badType,
          { FeatureGroupName: b.name, Record: rec({ id: "good-b", ts: at(1), city: "Kyiv" }) },
          badFeature,
          badGroup,
        ],
      }),
    );
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(out.UnprocessedEntries).toEqual([]);
    const errors = out.Errors ?? [];
    expect(errors.map((e) => e.Entry?.FeatureGroupName).sort()).toEqual([a.name, b.name, missing].sort());
    for (const error of errors) {
      expect(error.ErrorCode).toBeTruthy();
      expect(error.ErrorMessage).toBeTruthy();
    }
    const byGroup = new Map(errors.map((e) => [e.Entry!.FeatureGroupName, e.Entry]));
    expect(byGroup.get(a.name)).toEqual(badType);
    expect(byGroup.get(b.name)).toEqual(badFeature);
    expect(byGroup.get(missing)).toEqual(badGroup);

    expect(await read(a.name, "good-a")).toEqual({ id: "good-a", ts: at(1), age: "1" });
    expect(await read(b.name, "good-b")).toEqual({ id: "good-b", ts: at(1), city: "Kyiv" });
    expect(await read(a.name, "bad-type")).toBeUndefined();
    expect(await read(b.name, "bad-feature")).toBeUndefined();
  });

  it("applies the request TtlDuration to entries without one and lets an entry's TtlDuration override it", async () => {
    const { name } = await createGroup();
    const ts = fromNow(-60);
    await runtime.send(
      new BatchWriteRecordCommand({
        TtlDuration: { Unit: "Hours", Value: 1 },
        Entries: [
          { FeatureGroupName: name, Record: rec({ id: "req-ttl", ts }) },
          { FeatureGroupName: name, Record: rec({ id: "own-ttl", ts }), TtlDuration: { Unit: "Minutes", Value: 5 } },
        ],
      }),
    );
    const reqTtl = await get(name, "req-ttl", { ExpirationTimeResponse: "Enabled" });
    const ownTtl = await get(name, "own-ttl", { ExpirationTimeResponse: "Enabled" });
    expect(ms(reqTtl.ExpiresAt!)).toBe(ms(ts) + HOUR);
    expect(ms(ownTtl.ExpiresAt!)).toBe(ms(ts) + 5 * 60_000);
  });

  it("more than 25 entries is a ValidationError and writes nothing", async () => {
    const { name } = await createGroup();
    const Entries = Array.from({ length: 26 }, (_, i) => ({ FeatureGroupName: name, Record: rec({ id: `r${i}`, ts: at(1) }) }));
    await rejection(runtime.send(new BatchWriteRecordCommand({ Entries })), ValidationError);
    expect(await read(name, "r0")).toBeUndefined();
  });
});

describe("ListRecords", () => {
  it("pages through every identifier to the end, each page within MaxResults and no identifier twice", async () => {
    const { name } = await createGroup();
    const ids = Array.from({ length: 23 }, (_, i) => `rec-${String(i).padStart(2, "0")}`);
    for (let i = 0; i < ids.length; i += 25) {
      await runtime.send(new BatchWriteRecordCommand({ Entries: ids.slice(i, i + 25).map((id) => ({ FeatureGroupName: name, Record: rec({ id, ts: at(1) }) })) }));
    }
    const seen: string[] = [];
    let NextToken: string | undefined;
    let pages = 0;
    do {
      const page = await runtime.send(new ListRecordsCommand({ FeatureGroupName: name, MaxResults: 5, ...(NextToken ? { NextToken } : {}) }));
      expect(page.RecordIdentifiers!.length).toBeLessThanOrEqual(5);
      seen.push(...page.RecordIdentifiers!);
      NextToken = page.NextToken;
      pages += 1;
      expect(pages).toBeLessThan(20);
    } while (NextToken);
    expect(seen).toHaveLength(ids.length);
    expect([...seen].sort()).toEqual(ids);

    // The SDK's paginator walks the same pages.
    const viaPaginator: string[] = [];
    for await (const page of paginateListRecords({ client: runtime, pageSize: 7 }, { FeatureGroupName: name })) viaPaginator.push(...page.RecordIdentifiers!);
    expect([...viaPaginator].sort()).toEqual(ids);
  });

  it("on a feature group that does not exist is ResourceNotFound", async () => {
    await rejection(runtime.send(new ListRecordsCommand({ FeatureGroupName: uniqueName("missing") })), ResourceNotFound);
  });

  it("with MaxResults outside 1..100 is a ValidationError", async () => {
    const { name } = await createGroup();
    await rejection(runtime.send(new ListRecordsCommand({ FeatureGroupName: name, MaxResults: 101 })), ValidationError);
    await rejection(runtime.send(new ListRecordsCommand({ FeatureGroupName: name, MaxResults: 0 })), ValidationError);
  });

  it("rejects a NextToken it did not issue with a ValidationError", async () => {
    const { name } = await createGroup();
    await rejection(runtime.send(new ListRecordsCommand({ FeatureGroupName: name, NextToken: "not-a-token" })), ValidationError);
  });
});

describe("UpdateRecord", () => {
  const update = (FeatureGroupName: string, id: string, values: Record<string, string | string[]>, extra: Partial<ConstructorParameters<typeof UpdateRecordCommand>[0]> = {}) =>
    runtime.send(new UpdateRecordCommand({ FeatureGroupName, RecordIdentifierValueAsString: id, Features: rec(values), ...extra }));

  it("merges the given features into the stored record and keeps the others", async () => {
    const { name } = await createGroup();
    await put(name, { id: "u1", ts: at(10), age: "1", city: "Paris" });
    const out = await update(name, "u1", { age: "2" });
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(await read(name, "u1")).toEqual({ id: "u1", ts: at(10), age: "2", city: "Paris" });
    await update(name, "u1", { ts: at(20), score: "0.25" });
    expect(await read(name, "u1")).toEqual({ id: "u1", ts: at(20), age: "2", city: "Paris", score: "0.25" });
  });

  it("with the stored event time merges like a newer one", async () => {
    const { name } = await createGroup();
    await put(name, { id: "u1", ts: at(10), age: "1" });
    await update(name, "u1", { ts: at(10), city: "Oslo" });
    expect(await read(name, "u1")).toEqual({ id: "u1", ts: at(10), age: "1", city: "Oslo" });
  });

  it("of a soft-deleted or expired record is ResourceNotFound and brings nothing back", async () => {
    const { name } = await createGroup();
    await put(name, { id: "deleted", ts: at(10), age: "1" });
    await runtime.send(new DeleteRecordCommand({ FeatureGroupName: name, RecordIdentifierValueAsString: "deleted", EventTime: at(20) }));
    await rejection(update(name, "deleted", { age: "2" }), ResourceNotFound);
    expect(await read(name, "deleted")).toBeUndefined();
    await put(name, { id: "expired", ts: fromNow(-7200), age: "1" }, { TtlDuration: { Unit: "Hours", Value: 1 } });
    await rejection(update(name, "expired", { age: "2" }), ResourceNotFound);
    expect(await read(name, "expired")).toBeUndefined();
  });

  it("of a record that does not exist is ResourceNotFound and creates nothing", async () => {
    const { name } = await createGroup();
    const error = await rejection(update(name, "ghost", { age: "1" }), ResourceNotFound);
    expect(error.$metadata.httpStatusCode).toBe(404);
    expect(await read(name, "ghost")).toBeUndefined();
  });

  it("with an event time older than the stored one is a ConflictException (409) and changes nothing", async () => {
    const { name } = await createGroup();
    await put(name, { id: "u1", ts: at(10), age: "1" });
    const error = await rejection(update(name, "u1", { ts: at(5), age: "9" }), ConflictException);
    expect(error.$metadata.httpStatusCode).toBe(409);
    expect(error.$fault).toBe("client");
    expect(await read(name, "u1")).toEqual({ id: "u1", ts: at(10), age: "1" });
  });

  it("with a value of the wrong type is a ValidationError and changes nothing", async () => {
    const { name } = await createGroup();
    await put(name, { id: "u1", ts: at(10), age: "1" });
    await rejection(update(name, "u1", { age: "x" }), ValidationError);
    expect(await read(name, "u1")).toEqual({ id: "u1", ts: at(10), age: "1" });
  });

  it("with a TtlDuration gives the merged record that expiry", async () => {
    const { name } = await createGroup();
    const ts = fromNow(-60);
    await put(name, { id: "u1", ts, age: "1" });
    await update(name, "u1", { age: "2" }, { TtlDuration: { Unit: "Hours", Value: 3 } });
    const out = await get(name, "u1", { ExpirationTimeResponse: "Enabled" });
    expect(plain(out.Record)).toEqual({ id: "u1", ts, age: "2" });
    expect(ms(out.ExpiresAt!)).toBe(ms(ts) + 3 * HOUR);
  });
});

describe("collections", () => {
  const features = [
    { FeatureName: "id", FeatureType: "String" as const },
    { FeatureName: "ts", FeatureType: "String" as const },
    { FeatureName: "tags", FeatureType: "String" as const, CollectionType: "List" as const },
    { FeatureName: "codes", FeatureType: "Integral" as const, CollectionType: "Set" as const },
    { FeatureName: "emb", FeatureType: "Fractional" as const, CollectionType: "Vector" as const, CollectionConfig: { VectorConfig: { Dimension: 3 } } },
  ];

  it("List, Set and Vector features travel as ValueAsStringList and read back unchanged", async () => {
    const { name } = await createGroup({ features });
    const values = { id: "u1", ts: at(1), tags: ["b", "a", "b", "ünï"], codes: ["3", "1", "-9223372036854775808"], emb: ["0.5", "-1.25", "2"] };
    await put(name, values);
    const out = plain((await get(name, "u1")).Record)!;
    expect(out.tags).toEqual(["b", "a", "b", "ünï"]);
    expect([...(out.codes as string[])].sort()).toEqual(["-9223372036854775808", "1", "3"]);
    expect((out.emb as string[]).map(Number)).toEqual([0.5, -1.25, 2]);
    expect(plain((await get(name, "u1", { FeatureNames: ["tags"] })).Record)).toEqual({ tags: ["b", "a", "b", "ünï"] });
  });

  it.each([
    ["a Vector of the wrong dimension", { emb: ["1", "2"] }],
    ["a collection sent as ValueAsString", { tags: "a" }],
    ["a Set element that is not an integer", { codes: ["1", "x"] }],
  ])("%s is a ValidationError", async (_what, bad) => {
    const { name } = await createGroup({ features });
    await rejection(put(name, { id: "u1", ts: at(1), ...bad }), ValidationError);
    expect(await read(name, "u1")).toBeUndefined();
  });
});

describe("identifiers and names on the wire", () => {
  it("identifiers with unicode, spaces and URL-reserved characters round-trip through path, query and body", async () => {
    const { name } = await createGroup();
    const ids = ["ünïcødé-日本語-😀", "with space", "a/b?c=d&e#f%20+g", "tab\tand'quote\""];
    for (const [i, id] of ids.entries()) await put(name, { id, ts: at(10), city: `città-${i}-🌍` });
    for (const [i, id] of ids.entries()) expect(await read(name, id)).toEqual({ id, ts: at(10), city: `città-${i}-🌍` });

    const batch = await runtime.send(new BatchGetRecordCommand({ Identifiers: [{ FeatureGroupName: name, RecordIdentifiersValueAsString: ids }] }));
    expect(batch.Records!.map((r) => r.RecordIdentifierValueAsString).sort()).toEqual([...ids].sort());
    const listed = await runtime.send(new ListRecordsCommand({ FeatureGroupName: name }));
    expect([...listed.RecordIdentifiers!].sort()).toEqual([...ids].sort());

    await runtime.send(new DeleteRecordCommand({ FeatureGroupName: name, RecordIdentifierValueAsString: ids[2]!, EventTime: at(20), DeletionMode: "HardDelete" }));
    expect(await read(name, ids[2]!)).toBeUndefined();
    expect(await read(name, ids[0]!)).toMatchObject({ id: ids[0] });
  });

  it("a feature group ARN works as FeatureGroupName in every runtime operation", async () => {
    const { name, arn } = await createGroup();
    await put(arn, { id: "u1", ts: at(10), age: "1" });
    expect(plain((await get(arn, "u1")).Record)).toEqual({ id: "u1", ts: at(10), age: "1" });
    expect(await read(name, "u1")).toEqual({ id: "u1", ts: at(10), age: "1" });

    await runtime.send(new UpdateRecordCommand({ FeatureGroupName: arn, RecordIdentifierValueAsString: "u1", Features: rec({ city: "Bern" }) }));
    await runtime.send(new BatchWriteRecordCommand({ Entries: [{ FeatureGroupName: arn, Record: rec({ id: "u2", ts: at(10) }) }] }));
    const batch = await runtime.send(new BatchGetRecordCommand({ Identifiers: [{ FeatureGroupName: arn, RecordIdentifiersValueAsString: ["u1", "u2"] }] }));
    expect(batch.Errors).toEqual([]);
    expect(batch.Records!.map((r) => plain(r.Record))).toEqual(
      expect.arrayContaining([
        { id: "u1", ts: at(10), age: "1", city: "Bern" },
        { id: "u2", ts: at(10) },
      ]),
    );
    const listed = await runtime.send(new ListRecordsCommand({ FeatureGroupName: arn }));
    expect([...listed.RecordIdentifiers!].sort()).toEqual(["u1", "u2"]);
    await runtime.send(new DeleteRecordCommand({ FeatureGroupName: arn, RecordIdentifierValueAsString: "u1", EventTime: at(20) }));
    expect(await read(name, "u1")).toBeUndefined();
  });

  it("an ARN naming another account is not accepted as this account's feature group", async () => {
    const { name } = await createGroup();
    await put(name, { id: "u1", ts: at(10) });
    const foreign = `arn:aws:sagemaker:us-east-1:999999999999:feature-group/${name}`;
    await expect(get(foreign, "u1")).rejects.toBeInstanceOf(Error);
  });
});

describe("TargetStores", () => {
  it("a write or delete targeting only the OfflineStore leaves the online record alone", async () => {
    const { name } = await createGroup({ offline: true });
    await put(name, { id: "u1", ts: at(10), age: "1" });
    await put(name, { id: "u1", ts: at(20), age: "2" }, { TargetStores: ["OfflineStore"] });
    expect(await read(name, "u1")).toEqual({ id: "u1", ts: at(10), age: "1" });
    await put(name, { id: "u1", ts: at(30), age: "3" }, { TargetStores: ["OnlineStore"] });
    expect(await read(name, "u1")).toEqual({ id: "u1", ts: at(30), age: "3" });
    await runtime.send(new DeleteRecordCommand({ FeatureGroupName: name, RecordIdentifierValueAsString: "u1", EventTime: at(40), TargetStores: ["OfflineStore"] }));
    expect(await read(name, "u1")).toEqual({ id: "u1", ts: at(30), age: "3" });
    await runtime.send(new DeleteRecordCommand({ FeatureGroupName: name, RecordIdentifierValueAsString: "u1", EventTime: at(50), TargetStores: ["OnlineStore", "OfflineStore"] }));
    expect(await read(name, "u1")).toBeUndefined();
  });

  it("targeting a store the feature group does not have is a ValidationError and writes nothing", async () => {
    const { name } = await createGroup();
    await rejection(put(name, { id: "u1", ts: at(10) }, { TargetStores: ["OfflineStore"] }), ValidationError);
    await rejection(put(name, { id: "u1", ts: at(10) }, { TargetStores: ["OnlineStore", "OfflineStore"] }), ValidationError);
    expect(await read(name, "u1")).toBeUndefined();
  });
});

describe("regions", () => {
  it("clients signing for eu-west-1 are served, and ARNs carry the configured account", async () => {
    const region = "eu-west-1";
    const euControl = controlClient({ region });
    const euRuntime = runtimeClient({ region });
    const { name, arn } = await createGroup({ client: euControl });
    expect(arn).toMatch(arnPattern(name));
    const described = await euControl.send(new DescribeFeatureGroupCommand({ FeatureGroupName: name }));
    expect(described.FeatureGroupArn).toBe(arn);
    await euRuntime.send(new PutRecordCommand({ FeatureGroupName: name, Record: rec({ id: "u1", ts: at(1), city: "Dublin" }) }));
    const out = await euRuntime.send(new GetRecordCommand({ FeatureGroupName: name, RecordIdentifierValueAsString: "u1" }));
    expect(plain(out.Record)).toEqual({ id: "u1", ts: at(1), city: "Dublin" });
    // The same group through a us-east-1 client.
    expect(await read(name, "u1")).toEqual({ id: "u1", ts: at(1), city: "Dublin" });
  });
});
