import { env } from "cloudflare:test";
import { catalogDb } from "../../src/catalog";
import { dataKeyLookup } from "../../src/crypto/offline-objects";
import { compactOffline, DEFAULT_COMPACTION_POLICY } from "../../src/offline/compaction";
import { describe, expect, it } from "vitest";
import { encodeParquet, type OfflineRowValues } from "../../src/offline/parquet";
import type { FeatureDefinition } from "../../src/records";
import { api, createGroup } from "../helpers";
import { manifest, offlineRows } from "./support";

/** POST /v1/feature-groups/{name}/offline-store/files against real D1 and R2 in workerd. */

const FEATURES: FeatureDefinition[] = [
  { name: "id", type: "String" },
  { name: "ts", type: "String" },
  { name: "age", type: "Integral" },
];
const PARTITION = "year=2026/month=03/day=01/hour=10";
const EVENT_MS = Date.UTC(2026, 2, 1, 10, 15);
const WRITE_MS = Date.UTC(2026, 2, 2);

function rows(n: number, from = 0): OfflineRowValues[] {
  return Array.from({ length: n }, (_, j) => j + from).map((i) => ({
    values: { id: `u${i}`, ts: new Date(EVENT_MS + i * 1000).toISOString(), age: i },
    writeTimeMs: WRITE_MS,
    apiInvocationTimeMs: WRITE_MS,
    isDeleted: false,
    writeSequence: WRITE_MS * 1000 + i,
    availableTimeMs: EVENT_MS + i * 1000,
  }));
}

async function groupWithPrefix(): Promise<{ group: string; prefix: string }> {
  const group = await createGroup({ offline: true, shardCount: 1, features: [{ name: "age", type: "Integral" }] });
  const { generation } = (await api("GET", `/v1/feature-groups/${group}`)).body as { generation: string };
  return { group, prefix: `offline-store/${group}/${generation}/data` };
}

async function upload(key: string, bytes: Uint8Array): Promise<void> {
  await env.OFFLINE_BUCKET.put(key, bytes);
}

function body(key: string, bytes: Uint8Array, n: number, extra: Record<string, unknown> = {}) {
  return {
    key,
    fileId: "input-1:0",
    partition: PARTITION,
    rows: n,
    bytes: bytes.byteLength,
    minEventTime: new Date(EVENT_MS).toISOString(),
    maxEventTime: new Date(EVENT_MS + (n - 1) * 1000).toISOString(),
    minWriteTime: WRITE_MS,
    maxWriteTime: WRITE_MS,
    ...extra,
  };
}

describe("registering externally written offline files", () => {
  it("adds a verified file to the manifest, readable like the consumer's files, and answers the same when repeated", async () => {
    const { group, prefix } = await groupWithPrefix();
    const key = `${prefix}/${PARTITION}/backfill-abc.parquet`;
    const bytes = encodeParquet(FEATURES, rows(3));
    await upload(key, bytes);
    const first = await api("POST", `/v1/feature-groups/${group}/offline-store/files`, body(key, bytes, 3));
    expect(first.status, first.text).toBe(200);
    expect(first.body.file).toMatchObject({ key, partition: PARTITION, rowCount: 3, byteSize: bytes.byteLength, minWriteTime: new Date(WRITE_MS).toISOString() });
    const again = await api("POST", `/v1/feature-groups/${group}/offline-store/files`, body(key, bytes, 3));
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(await manifest(group)).toEqual([{ key, partition: PARTITION, row_count: 3, state: "active" }]);
    const store = (await api("GET", `/v1/feature-groups/${group}/offline-store`)).body;
    expect(store.stats).toMatchObject({ files: 1, rows: 3 });
    expect((await offlineRows(group)).map((r) => r.id)).toEqual(["u0", "u1", "u2"]);
  });

  it("refuses keys outside the group's own data prefix, whatever the path tricks", async () => {
    const { group, prefix } = await groupWithPrefix();
    const other = await groupWithPrefix();
    const bytes = encodeParquet(FEATURES, rows(1));
    const tricks = [
      `${other.prefix}/${PARTITION}/x.parquet`,
      `${prefix}/../../${other.group}/${PARTITION}/x.parquet`,
      `${prefix}/${PARTITION}/../../../../x.parquet`,
      `${prefix}/${PARTITION}/%2e%2e/x.parquet`,
      `${prefix}//${PARTITION}/x.parquet`,
      `${prefix}/${PARTITION}/sub/x.parquet`,
      `${prefix}/${PARTITION}/x.csv`,
      `/${prefix}/${PARTITION}/x.parquet`,
      `offline-store/_staging/${PARTITION}/x.parquet`,
    ];
    for (const key of tricks) {
      await upload(key, bytes);
      const res = await api("POST", `/v1/feature-groups/${group}/offline-store/files`, body(key, bytes, 1));
      expect(res.status, key).toBe(400);
      expect(res.body.error.message, key).toContain("key");
    }
    expect(await manifest(group)).toEqual([]);
    expect(await manifest(other.group)).toEqual([]);
  });

  it("names the field when the body disagrees with the object or the partition", async () => {
    const { group, prefix } = await groupWithPrefix();
    const key = `${prefix}/${PARTITION}/f1.parquet`;
    const bytes = encodeParquet(FEATURES, rows(2));
    await upload(key, bytes);
    const cases: [Record<string, unknown>, string][] = [
      [{ rows: 5 }, "rows"],
      [{ bytes: bytes.byteLength + 1 }, "bytes"],
      [{ partition: "year=2026/month=03/day=01/hour=11" }, "partition"],
      [{ maxEventTime: "2026-03-01T11:00:00Z" }, "maxEventTime"],
      [{ minEventTime: "yesterday" }, "minEventTime"],
      [{ maxWriteTime: Date.now() + 3_600_000 }, "maxWriteTime"],
      [{ fileId: "../x" }, "fileId"],
    ];
    for (const [extra, field] of cases) {
      const res = await api("POST", `/v1/feature-groups/${group}/offline-store/files`, body(key, bytes, 2, extra));
      expect(res.status, field).toBe(400);
      expect(res.body.error.message, field).toContain(field);
    }
    expect(await manifest(group)).toEqual([]);
  });

  it("refuses a missing object, a non-Parquet object and a file whose columns differ from the group's", async () => {
    const { group, prefix } = await groupWithPrefix();
    const missing = `${prefix}/${PARTITION}/missing.parquet`;
    const res = await api("POST", `/v1/feature-groups/${group}/offline-store/files`, body(missing, new Uint8Array(10), 1));
    expect(res.status).toBe(404);

    const text = `${prefix}/${PARTITION}/text.parquet`;
    const textBytes = new TextEncoder().encode("id,ts\nu1,2026-03-01T10:15:00Z\n");
    await upload(text, textBytes);
    const notParquet = await api("POST", `/v1/feature-groups/${group}/offline-store/files`, body(text, textBytes, 1));
    expect(notParquet.status).toBe(400);
    expect(notParquet.body.error.message).toContain("not parquet");

    const wrong = `${prefix}/${PARTITION}/wrong.parquet`;
    const wrongBytes = encodeParquet([...FEATURES.slice(0, 2), { name: "age", type: "Fractional" }], rows(1));
    await upload(wrong, wrongBytes);
    const mismatch = await api("POST", `/v1/feature-groups/${group}/offline-store/files`, body(wrong, wrongBytes, 1));
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.error.message).toContain("column 3 is age Float64, expected age Int64");
    expect(await manifest(group)).toEqual([]);
  });

  it("reports a conflict when the same key or fileId comes back with other contents", async () => {
    const { group, prefix } = await groupWithPrefix();
    const key = `${prefix}/${PARTITION}/f2.parquet`;
    const bytes = encodeParquet(FEATURES, rows(2));
    await upload(key, bytes);
    expect((await api("POST", `/v1/feature-groups/${group}/offline-store/files`, body(key, bytes, 2))).status).toBe(200);
    const changed = await api("POST", `/v1/feature-groups/${group}/offline-store/files`, body(key, bytes, 2, { maxWriteTime: WRITE_MS + 1 }));
    expect(changed.status).toBe(409);
    const otherKey = `${prefix}/${PARTITION}/f3.parquet`;
    await upload(otherKey, bytes);
    const reused = await api("POST", `/v1/feature-groups/${group}/offline-store/files`, body(otherKey, bytes, 2));
    expect(reused.status).toBe(409);
    expect(reused.body.error.message).toContain("fileId");
    expect((await manifest(group)).map((f) => f.key)).toEqual([key]);
  });

  it("lets compaction merge registered files like any other, and a repeated registration of a merged file adds nothing", async () => {
    const { group, prefix } = await groupWithPrefix();
    const registrations = [];
    for (let f = 0; f < 4; f++) {
      const key = `${prefix}/${PARTITION}/part-${f}.parquet`;
      const bytes = encodeParquet(FEATURES, rows(2, f * 2));
      await upload(key, bytes);
      const request = body(key, bytes, 2, { fileId: `input-1:${f}`, minEventTime: new Date(EVENT_MS + f * 2000).toISOString(), maxEventTime: new Date(EVENT_MS + f * 2000 + 1000).toISOString() });
      const res = await api("POST", `/v1/feature-groups/${group}/offline-store/files`, request);
      expect(res.status, res.text).toBe(200);
      registrations.push({ request, answer: res.body });
    }
    const report = await compactOffline({ db: catalogDb(env.DB), bucket: env.OFFLINE_BUCKET, location: env, now: Date.now(), keys: dataKeyLookup(catalogDb(env.DB), env) }, { ...DEFAULT_COMPACTION_POLICY, minFiles: 4 });
    expect(report.merged).toEqual([expect.objectContaining({ partition: PARTITION, inputs: 4, rows: 8 })]);
    const again = await api("POST", `/v1/feature-groups/${group}/offline-store/files`, registrations[0]!.request);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(registrations[0]!.answer);
    const active = (await manifest(group)).filter((f) => f.state === "active");
    expect(active).toHaveLength(1);
    expect((await offlineRows(group)).map((r) => r.id).sort()).toEqual(["u0", "u1", "u2", "u3", "u4", "u5", "u6", "u7"]);
  });

  it("accepts event times before 1970 in their own partition", async () => {
    const { group, prefix } = await groupWithPrefix();
    const partition = "year=1969/month=07/day=20/hour=20";
    const eventMs = Date.UTC(1969, 6, 20, 20, 17);
    const key = `${prefix}/${partition}/moon.parquet`;
    const bytes = encodeParquet(FEATURES, [{ values: { id: "m1", ts: new Date(eventMs).toISOString(), age: 1 }, writeTimeMs: WRITE_MS, apiInvocationTimeMs: WRITE_MS, isDeleted: false, writeSequence: WRITE_MS * 1000, availableTimeMs: eventMs }]);
    await upload(key, bytes);
    const res = await api("POST", `/v1/feature-groups/${group}/offline-store/files`, body(key, bytes, 1, { partition, minEventTime: eventMs, maxEventTime: eventMs }));
    expect(res.status, res.text).toBe(200);
    expect(res.body.file).toMatchObject({ partition, minEventTime: "1969-07-20T20:17:00.000Z" });
  });

  it("answers 404 for an unknown group and 400 for a group without an offline store, registering nothing", async () => {
    const missing = await api("POST", "/v1/feature-groups/no-such-group/offline-store/files", body("offline-store/no-such-group/x/data/year=2026/month=03/day=01/hour=10/a.parquet", new Uint8Array(1), 1));
    expect(missing.status).toBe(404);
    const onlineOnly = await createGroup({ offline: false, shardCount: 1 });
    const res = await api("POST", `/v1/feature-groups/${onlineOnly}/offline-store/files`, body(`offline-store/${onlineOnly}/x/data/${PARTITION}/a.parquet`, new Uint8Array(1), 1));
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain("has no offline store");
    const notJson = await api("POST", `/v1/feature-groups/${onlineOnly}/offline-store/files`, "{not json");
    expect(notJson.status).toBe(400);
  });
});
