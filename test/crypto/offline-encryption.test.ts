import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { catalogDb } from "../../src/catalog";
import { groupDataKeys } from "../../src/crypto/data-keys";
import { dataKeyLookup, objectKeyVersion } from "../../src/crypto/offline-objects";
import { compactOffline, DEFAULT_COMPACTION_POLICY } from "../../src/offline/compaction";
import { consumeOfflineBatch } from "../../src/offline/consumer";
import type { OfflineMessage } from "../../src/offline/message";
import { api, putRecord } from "../helpers";
import { captureDrain } from "../offline/harness";
import { settle } from "../offline/support";
import { createEncryptedGroup, readAllVersions } from "./support";

/**
 * The offline store of an encrypted group: outbox rows travel sealed, the
 * writer opens them with the online key and writes every Parquet object with
 * SSE-C under the offline key version its name carries; compaction and the
 * query worker read with the same key. Local R2 accepts but does not enforce
 * SSE-C (docs/security-encryption.md), so these tests check the key our code
 * hands R2 for every object, and that time travel reads across rotations.
 */

interface BucketCall {
  op: "put" | "get";
  key: string;
  ssecKey: string | null;
}

/** Passes everything to the real bucket and records which SSE-C key each put and get carried (as hex). */
function recordingBucket(inner: R2Bucket): { bucket: R2Bucket; calls: BucketCall[] } {
  const calls: BucketCall[] = [];
  const hex = (key: unknown) => (key instanceof ArrayBuffer ? [...new Uint8Array(key)].map((b) => b.toString(16).padStart(2, "0")).join("") : typeof key === "string" ? key : null);
  const bucket = new Proxy(inner, {
    get(target, prop) {
      if (prop === "put") return (key: string, value: unknown, options?: R2PutOptions) => (calls.push({ op: "put", key, ssecKey: hex(options?.ssecKey) }), target.put(key, value as string, options));
      if (prop === "get") return (key: string, options?: R2GetOptions) => (calls.push({ op: "get", key, ssecKey: hex(options?.ssecKey) }), target.get(key, options));
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { bucket, calls };
}

async function offlineKeyHex(generation: string, version: number): Promise<string> {
  const keys = await groupDataKeys(catalogDb(env.DB), env, generation, Date.now());
  if (!keys.ok) throw new Error("keys");
  const raw = keys.value.offline!.keys.find((k) => k.version === version)!.raw;
  return [...raw].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function consume(messages: OfflineMessage[], bucket: R2Bucket) {
  const batch = createMessageBatch("feature-store-offline", messages.map((body, i) => ({ id: `enc-${Date.now()}-${i}`, timestamp: new Date(), attempts: 1, body })));
  const db = catalogDb(env.DB);
  const report = await consumeOfflineBatch(batch, { db, bucket, location: env, now: Date.now, keys: dataKeyLookup(db, env) });
  await getQueueResult(batch, createExecutionContext());
  return report;
}

const asOf = (group: string) => api("GET", `/v1/feature-groups/${group}/as-of?eventTime=2026-06-01T00:00:00Z`);
const SECRET = "Ouagadougou-Plaintext-Marker";

describe("offline encryption at rest", () => {
  it("writes, compacts and reads SSE-C objects under the key version in their names, across a rotation", async () => {
    const { name, generation } = await createEncryptedGroup({ online: true, offline: true });
    // Before the rotation: the real pipeline (queue → consumer → R2 → manifest).
    await putRecord(name, { id: "u1", ts: "2026-01-01T10:00:00Z", age: 1, city: SECRET });
    await putRecord(name, { id: "u2", ts: "2026-01-01T10:05:00Z", age: 2 });
    await settle(name, 2);
    const first = (await env.DB.prepare("SELECT key FROM offline_files WHERE generation = ?").bind(generation).all<{ key: string }>()).results;
    expect(first.map((f) => objectKeyVersion(f.key))).toEqual([1]);

    expect((await api("POST", `/v1/admin/feature-groups/${name}/keys/rotate?store=offline`)).body.activeKeyVersion).toBe(2);

    // After the rotation: rows captured off the shard are still sealed; the writer opens them and puts with key version 2.
    await putRecord(name, { id: "u1", ts: "2026-01-01T10:30:00Z", age: 3, city: SECRET });
    await putRecord(name, { id: "u3", ts: "2026-01-01T10:40:00Z", age: 4 });
    const messages = await captureDrain(name);
    for (const row of messages.flatMap((m) => m.rows ?? [])) expect(row.body).toMatch(/^fse1\./);
    expect(JSON.stringify(messages)).not.toContain(SECRET);
    const writer = recordingBucket(env.OFFLINE_BUCKET);
    const report = await consume(messages, writer.bucket);
    expect(report.acknowledged).toBe(1);
    const puts = writer.calls.filter((c) => c.op === "put");
    expect(puts).toHaveLength(1);
    expect(puts[0]!.key).toMatch(/-k2\.parquet$/);
    expect(puts[0]!.ssecKey).toBe(await offlineKeyHex(generation, 2));

    // The reader sends each object's own key version.
    const reader = recordingBucket(env.OFFLINE_BUCKET);
    const db = catalogDb(env.DB);
    const read = await readAllVersions(db, reader.bucket, dataKeyLookup(db, env), generation);
    expect(read.ok && read.value.length).toBe(4);
    const gets = reader.calls.filter((c) => c.op === "get");
    expect(gets).toHaveLength(2);
    for (const get of gets) expect(get.ssecKey).toBe(await offlineKeyHex(generation, objectKeyVersion(get.key)!));

    // Time travel through the query worker sees rows from before and after the rotation.
    const snapshot = await asOf(name);
    expect(snapshot.status).toBe(200);
    expect(snapshot.body.records.map((r: { record: unknown }) => r.record)).toEqual([
      { id: "u1", ts: "2026-01-01T10:30:00Z", age: 3, city: SECRET },
      { id: "u2", ts: "2026-01-01T10:05:00Z", age: 2 },
      { id: "u3", ts: "2026-01-01T10:40:00Z", age: 4 },
    ]);

    // Compaction merges a -k1 and a -k2 object into one under the active version.
    const compactor = recordingBucket(env.OFFLINE_BUCKET);
    const compacted = await compactOffline({ db, bucket: compactor.bucket, location: env, now: Date.now(), keys: dataKeyLookup(db, env) }, { ...DEFAULT_COMPACTION_POLICY, minFiles: 2 });
    expect(compacted.merged).toHaveLength(1);
    expect(compacted.merged[0]!.key).toMatch(/^.*compacted-[0-9a-f]{32}-k2\.parquet$/);
    for (const call of compactor.calls.filter((c) => c.key.endsWith(".parquet"))) expect(call.ssecKey).toBe(await offlineKeyHex(generation, objectKeyVersion(call.key)!));
    expect((await asOf(name)).body.records).toEqual(snapshot.body.records);
  }, 40_000);

  it("tells external engines the objects are SSE-C encrypted, without key material", async () => {
    const { name, generation } = await createEncryptedGroup({ online: false, offline: true });
    await putRecord(name, { id: "u1", ts: "2026-01-01T10:00:00Z", age: 1 });
    await settle(name, 1);
    const res = await api("GET", `/v1/feature-groups/${name}/offline-store`);
    expect(res.status).toBe(200);
    expect(res.body.encryption).toMatchObject({ mode: "SSE-C", algorithm: "AES256", activeKeyVersion: 1 });
    expect(res.body.encryption.requestHeaders["x-amz-server-side-encryption-customer-algorithm"]).toBe("AES256");
    expect(res.body.files[0].key).toMatch(/-k1\.parquet$/);
    expect(res.body.sql.duckdb).toMatch(/^-- objects are SSE-C encrypted/);
    const keyHex = await offlineKeyHex(generation, 1);
    const keyB64 = btoa(String.fromCharCode(...keyHex.match(/../g)!.map((h) => parseInt(h, 16))));
    expect(res.text).not.toContain(keyHex);
    expect(res.text).not.toContain(keyB64);
  }, 30_000);

  it("answers time travel with 503 when the offline data key cannot be unwrapped", async () => {
    const { name, generation } = await createEncryptedGroup({ online: false, offline: true });
    await putRecord(name, { id: "u1", ts: "2026-01-01T10:00:00Z", age: 1, city: SECRET });
    await settle(name, 1);
    const [, , iv, ct] = (await env.DB.prepare("SELECT wrapped FROM data_keys WHERE generation = ?").bind(generation).first<{ wrapped: string }>())!.wrapped.split(".");
    await env.DB.prepare("UPDATE data_keys SET wrapped = ? WHERE generation = ?").bind(`fsk1.retired-mk.${iv}.${ct}`, generation).run();
    const { forgetGroupDataKeys } = await import("../../src/crypto/data-keys");
    forgetGroupDataKeys(generation);
    const res = await asOf(name);
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe("unavailable");
    expect(res.body.error.message).toContain("master key retired-mk is not in the keyring");
    expect(res.text).not.toContain(SECRET);
  }, 30_000);

  it("compacts other groups when one group's offline key cannot be unwrapped, and leaves that group's files as they are", async () => {
    const broken = await createEncryptedGroup({ online: false, offline: true });
    const plain = await createEncryptedGroup({ online: false, offline: false, offlineStore: true });
    for (const group of [broken.name, plain.name]) {
      await putRecord(group, { id: "u1", ts: "2026-02-01T10:00:00Z", age: 1 });
      await settle(group, 1);
      await putRecord(group, { id: "u2", ts: "2026-02-01T10:10:00Z", age: 2 });
      await settle(group, 2);
    }
    const [, , iv, ct] = (await env.DB.prepare("SELECT wrapped FROM data_keys WHERE generation = ?").bind(broken.generation).first<{ wrapped: string }>())!.wrapped.split(".");
    await env.DB.prepare("UPDATE data_keys SET wrapped = ? WHERE generation = ?").bind(`fsk1.retired-mk.${iv}.${ct}`, broken.generation).run();
    const { forgetGroupDataKeys } = await import("../../src/crypto/data-keys");
    forgetGroupDataKeys(broken.generation);
    const db = catalogDb(env.DB);
    const report = await compactOffline({ db, bucket: env.OFFLINE_BUCKET, location: env, now: Date.now(), keys: dataKeyLookup(db, env) }, { ...DEFAULT_COMPACTION_POLICY, minFiles: 2 });
    const mergedGroups = report.merged.map((m) => m.key.split("/")[1]);
    expect(mergedGroups).toContain(plain.name);
    expect(mergedGroups).not.toContain(broken.name);
    const brokenFiles = (await env.DB.prepare("SELECT key FROM offline_files WHERE generation = ? AND state = 'active'").bind(broken.generation).all<{ key: string }>()).results;
    expect(brokenFiles).toHaveLength(2);
  }, 40_000);
});
