// One behaviour contract, run through both APIs the worker serves: the native
// JSON API (/v1, bearer credential; docs/api.md) and the SageMaker runtime
// API (official SDK, SigV4; SAGEMAKER.md). Both adapters speak one interface
// in the SageMaker value form (every value a string, collections as lists),
// and a record written through one API must read identically through the other.
import { CreateFeatureGroupCommand, type FeatureDefinition } from "@aws-sdk/client-sagemaker";
import { DeleteRecordCommand, GetRecordCommand, PutRecordCommand, SageMakerFeatureStoreRuntimeServiceException } from "@aws-sdk/client-sagemaker-featurestore-runtime";
import { describe, expect, it } from "vitest";
import { at, control, fromNow, native, plain, rec, runtime, uniqueName } from "./support";

type Values = Record<string, string | string[]>;
type TtlUnit = "Seconds" | "Minutes" | "Hours" | "Days" | "Weeks";
interface Ttl {
  unit: TtlUnit;
  value: number;
}
interface FeatureSpec {
  name: string;
  type: "String" | "Integral" | "Fractional";
  collection?: "List" | "Set" | "Vector";
  dimension?: number;
}
/** Every contract group has the String identifier `id` and the String event time `ts`. */
interface GroupSpec {
  features: FeatureSpec[];
  ttl?: Ttl;
}
interface ReadResult {
  values: Values;
  /** ms since the epoch, when the record has a TTL. */
  expiresAt?: number;
}
type RefusalKind = "invalid" | "hardDeleteNotNewer";

/** A request the API refused, in that API's own terms. */
class Refused extends Error {
  constructor(
    readonly api: string,
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`${api} refused with ${status} ${code}: ${message}`);
  }
}

interface FeatureStoreApi {
  readonly name: string;
  /** How this API documents each refusal: the status and the accepted codes. */
  readonly refusals: Record<RefusalKind, { status: number; codes: string[] }>;
  createGroup(spec: GroupSpec): Promise<string>;
  put(group: string, values: Values, options?: { ttl?: Ttl }): Promise<void>;
  /** undefined for a miss (absent, deleted or expired). */
  get(group: string, id: string, features?: string[]): Promise<ReadResult | undefined>;
  delete(group: string, id: string, eventTime: string, mode: "soft" | "hard"): Promise<void>;
}

const BASE: FeatureSpec[] = [
  { name: "id", type: "String" },
  { name: "ts", type: "String" },
];

/** Feature types of every group the adapters created, so the native adapter can type its JSON. */
const schemas = new Map<string, Map<string, FeatureSpec>>();
function remember(name: string, spec: GroupSpec) {
  schemas.set(name, new Map([...BASE, ...spec.features].map((f) => [f.name, f])));
}

const SAFE_INTEGER = /^-?\d+$/;
const NUMBER = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** A SageMaker string value as the native API's typed JSON (docs/api.md "Values"). */
function typedScalar(type: FeatureSpec["type"] | undefined, value: string): unknown {
  if (type === "Integral" && SAFE_INTEGER.test(value)) {
    // docs/api.md: JSON numbers within ±(2^53-1), decimal strings beyond.
    return Number.isSafeInteger(Number(value)) ? Number(value) : value;
  }
  if (type === "Integral" && NUMBER.test(value)) return Number(value); // e.g. 4.5: sent as the JSON number a client would send
  if (type === "Fractional" && NUMBER.test(value)) return Number(value);
  return value;
}

function canonicalScalar(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  throw new Error(`unexpected native value ${JSON.stringify(value)}`);
}

const nativeApi: FeatureStoreApi = {
  name: "native",
  refusals: {
    invalid: { status: 400, codes: ["invalid_field", "unknown_feature"] },
    hardDeleteNotNewer: { status: 409, codes: ["event_time_not_newer"] },
  },
  async createGroup(spec) {
    const name = uniqueName("cn");
    const res = await native("POST", "/feature-groups", {
      name,
      recordIdentifierFeature: "id",
      eventTimeFeature: "ts",
      features: [...BASE, ...spec.features].map((f) => ({
        name: f.name,
        type: f.type,
        ...(f.collection ? { collection: { type: f.collection, ...(f.dimension ? { dimension: f.dimension } : {}) } } : {}),
      })),
      onlineStore: { enabled: true, ...(spec.ttl ? { ttl: spec.ttl } : {}) },
    });
    if (res.status !== 201) throw new Error(`native create failed: ${res.status} ${res.text}`);
    remember(name, spec);
    return name;
  },
  async put(group, values, options = {}) {
    const schema = schemas.get(group);
    const record: Record<string, unknown> = {};
    for (const [feature, value] of Object.entries(values)) {
      const type = schema?.get(feature)?.type;
      record[feature] = Array.isArray(value) ? value.map((v) => typedScalar(type, v)) : typedScalar(type, value);
    }
    const res = await native("PUT", `/feature-groups/${encodeURIComponent(group)}/records`, { record, ...(options.ttl ? { ttl: options.ttl } : {}) });
    if (res.status !== 200) throw new Refused("native", res.status, res.body?.error?.code, res.text);
  },
  async get(group, id, features) {
    const query = features ? `?features=${features.map(encodeURIComponent).join(",")}` : "";
    const res = await native("GET", `/feature-groups/${encodeURIComponent(group)}/records/${encodeURIComponent(id)}${query}`);
    if (res.status === 404 && res.body?.error?.code === "record_not_found") return undefined;
    if (res.status !== 200) throw new Refused("native", res.status, res.body?.error?.code, res.text);
    const values: Values = {};
    for (const [feature, value] of Object.entries(res.body.record as Record<string, unknown>)) {
      if (value === null) continue;
      values[feature] = Array.isArray(value) ? value.map(canonicalScalar) : canonicalScalar(value);
    }
    return { values, ...(res.body.expiresAt ? { expiresAt: Date.parse(res.body.expiresAt) } : {}) };
  },
  async delete(group, id, eventTime, mode) {
    const res = await native("DELETE", `/feature-groups/${encodeURIComponent(group)}/records/${encodeURIComponent(id)}?eventTime=${encodeURIComponent(eventTime)}&mode=${mode}`);
    if (res.status !== 200) throw new Refused("native", res.status, res.body?.error?.code, res.text);
  },
};

async function sageMakerCall<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof SageMakerFeatureStoreRuntimeServiceException) throw new Refused("sagemaker", error.$metadata.httpStatusCode ?? 0, error.name, error.message);
    throw error;
  }
}

const sageMakerApi: FeatureStoreApi = {
  name: "sagemaker",
  refusals: {
    invalid: { status: 400, codes: ["ValidationError"] },
    // SAGEMAKER.md: "HardDelete fails with ValidationError and writes nothing".
    hardDeleteNotNewer: { status: 400, codes: ["ValidationError"] },
  },
  async createGroup(spec) {
    const name = uniqueName("cs");
    const FeatureDefinitions: FeatureDefinition[] = [...BASE, ...spec.features].map((f) => ({
      FeatureName: f.name,
      FeatureType: f.type,
      ...(f.collection ? { CollectionType: f.collection } : {}),
      ...(f.dimension ? { CollectionConfig: { VectorConfig: { Dimension: f.dimension } } } : {}),
    }));
    await control.send(
      new CreateFeatureGroupCommand({
        FeatureGroupName: name,
        RecordIdentifierFeatureName: "id",
        EventTimeFeatureName: "ts",
        FeatureDefinitions,
        OnlineStoreConfig: { EnableOnlineStore: true, ...(spec.ttl ? { TtlDuration: { Unit: spec.ttl.unit, Value: spec.ttl.value } } : {}) },
      }),
    );
    remember(name, spec);
    return name;
  },
  async put(group, values, options = {}) {
    await sageMakerCall(
      runtime.send(
        new PutRecordCommand({ FeatureGroupName: group, Record: rec(values), ...(options.ttl ? { TtlDuration: { Unit: options.ttl.unit, Value: options.ttl.value } } : {}) }),
      ),
    );
  },
  async get(group, id, features) {
    const out = await sageMakerCall(
      runtime.send(
        new GetRecordCommand({ FeatureGroupName: group, RecordIdentifierValueAsString: id, ExpirationTimeResponse: "Enabled", ...(features ? { FeatureNames: features } : {}) }),
      ),
    );
    if (out.Record === undefined) return undefined;
    return { values: plain(out.Record)!, ...(out.ExpiresAt ? { expiresAt: Date.parse(out.ExpiresAt) } : {}) };
  },
  async delete(group, id, eventTime, mode) {
    await sageMakerCall(
      runtime.send(
        new DeleteRecordCommand({ FeatureGroupName: group, RecordIdentifierValueAsString: id, EventTime: eventTime, DeletionMode: mode === "hard" ? "HardDelete" : "SoftDelete" }),
      ),
    );
  },
};

const APIS = [nativeApi, sageMakerApi];

async function refusal(api: FeatureStoreApi, kind: RefusalKind, call: Promise<unknown>): Promise<Refused> {
  let outcome: unknown;
  try {
    outcome = await call;
  } catch (error) {
    if (!(error instanceof Refused)) throw error;
    const expected = api.refusals[kind];
    expect({ status: error.status, code: error.code }, error.message).toEqual({ status: expected.status, code: expect.toBeOneOf(expected.codes) });
    return error;
  }
  return expect.fail(`${api.name}: expected a ${kind} refusal, but the call succeeded with ${JSON.stringify(outcome)}`);
}

const RICH: GroupSpec = {
  features: [
    { name: "n", type: "Integral" },
    { name: "f", type: "Fractional" },
    { name: "s", type: "String" },
    { name: "tags", type: "String", collection: "List" },
    { name: "vec", type: "Fractional", collection: "Vector", dimension: 2 },
    { name: "big", type: "Integral" },
    { name: "bigs", type: "Integral", collection: "List" },
  ],
};
const SIMPLE: GroupSpec = {
  features: [
    { name: "n", type: "Integral" },
    { name: "f", type: "Fractional" },
    { name: "s", type: "String" },
  ],
};
const HOUR = 3600_000;

describe.each(APIS)("contract through the $name API", (api) => {
  it("reads back a record exactly as written, every type and collection", async () => {
    const group = await api.createGroup(RICH);
    const values = { id: "r1", ts: at(10), n: "-42", f: "0.5", s: "héllo ✓ 😀", tags: ["b", "a", "b"], vec: ["0.25", "-1.5"] };
    await api.put(group, values);
    expect(await api.get(group, "r1")).toEqual({ values });
  });

  it("reports a record never written as a miss", async () => {
    const group = await api.createGroup(SIMPLE);
    expect(await api.get(group, "nobody")).toBeUndefined();
  });

  it("keeps the greatest event time: an older write is ignored and an equal one wins as the later write", async () => {
    const group = await api.createGroup(SIMPLE);
    await api.put(group, { id: "r1", ts: at(20), n: "1" });
    await api.put(group, { id: "r1", ts: at(10), n: "2" });
    expect((await api.get(group, "r1"))?.values).toEqual({ id: "r1", ts: at(20), n: "1" });
    await api.put(group, { id: "r1", ts: at(20), n: "3" });
    expect((await api.get(group, "r1"))?.values).toEqual({ id: "r1", ts: at(20), n: "3" });
  });

  it("orders event times at nanosecond precision", async () => {
    const group = await api.createGroup(SIMPLE);
    await api.put(group, { id: "r1", ts: "2026-01-01T00:00:00.000000002Z", n: "2" });
    await api.put(group, { id: "r1", ts: "2026-01-01T00:00:00.000000001Z", n: "1" });
    expect((await api.get(group, "r1"))?.values).toEqual({ id: "r1", ts: "2026-01-01T00:00:00.000000002Z", n: "2" });
  });

  it("treats a write as a full overwrite: features it leaves out are absent", async () => {
    const group = await api.createGroup(SIMPLE);
    await api.put(group, { id: "r1", ts: at(10), n: "1", s: "x" });
    await api.put(group, { id: "r1", ts: at(20), f: "2.5" });
    expect((await api.get(group, "r1"))?.values).toEqual({ id: "r1", ts: at(20), f: "2.5" });
  });

  it("reads a subset of features", async () => {
    const group = await api.createGroup(SIMPLE);
    await api.put(group, { id: "r1", ts: at(10), n: "7", f: "0.75", s: "x" });
    expect((await api.get(group, "r1", ["n", "s"]))?.values).toEqual({ n: "7", s: "x" });
  });

  it("soft delete hides the record, still orders older writes, and a newer write shows again", async () => {
    const group = await api.createGroup(SIMPLE);
    await api.put(group, { id: "r1", ts: at(10), n: "1" });
    await api.delete(group, "r1", at(20), "soft");
    expect(await api.get(group, "r1")).toBeUndefined();
    await api.put(group, { id: "r1", ts: at(15), n: "2" });
    expect(await api.get(group, "r1")).toBeUndefined();
    await api.put(group, { id: "r1", ts: at(30), n: "3" });
    expect((await api.get(group, "r1"))?.values).toEqual({ id: "r1", ts: at(30), n: "3" });
  });

  it("soft delete with an older event time than the record leaves it served", async () => {
    const group = await api.createGroup(SIMPLE);
    await api.put(group, { id: "r1", ts: at(10), n: "1" });
    await api.delete(group, "r1", at(9), "soft");
    expect((await api.get(group, "r1"))?.values).toEqual({ id: "r1", ts: at(10), n: "1" });
  });

  it("soft delete at the record's event time is the later write: the record is no longer served, as offline", async () => {
    const group = await api.createGroup(SIMPLE);
    await api.put(group, { id: "r1", ts: at(10), n: "1" });
    await api.delete(group, "r1", at(10), "soft");
    expect(await api.get(group, "r1")).toBeUndefined();
  });

  it("hard delete removes the record, after which an older write may land", async () => {
    const group = await api.createGroup(SIMPLE);
    await api.put(group, { id: "r1", ts: at(10), n: "1" });
    await api.delete(group, "r1", at(20), "hard");
    expect(await api.get(group, "r1")).toBeUndefined();
    await api.put(group, { id: "r1", ts: at(5), n: "2" });
    expect((await api.get(group, "r1"))?.values).toEqual({ id: "r1", ts: at(5), n: "2" });
  });

  it("refuses a hard delete not newer than the record and deletes nothing", async () => {
    const group = await api.createGroup(SIMPLE);
    await api.put(group, { id: "r1", ts: at(10), n: "1" });
    await refusal(api, "hardDeleteNotNewer", api.delete(group, "r1", at(10), "hard"));
    await refusal(api, "hardDeleteNotNewer", api.delete(group, "r1", at(9), "hard"));
    expect((await api.get(group, "r1"))?.values).toEqual({ id: "r1", ts: at(10), n: "1" });
  });

  it("gives expiresAt = event time + TTL, the record's TTL overriding the group's", async () => {
    const group = await api.createGroup({ ...SIMPLE, ttl: { unit: "Days", value: 2 } });
    const ts = fromNow(-60);
    await api.put(group, { id: "group-ttl", ts });
    await api.put(group, { id: "own-ttl", ts }, { ttl: { unit: "Minutes", value: 90 } });
    expect(await api.get(group, "group-ttl")).toEqual({ values: { id: "group-ttl", ts }, expiresAt: Date.parse(ts) + 48 * HOUR });
    expect(await api.get(group, "own-ttl")).toEqual({ values: { id: "own-ttl", ts }, expiresAt: Date.parse(ts) + 90 * 60_000 });
  });

  it("does not serve a record whose TTL has passed", async () => {
    const group = await api.createGroup(SIMPLE);
    await api.put(group, { id: "r1", ts: fromNow(-2 * 3600), n: "1" }, { ttl: { unit: "Hours", value: 1 } });
    expect(await api.get(group, "r1")).toBeUndefined();
  });

  it("keeps int64 values beyond 2^53 exact", async () => {
    const group = await api.createGroup(RICH);
    for (const big of ["9007199254740993", "-9007199254740993", "9223372036854775807", "-9223372036854775808"]) {
      const values = { id: `r${big}`, ts: at(1), big, bigs: [big, "1"] };
      await api.put(group, values);
      expect((await api.get(group, `r${big}`))?.values).toEqual(values);
    }
  });

  it.each<[string, Values]>([
    ["a non-integer Integral", { n: "4.5" }],
    ["an Integral beyond int64", { n: "9223372036854775808" }],
    ["a non-numeric Fractional", { f: "abc" }],
    ["a feature the group lacks", { nope: "1" }],
    ["an event time that is not ISO-8601", { ts: "01/01/2026" }],
    ["a Vector of the wrong dimension", { vec: ["1", "2", "3"] }],
  ])("refuses a write with %s and changes nothing", async (_what, bad) => {
    const group = await api.createGroup(RICH);
    const original = { id: "r1", ts: at(10), n: "1", s: "kept" };
    await api.put(group, original);
    await refusal(api, "invalid", api.put(group, { id: "r1", ts: at(20), n: "2", ...bad }));
    expect((await api.get(group, "r1"))?.values).toEqual(original);
  });

  it("refuses a write without the identifier or the event time and writes nothing", async () => {
    const group = await api.createGroup(SIMPLE);
    await refusal(api, "invalid", api.put(group, { ts: at(10), n: "1" }));
    await refusal(api, "invalid", api.put(group, { id: "r1", n: "1" }));
    expect(await api.get(group, "r1")).toBeUndefined();
  });
});

describe.each([
  { name: "native", writer: nativeApi, other: sageMakerApi },
  { name: "sagemaker", writer: sageMakerApi, other: nativeApi },
])("a record written through the $name API", ({ writer, other }) => {
  it(`reads identically through both APIs (${writer.name} → ${other.name})`, async () => {
    const group = await writer.createGroup({ ...RICH, ttl: { unit: "Hours", value: 5 } });
    const ts = fromNow(-120);
    const values = { id: "ünï/code ✓", ts, n: "-7", f: "3.75", s: "Zürich", tags: ["x", "y"], vec: ["1.5", "-0.125"], big: "9223372036854775807", bigs: ["-9223372036854775808"] };
    await writer.put(group, values, { ttl: { unit: "Minutes", value: 45 } });
    const viaWriter = await writer.get(group, values.id);
    const viaOther = await other.get(group, values.id);
    expect(viaWriter).toEqual({ values, expiresAt: Date.parse(ts) + 45 * 60_000 });
    expect(viaOther).toEqual(viaWriter);
    expect(await other.get(group, values.id, ["big", "tags"])).toEqual({ values: { big: values.big, tags: values.tags }, expiresAt: Date.parse(ts) + 45 * 60_000 });
  });

  it(`sees a delete made through the other API (${other.name} deletes what ${writer.name} wrote)`, async () => {
    const group = await writer.createGroup(SIMPLE);
    await writer.put(group, { id: "r1", ts: at(10), n: "1" });
    await writer.put(group, { id: "r2", ts: at(10), n: "2" });
    await other.delete(group, "r1", at(20), "soft");
    await other.delete(group, "r2", at(20), "hard");
    for (const api of [writer, other]) {
      expect(await api.get(group, "r1")).toBeUndefined();
      expect(await api.get(group, "r2")).toBeUndefined();
    }
    // The tombstone left by the other API still orders the writer's older writes.
    await writer.put(group, { id: "r1", ts: at(15), n: "3" });
    expect(await other.get(group, "r1")).toBeUndefined();
  });

  it(`orders writes from both APIs by event time alone (${writer.name} then ${other.name})`, async () => {
    const group = await writer.createGroup(SIMPLE);
    await writer.put(group, { id: "r1", ts: at(20), n: "1" });
    await other.put(group, { id: "r1", ts: at(10), n: "2" });
    expect((await writer.get(group, "r1"))?.values).toEqual({ id: "r1", ts: at(20), n: "1" });
    await other.put(group, { id: "r1", ts: at(20), n: "3" });
    expect((await writer.get(group, "r1"))?.values).toEqual({ id: "r1", ts: at(20), n: "3" });
  });
});

describe("the native API's int64 rule for records written through SageMaker", () => {
  it("answers safe integers as JSON numbers and larger ones as decimal strings", async () => {
    const group = await sageMakerApi.createGroup(RICH);
    await sageMakerApi.put(group, { id: "r1", ts: at(1), n: "9007199254740991", big: "9007199254740992", bigs: ["1", "-9223372036854775808"] });
    const res = await native("GET", `/feature-groups/${group}/records/r1`);
    expect(res.status).toBe(200);
    expect(res.body.record).toEqual({ id: "r1", ts: at(1), n: 9007199254740991, big: "9007199254740992", bigs: [1, "-9223372036854775808"] });
  });
});
