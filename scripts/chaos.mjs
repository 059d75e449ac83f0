#!/usr/bin/env node
// npm run chaos: crash test of the local stack, run as a user would. Starts
// the stack the way `npm start` does, drives mixed writes (native PUT,
// SageMaker PutRecord through the official SDK, bulk NDJSON), kills the
// whole process group with SIGKILL at a random moment, starts it again on the
// same state, and repeats. Then it checks every acknowledged write: online
// (the newest acknowledged version, or a newer write that was in flight at a
// kill) and offline, exactly once, read back with DuckDB from the Parquet
// files the manifest lists. Writes in flight at a kill may land at most once.
// Exits 1 on any loss or duplicate.
import { PutRecordCommand, SageMakerFeatureStoreRuntimeClient } from "@aws-sdk/client-sagemaker-featurestore-runtime";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { DuckDBInstance } from "@duckdb/node-api";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { freePort, killGroup, rootAuth, startStack } from "./lib/stack.mjs";

const HELP = `Usage: npm run chaos -- [options]

Crash test: mixed writes against the local stack (npm start), SIGKILL of its
process group at random moments, restart on the same state, then a check of
every acknowledged write online and, exactly once, offline (DuckDB).

Options:
  --rounds <n>       kill rounds (default 3)
  --writers <n>      writes in flight at once (default 16)
  --ids <n>          distinct record identifiers (default 500)
  --kill-after <a-b> seconds of load before each kill, drawn from a..b (default 8-12)
  --settle <s>       seconds to wait for the offline store to catch up (default 300)
  --seed <n>         random seed (default: time)
  --keep             keep the state directory and log
  --help             show this help

Exit status: 0 when nothing acknowledged was lost or duplicated, 1 otherwise.`;

const { values: opts } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    writers: { type: "string", default: "16" },
    ids: { type: "string", default: "500" },
    "kill-after": { type: "string", default: "8-12" },
    settle: { type: "string", default: "300" },
    seed: { type: "string" },
    keep: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (opts.help) {
  console.log(HELP);
  process.exit(0);
}
const positive = (name) => {
  const n = Number(opts[name]);
  if (!Number.isSafeInteger(n) || n < 1) {
    console.error(`--${name} must be a positive integer`);
    process.exit(2);
  }
  return n;
};
const ROUNDS = positive("rounds");
const WRITERS = positive("writers");
const IDS = positive("ids");
const SETTLE_S = positive("settle");
const [KILL_MIN, KILL_MAX] = opts["kill-after"].split("-").map(Number);
if (!(KILL_MIN > 0 && KILL_MAX >= KILL_MIN)) {
  console.error("--kill-after must be a-b seconds with 0 < a <= b");
  process.exit(2);
}

// A small seeded PRNG (mulberry32), so a run can be replayed with --seed.
let seed = Number(opts.seed ?? Date.now() % 2 ** 31) >>> 0;
const firstSeed = seed;
const random = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const work = mkdtempSync(join(tmpdir(), "fs-chaos-"));
const stateDir = join(work, "state");
mkdirSync(stateDir);
const logFile = join(work, "stack.log");
const auth = rootAuth();
const port = await freePort();
const GROUP = `chaos_${Date.now().toString(36)}`;
const BASE_MS = Date.UTC(2026, 0, 1);
const BULK_ROWS = 20;

/** Every write by its unique n: what it was, and what the client learned. */
const writes = new Map();
let nextN = 1;
const counts = { native: 0, sagemaker: 0, bulk: 0, bulkRows: 0, refused: 0, failedInFlight: 0 };

function newWrite(src) {
  const n = nextN++;
  const id = `c-${Math.floor(random() * IDS)}`;
  const write = { n, id, ts: new Date(BASE_MS + n * 1000).toISOString(), src, state: "inflight" };
  writes.set(n, write);
  return write;
}
const recordOf = (w) => ({ id: w.id, ts: w.ts, n: w.n, src: w.src, pad: "x".repeat(64) });

async function api(origin, method, path, body, contentType = "application/json") {
  const res = await fetch(`${origin}/v1${path}`, {
    method,
    headers: { authorization: auth.bearer, "content-type": contentType },
    ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** One write of a random kind; marks it acked on success, refused on a definite error answer. */
async function writeOnce(origin, sagemaker) {
  const kind = random();
  if (kind < 0.45) {
    const w = newWrite("native");
    counts.native += 1;
    const res = await fetch(`${origin}/v1/feature-groups/${GROUP}/records`, {
      method: "PUT",
      headers: { authorization: auth.bearer, "content-type": "application/json" },
      body: JSON.stringify({ record: recordOf(w) }),
    });
    await res.arrayBuffer();
    settle([w], res.status);
  } else if (kind < 0.8) {
    const w = newWrite("sagemaker");
    counts.sagemaker += 1;
    const r = recordOf(w);
    try {
      await sagemaker.send(
        new PutRecordCommand({
          FeatureGroupName: GROUP,
          Record: Object.entries(r).map(([FeatureName, v]) => ({ FeatureName, ValueAsString: String(v) })),
        }),
      );
      settle([w], 200);
    } catch (error) {
      // An answer from the store (a modeled error with a status) is definite; a dropped connection is not.
      const status = error?.$metadata?.httpStatusCode;
      if (status) settle([w], status);
      else throw error;
    }
  } else {
    const batch = Array.from({ length: BULK_ROWS }, () => newWrite("bulk"));
    counts.bulk += 1;
    counts.bulkRows += batch.length;
    const res = await fetch(`${origin}/v1/feature-groups/${GROUP}/records/batch?targetStores=online,offline`, {
      method: "POST",
      headers: { authorization: auth.bearer, "content-type": "application/x-ndjson" },
      body: batch.map((w) => JSON.stringify(recordOf(w))).join("\n"),
    });
    await res.arrayBuffer();
    settle(batch, res.status);
  }
}

function settle(batch, status) {
  for (const w of batch) w.state = status === 200 ? "acked" : status >= 500 ? "inflight" : "refused";
  if (status !== 200) {
    counts.refused += batch.length;
    console.error(`  unexpected answer ${status} to a ${batch[0].src} write`);
  }
}

/** Writers in a closed loop until stopped; a request cut off by the kill leaves its writes in flight. */
function startLoad(origin) {
  const sagemaker = new SageMakerFeatureStoreRuntimeClient({
    endpoint: origin,
    region: "us-east-1",
    credentials: { accessKeyId: auth.accessKeyId, secretAccessKey: auth.secretAccessKey },
    maxAttempts: 1,
  });
  let running = true;
  const loops = Array.from({ length: WRITERS }, async () => {
    while (running) {
      try {
        await writeOnce(origin, sagemaker);
      } catch {
        counts.failedInFlight += 1;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  });
  // Stopping ends the loops' next iteration only: requests under way stay in flight across a kill.
  const stop = () => {
    running = false;
  };
  const finished = async () => {
    await Promise.all(loops);
    sagemaker.destroy();
  };
  return { stop, finished };
}

function createGroupBody() {
  return {
    name: GROUP,
    recordIdentifierFeature: "id",
    eventTimeFeature: "ts",
    features: [
      { name: "id", type: "String" },
      { name: "ts", type: "String" },
      { name: "n", type: "Integral" },
      { name: "src", type: "String" },
      { name: "pad", type: "String" },
    ],
    onlineStore: { enabled: true },
    offlineStore: { enabled: true },
    shardCount: 8,
  };
}

/** The online record of every identifier, 100 at a time. */
async function onlineRecords(origin) {
  const found = new Map();
  const ids = Array.from({ length: IDS }, (_, i) => `c-${i}`);
  for (let i = 0; i < ids.length; i += 100) {
    const res = await api(origin, "POST", "/records/batch-get", { requests: [{ featureGroup: GROUP, recordIdentifiers: ids.slice(i, i + 100) }] });
    if (res.status !== 200) throw new Error(`batch-get: ${res.status} ${JSON.stringify(res.body)}`);
    for (const r of res.body.records) found.set(String(r.record.id), r.record);
  }
  return found;
}

/** Waits until the offline store has caught up (nothing pending, every acknowledged row present); answers its rows read with DuckDB. */
async function offlineRows(origin) {
  const deadline = Date.now() + SETTLE_S * 1000;
  const acked = [...writes.values()].filter((w) => w.state === "acked").length;
  let last;
  for (;;) {
    const store = await api(origin, "GET", `/feature-groups/${GROUP}/offline-store`);
    if (store.status !== 200) throw new Error(`offline-store: ${store.status}`);
    last = store.body;
    if (last.pending.rows === 0 && last.stats.rows >= acked) break;
    if (Date.now() > deadline) {
      console.log(`  offline store did not catch up within ${SETTLE_S} s: ${last.stats.rows} rows, pending ${JSON.stringify(last.pending)}`);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
  return readWithDuckDb(origin, last.files.map((f) => f.key));
}

async function readWithDuckDb(origin, keys) {
  const s3 = new S3Client({
    endpoint: `${origin}/cdn-cgi/local/r2/s3`,
    region: "auto",
    forcePathStyle: true,
    credentials: { accessKeyId: "local-offline-store", secretAccessKey: "local-offline-store-secret" },
  });
  const dir = join(work, "parquet");
  mkdirSync(dir, { recursive: true });
  const paths = [];
  for (const [i, key] of keys.entries()) {
    const object = await s3.send(new GetObjectCommand({ Bucket: "feature-store-offline", Key: key }));
    const path = join(dir, `${i}.parquet`);
    writeFileSync(path, await object.Body.transformToByteArray());
    paths.push(path);
  }
  s3.destroy();
  if (paths.length === 0) return [];
  const db = await DuckDBInstance.create(":memory:");
  const connection = await db.connect();
  const list = paths.map((p) => `'${p}'`).join(", ");
  const reader = await connection.runAndReadAll(`SELECT id, ts, CAST(n AS BIGINT) AS n, is_deleted FROM read_parquet([${list}])`);
  const rows = reader.getRowObjects().map((r) => ({ id: String(r.id), ts: String(r.ts), n: Number(r.n), deleted: Boolean(r.is_deleted) }));
  connection.closeSync();
  return rows;
}

function verify(online, offline) {
  const problems = [];
  const byId = new Map();
  for (const w of writes.values()) {
    if (!byId.has(w.id)) byId.set(w.id, []);
    byId.get(w.id).push(w);
  }
  // Online: the newest acknowledged version, or a newer one that was in flight at a kill.
  let onlineLost = 0;
  for (const [id, list] of byId) {
    const newestAcked = list.filter((w) => w.state === "acked").reduce((a, w) => (a && a.n > w.n ? a : w), null);
    const record = online.get(id);
    if (!newestAcked) continue;
    const served = record ? writes.get(Number(record.n)) : undefined;
    const ok = served && served.id === id && served.n >= newestAcked.n && (served.state === "acked" || served.state === "inflight");
    if (!ok) {
      onlineLost += 1;
      if (problems.length < 10) problems.push(`online ${id}: expected n ≥ ${newestAcked.n}, served ${record ? record.n : "nothing"}`);
    }
  }
  // Offline: every acknowledged write exactly once; in-flight ones at most once; nothing else.
  const seen = new Map();
  for (const row of offline) seen.set(row.n, (seen.get(row.n) ?? 0) + 1);
  let offlineLost = 0;
  let duplicates = 0;
  let unexpected = 0;
  let inflightLanded = 0;
  for (const w of writes.values()) {
    const times = seen.get(w.n) ?? 0;
    if (times > 1) duplicates += 1;
    if (w.state === "acked" && times === 0) {
      offlineLost += 1;
      if (problems.length < 20) problems.push(`offline: acknowledged ${w.src} write n=${w.n} (${w.id}) is missing`);
    }
    if (w.state === "refused" && times > 0) unexpected += 1;
    if (w.state === "inflight" && times > 0) inflightLanded += 1;
  }
  for (const n of seen.keys()) if (!writes.has(n)) unexpected += 1;
  return { onlineLost, offlineLost, duplicates, unexpected, inflightLanded, problems };
}

const stacks = [];
try {
  console.log(`chaos: ${ROUNDS} kill round(s), ${WRITERS} writers, ${IDS} ids, seed ${firstSeed}; state ${stateDir}, log ${logFile}`);
  let stack = await startStack({ port, stateDir, logFile, auth: auth.bearer });
  stacks.push(stack);
  console.log(`  started in ${(stack.startMs / 1000).toFixed(1)} s`);
  const created = await api(stack.origin, "POST", "/feature-groups", createGroupBody());
  if (created.status !== 200 && created.status !== 201) throw new Error(`create group: ${created.status} ${JSON.stringify(created.body)}`);

  for (let round = 1; round <= ROUNDS; round++) {
    const load = startLoad(stack.origin);
    const killAfter = (KILL_MIN + random() * (KILL_MAX - KILL_MIN)) * 1000;
    await new Promise((resolve) => setTimeout(resolve, killAfter));
    load.stop();
    await killGroup(stack.pid);
    await load.finished();
    const acked = [...writes.values()].filter((w) => w.state === "acked").length;
    const inflight = [...writes.values()].filter((w) => w.state === "inflight").length;
    console.log(`  round ${round}: killed after ${(killAfter / 1000).toFixed(1)} s; ${acked} acknowledged so far, ${inflight} in flight at kills`);
    stack = await startStack({ port, stateDir, logFile, auth: auth.bearer });
    stacks.push(stack);
    console.log(`  restarted in ${(stack.startMs / 1000).toFixed(1)} s`);
  }

  const settleStart = Date.now();
  const offline = await offlineRows(stack.origin);
  const settleS = (Date.now() - settleStart) / 1000;
  const online = await onlineRecords(stack.origin);
  const result = verify(online, offline);
  const all = [...writes.values()];
  const acked = all.filter((w) => w.state === "acked").length;
  console.log(
    JSON.stringify(
      {
        rounds: ROUNDS,
        seed: firstSeed,
        writes: { total: all.length, acknowledged: acked, inFlightAtKills: all.filter((w) => w.state === "inflight").length, refused: counts.refused },
        requests: { native: counts.native, sagemaker: counts.sagemaker, bulk: counts.bulk, bulkRows: counts.bulkRows },
        offline: { rows: offline.length, caughtUpAfterS: Math.round(settleS), inFlightLanded: result.inflightLanded },
        lost: { online: result.onlineLost, offline: result.offlineLost },
        duplicates: result.duplicates,
        unexpectedRows: result.unexpected,
      },
      null,
      2,
    ),
  );
  for (const p of result.problems) console.log(`  ${p}`);
  const failed = result.onlineLost + result.offlineLost + result.duplicates + result.unexpected > 0 || acked === 0;
  console.log(failed ? "chaos: FAILED" : "chaos: passed, nothing acknowledged was lost or duplicated");
  process.exitCode = failed ? 1 : 0;
} catch (error) {
  console.error(`chaos: error: ${error.stack ?? error}`);
  process.exitCode = 1;
} finally {
  for (const s of stacks) await s.stop();
  if (!opts.keep && process.exitCode === 0) rmSync(work, { recursive: true, force: true });
  else console.log(`  kept ${work}`);
}
