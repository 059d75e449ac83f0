// Shared helpers of the engines tests: the offline store read back by
// independent engines. The worker's Parquet objects come through the local
// R2 S3 API (@aws-sdk/client-s3, as any S3 tool would reach R2), land in a
// temporary directory, and DuckDB (@duckdb/node-api, its built-in Parquet
// reader; no extensions are downloaded) queries them there.
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { expect } from "vitest";
import { ENDPOINT, native, OFFLINE_S3, SDK_ACCESS_KEY_ID, SDK_SECRET_ACCESS_KEY, uniqueName } from "../support";

export type FeatureType = "Integral" | "Fractional" | "String";
export interface NativeFeature {
  name: string;
  type: FeatureType;
  collection?: { type: "List" } | { type: "Set" } | { type: "Vector"; dimension: number };
}

/** A native JSON call that must answer `status`; returns the body. */
export async function call<T = any>(method: string, path: string, body?: unknown, status = 200): Promise<T> {
  const res = await native<T>(method, path, body);
  expect(res.status, `${method} /v1${path} → ${res.status}: ${res.text.slice(0, 2000)}`).toBe(status);
  return res.body;
}

/** A native JSON request whose 200 response is binary (dataset Parquet/Arrow); returns the bytes and content type. */
export async function callBytes(method: string, path: string, body: unknown): Promise<{ bytes: Uint8Array; contentType: string }> {
  const res = await fetch(`${ENDPOINT}/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${SDK_ACCESS_KEY_ID}:${SDK_SECRET_ACCESS_KEY}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const bytes = new Uint8Array(await res.arrayBuffer());
  expect(res.status, `${method} /v1${path} → ${res.status}: ${new TextDecoder().decode(bytes.subarray(0, 2000))}`).toBe(200);
  return { bytes, contentType: res.headers.get("content-type") ?? "" };
}

/** Creates a group with an offline store (identifier `id`, event time `ts`, then `features`). */
export async function createOfflineGroup(prefix: string, features: NativeFeature[], options: { identifierType?: "String" | "Integral"; shardCount?: number } = {}): Promise<string> {
  const name = uniqueName(prefix);
  await call(
    "POST",
    "/feature-groups",
    {
      name,
      recordIdentifierFeature: "id",
      eventTimeFeature: "ts",
      features: [{ name: "id", type: options.identifierType ?? "String" }, { name: "ts", type: "String" }, ...features],
      onlineStore: { enabled: true },
      offlineStore: { enabled: true },
      shardCount: options.shardCount ?? 2,
    },
    201,
  );
  return name;
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** PUT a record; every accepted write reaches the offline store. */
export async function put(group: string, record: Record<string, Json>): Promise<void> {
  const body = await call("PUT", `/feature-groups/${group}/records`, { record });
  expect(body.offline).toBe("queued");
}

/** A soft delete at `eventTime`; it reaches the offline store as an is_deleted row. */
export async function softDelete(group: string, id: string, eventTime: string): Promise<void> {
  const body = await call("DELETE", `/feature-groups/${group}/records/${encodeURIComponent(id)}?eventTime=${encodeURIComponent(eventTime)}&mode=soft`);
  expect(body.offline).toBe("queued");
}

export interface ManifestFileView {
  key: string;
  uri: string;
  partition: string;
  rowCount: number;
  byteSize: number;
  minEventTime: string;
  maxEventTime: string;
  minWriteTime: string;
  maxWriteTime: string;
  schemaVersion: number;
}

export interface OfflineStoreView {
  featureGroup: string;
  generation: string;
  location: string;
  bucket: string;
  prefix: string;
  files: ManifestFileView[];
  stats: { files: number; rows: number; bytes: number; partitions: number; minEventTime?: string; maxEventTime?: string };
  columns: { name: string; hiveType: string }[];
  sql: { duckdb: string; athena: string; spark: string };
  pending: { rows: number; sealedBatches: number; maxAttempts: number; oldestAt: string | null };
}

export function offlineStore(group: string): Promise<OfflineStoreView> {
  return call<OfflineStoreView>("GET", `/feature-groups/${group}/offline-store`);
}

/**
 * Waits until the manifest holds exactly `rows` rows of the group and nothing
 * is pending (outbox drained, queue consumed). More rows than written is a
 * failure (a batch registered twice).
 */
export async function drained(group: string, rows: number, timeoutMs = 30_000): Promise<OfflineStoreView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const store = await offlineStore(group);
    expect(store.stats.rows, `${group}: the manifest holds more rows than were written`).toBeLessThanOrEqual(rows);
    if (store.stats.rows === rows && store.pending.rows === 0 && store.pending.sealedBatches === 0) return store;
    if (Date.now() > deadline) expect.fail(`${group}: ${store.stats.rows} of ${rows} rows in the manifest after ${timeoutMs} ms (pending ${JSON.stringify(store.pending)})`);
    await sleep(50);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The S3 client of the local offline bucket, configured as for R2 (path-style, region auto). */
export const s3 = new S3Client({
  endpoint: OFFLINE_S3.endpoint,
  region: OFFLINE_S3.region,
  forcePathStyle: true,
  credentials: { accessKeyId: OFFLINE_S3.accessKeyId, secretAccessKey: OFFLINE_S3.secretAccessKey },
  maxAttempts: 1,
});

/** Every object under a prefix (ListObjectsV2, paged): key → size and ETag. */
export async function listObjects(prefix: string): Promise<Map<string, { size: number; etag: string }>> {
  const objects = new Map<string, { size: number; etag: string }>();
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: OFFLINE_S3.bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
    for (const o of page.Contents ?? []) objects.set(o.Key!, { size: o.Size!, etag: (o.ETag ?? "").replaceAll('"', "") });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return objects;
}

export async function getObject(key: string): Promise<{ bytes: Uint8Array; etag: string; contentLength: number }> {
  const out = await s3.send(new GetObjectCommand({ Bucket: OFFLINE_S3.bucket, Key: key }));
  const bytes = await out.Body!.transformToByteArray();
  return { bytes, etag: (out.ETag ?? "").replaceAll('"', ""), contentLength: out.ContentLength ?? -1 };
}

export const md5Hex = (bytes: Uint8Array) => createHash("md5").update(bytes).digest("hex");

/** A temporary directory, removed by the returned function. */
export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface LocalCopy {
  /** s3:// URI of each manifest file → its local path (same key layout, so Hive partitions read the same). */
  paths: Map<string, string>;
  /** Local paths in manifest order. */
  files: string[];
}

/**
 * Downloads exactly the manifest's files through the S3 API into `dir`,
 * under their keys. Checks on the way: the bucket named by the store is the
 * S3 bucket, every manifest key is an object whose size is the manifest's
 * byteSize and whose ETag is the MD5 of the bytes received, and the data
 * prefix holds no object the manifest does not name.
 */
export async function download(store: OfflineStoreView, dir: string): Promise<LocalCopy> {
  expect(store.bucket).toBe(OFFLINE_S3.bucket);
  const listed = await listObjects(store.prefix);
  expect([...listed.keys()].sort(), "the data prefix holds exactly the manifest's objects").toEqual(store.files.map((f) => f.key).sort());
  const paths = new Map<string, string>();
  const files: string[] = [];
  for (const file of store.files) {
    expect(file.uri).toBe(`s3://${store.bucket}/${file.key}`);
    const object = await getObject(file.key);
    expect(object.bytes.byteLength, `${file.key}: size`).toBe(file.byteSize);
    expect(object.contentLength).toBe(file.byteSize);
    expect(listed.get(file.key)!.size).toBe(file.byteSize);
    expect(object.etag, `${file.key}: ETag is the MD5 of the bytes received`).toBe(md5Hex(object.bytes));
    // Parquet magic at both ends.
    expect(new TextDecoder().decode(object.bytes.subarray(0, 4))).toBe("PAR1");
    expect(new TextDecoder().decode(object.bytes.subarray(object.bytes.byteLength - 4))).toBe("PAR1");
    const local = join(dir, file.key);
    mkdirSync(dirname(local), { recursive: true });
    writeFileSync(local, object.bytes);
    paths.set(file.uri, local);
    files.push(local);
  }
  return { paths, files };
}

/** Rewrites the s3:// URIs a generated SQL text names to the local copies (every one must be known). */
export function localize(sql: string, copy: LocalCopy): string {
  const out = sql.replace(/'(s3:\/\/[^']+)'/g, (_, uri: string) => {
    const local = copy.paths.get(uri);
    if (!local) expect.fail(`the SQL names ${uri}, which is not in the manifest`);
    return `'${local.replaceAll("'", "''")}'`;
  });
  expect(out).not.toContain("s3://");
  return out;
}

export const sqlString = (text: string) => `'${text.replaceAll("'", "''")}'`;
export const sqlIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** `read_parquet` over local files, as the brief's engines read the store. */
export function readParquet(files: readonly string[], options = "hive_partitioning = true, union_by_name = true"): string {
  return `read_parquet([${files.map(sqlString).join(", ")}], ${options})`;
}

export interface Duck {
  connection: DuckDBConnection;
  run(sql: string): Promise<void>;
  all(sql: string): Promise<Record<string, unknown>[]>;
  /** Column names and DuckDB types of a query's result. */
  describe(sql: string): Promise<{ name: string; type: string }[]>;
  close(): void;
}

/** An in-memory DuckDB with UTC as its time zone. */
export async function openDuck(): Promise<Duck> {
  const instance = await DuckDBInstance.create(":memory:", { threads: "2" });
  const connection = await instance.connect();
  await connection.run("SET TimeZone = 'UTC'");
  return {
    connection,
    run: async (sql) => {
      await connection.run(sql);
    },
    all: async (sql) => (await connection.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[],
    describe: async (sql) => {
      const reader = await connection.runAndReadAll(`SELECT * FROM (${sql}) LIMIT 0`);
      const types = reader.columnTypes();
      return reader.columnNames().map((name, i) => ({ name, type: String(types[i]) }));
    },
    close: () => {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/**
 * One value in the worker's canonical JSON form: int64 as a number when safe
 * and a decimal string beyond ±(2^53−1), lists as arrays, NULL as null.
 */
export function canonical(value: unknown): Json {
  if (value === null || value === undefined) return null;
  if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (Array.isArray(value)) return value.map(canonical);
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "number" || typeof value === "string" || typeof value === "boolean") return value;
  throw new Error(`no canonical form for ${String(value)}`);
}

export function canonicalRow(row: Record<string, unknown>): Record<string, Json> {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, canonical(v)]));
}

/** The same value an Integral feature carries in the worker's JSON: JSON number when safe, else decimal string. */
export function int64(text: string | number | bigint): Json {
  return canonical(BigInt(text));
}

/** Code-unit order, as the worker sorts identifiers. */
export const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Mulberry32: a small seeded PRNG, so a failing property run is replayed
 * exactly by its seed.
 */
export function prng(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
    chance: (p: number) => next() < p,
  };
}
export type Prng = ReturnType<typeof prng>;
