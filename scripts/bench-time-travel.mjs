#!/usr/bin/env node
// npm run bench:time-travel: a point-in-time dataset job in the query worker
// against DuckDB's ASOF JOIN over the very same Parquet files, in one run.
//
// Both workers (wrangler.toml and wrangler.query.toml) are bundled as a
// deploy would bundle them and run in workerd through Miniflare, with the
// bindings their configs declare. Feature files are written here with
// parquet-wasm in the worker's column layout (sorted by identifier within a
// file, row groups of --row-group rows, one file per block of versions, as
// hourly partitions would hold them), put into the offline bucket through
// in-process Miniflare R2 and registered in the D1 manifest with the same
// columns the offline consumer writes. The entity list (sorted by
// identifier, see docs/time-travel.md) is uploaded with PUT /v1/uploads and
// joined by an asynchronous job (format parquet). DuckDB then runs an ASOF
// LEFT JOIN over the same files with SET threads = 1.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { DuckDBInstance } from "@duckdb/node-api";
import { Bool, Float64, Int64, makeData, makeVector, Table, TimestampMillisecond, tableToIPC, Utf8, vectorFromArray } from "apache-arrow";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";
import { Compression, Encoding, Table as WasmTable, writeParquet, WriterPropertiesBuilder } from "parquet-wasm/node";
import { attach } from "./lib/isolate-probe.mjs";
import { bundleWorker, migrationStatements } from "./lib/worker-bundle.mjs";
import { cpuTimes } from "./lib/bench-load.mjs";
import { scriptFlags } from "./lib/flags.mjs";

const HELP = `Usage: npm run bench:time-travel -- [options]

  --entities <n>    entity rows (default 1000000)
  --features <n>    feature rows of the one-group join (default 10000000)
  --ids <n>         identifiers (default 100000)
  --row-group <n>   rows per row group of the feature files (default 100000)
  --groups <list>   which joins to run: one,three (default both)
  --repeat <n>      run each join n times on the same data (default 1)
  --concurrency <n> dataset-job messages (entity chunks) the query worker's
                    consumer runs side by side: batches of n messages
                    (default 1, as wrangler.query.toml deploys it)
  --json <file>     also write the results as JSON
  --profile <dir>   write a CPU profile of the query worker per join
                    (<dir>/<join>.cpuprofile, open it in Chrome DevTools)
  --help            this text

The three-group join splits --features evenly over three groups.`;

const { flags } = scriptFlags(HELP, {
  entities: { type: "string", default: "1000000" },
  features: { type: "string", default: "10000000" },
  ids: { type: "string", default: "100000" },
  "row-group": { type: "string", default: "100000" },
  groups: { type: "string", default: "one,three" },
  concurrency: { type: "string", default: "1" },
  repeat: { type: "string", default: "1" },
  json: { type: "string" },
  profile: { type: "string" },
});
const ENTITIES = Number(flags.entities);
const FEATURES = Number(flags.features);
const IDS = Number(flags.ids);
const ROW_GROUP = Number(flags["row-group"]);
const CONCURRENCY = Number(flags.concurrency);
const REPEAT = Number(flags.repeat);
if (![ENTITIES, FEATURES, IDS, ROW_GROUP, CONCURRENCY, REPEAT].every((n) => Number.isSafeInteger(n) && n > 0)) throw new Error("sizes must be positive integers");

const ROOT = resolve(import.meta.dirname, "..");
const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;
const tmp = mkdtempSync(join(tmpdir(), "fs-bench-tt-"));
process.once("exit", () => rmSync(tmp, { recursive: true, force: true }));

// ---------------------------------------------------------------- workers

const configs = ["wrangler.toml", "wrangler.query.toml"];
const accessKeyId = `AKBENCH${randomBytes(6).toString("hex").toUpperCase()}`;
const secret = randomBytes(24).toString("base64url");
const workers = configs.map((config) => {
  const { options, outdir, modules } = bundleWorker(config, mkdtempSync(join(tmp, "bundle-")));
  return {
    ...options,
    rootPath: outdir,
    modules,
    modulesRoot: outdir,
    bindings: { ...options.bindings, FS_ROOT_ACCESS_KEY_ID: accessKeyId, FS_ROOT_SECRET_ACCESS_KEY: secret, FS_MASTER_KEYS: `bench:${randomBytes(32).toString("base64")}` },
    ...(config === "wrangler.toml" ? { unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }] } : {}),
    ...(flags.profile && config === "wrangler.query.toml" ? { unsafeInspectorProxy: true } : {}),
    // Locally the queue hands out one batch at a time: n chunks run side by side only as one batch of n, sent without waiting for it to fill.
    ...(options.queueConsumers ? { queueConsumers: Object.fromEntries(Object.entries(options.queueConsumers).map(([queue, consumer]) => [queue, queue.endsWith("-dlq") ? consumer : { ...consumer, maxBatchSize: CONCURRENCY, maxBatchTimeout: 0 }])) } : {}),
  };
});

const apiName = workers[0].name;
const mf = new Miniflare(convertV4MiniflareOptions({ workers, host: "127.0.0.1", port: 0, cf: false, log: new Log(LogLevel.WARN), resourcePersistencePath: mkdtempSync(join(tmp, "state-")), ...(flags.profile ? { inspectorPort: 0 } : {}) }));
const entry = await mf.ready;
const origin = (await mf.unsafeGetDirectURL(apiName)).origin;
const db = await mf.getD1Database("DB", apiName);
for (const statement of migrationStatements()) await db.prepare(statement).run();
// Feature files go in through the local S3 API of the offline bucket (as wrangler dev serves it), not the Node-side binding proxy.
const offline = workers[0].r2Buckets.OFFLINE_BUCKET;
const s3 = new S3Client({ endpoint: `${entry.origin}/cdn-cgi/local/r2/s3`, region: "auto", forcePathStyle: true, credentials: offline.s3Credentials });
const putObject = (key, body) => s3.send(new PutObjectCommand({ Bucket: offline.id, Key: key, Body: body }));
const authorization = `Bearer ${accessKeyId}:${secret}`;

async function call(method, path, body, { raw = false } = {}) {
  const res = await fetch(`${origin}/v1${path}`, {
    method,
    headers: { authorization, ...(body && !(body instanceof Uint8Array) ? { "content-type": "application/json" } : {}) },
    ...(body ? { body: body instanceof Uint8Array ? body : JSON.stringify(body) } : {}),
  });
  if (!res.ok) throw new Error(`${method} /v1${path} → ${res.status}: ${(await res.text()).slice(0, 500)}`);
  return raw ? new Uint8Array(await res.arrayBuffer()) : res.json();
}

/** Miniflare's Node-side binding proxy may find its idle keep-alive socket closed after a long generation step: try again. */
async function viaProxy(fn) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= 3 || !/UND_ERR_SOCKET|EPIPE|ECONNRESET/.test(String(error?.cause?.code ?? error))) throw error;
    }
  }
}

// ---------------------------------------------------------------- CPU profile of the query worker

/** A DevTools protocol session with the query worker through Miniflare's inspector proxy. */
// ---------------------------------------------------------------- memory of workerd

function workerdPids() {
  const ps = spawnSync("ps", ["-eo", "pid,ppid,comm"], { encoding: "utf8" }).stdout.split("\n").slice(1).map((l) => l.trim().split(/\s+/));
  const mine = new Set([String(process.pid)]);
  // Descendants of this process (Miniflare spawns workerd).
  for (let changed = true; changed; ) {
    changed = false;
    for (const [pid, ppid] of ps) if (pid && mine.has(ppid) && !mine.has(pid)) (mine.add(pid), (changed = true));
  }
  return ps.filter(([pid, , comm]) => mine.has(pid) && comm === "workerd").map(([pid]) => pid);
}

function rssBytes(pids) {
  let total = 0;
  for (const pid of pids) {
    try {
      total += Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]) * 1024;
    } catch {}
  }
  return total;
}

function sampleRss() {
  const pids = workerdPids();
  const baseline = rssBytes(pids);
  let peak = baseline;
  const timer = setInterval(() => (peak = Math.max(peak, rssBytes(pids))), 100);
  return { baseline, stop: () => (clearInterval(timer), peak) };
}

// ---------------------------------------------------------------- data

const idOf = (i) => `user-${String(i).padStart(8, "0")}`;
const isoOf = (ms) => new Date(ms).toISOString();
// write_sequence delta-encoded without a dictionary, as the worker writes it (src/offline/parquet.ts).
const parquetProps = () =>
  new WriterPropertiesBuilder()
    .setCompression(Compression.ZSTD)
    .setMaxRowGroupSize(ROW_GROUP)
    .setColumnDictionaryEnabled("write_sequence", false)
    .setColumnEncoding("write_sequence", Encoding.DELTA_BINARY_PACKED)
    .build();
const toParquet = (table) => writeParquet(WasmTable.fromIPCStream(tableToIPC(table, "stream")), parquetProps());
const timestamps = (n, ms) => makeVector(makeData({ type: new TimestampMillisecond("UTC"), length: n, data: new BigInt64Array(n).fill(BigInt(ms)) }));

/**
 * One group's feature files: `rows` rows over IDS identifiers, version j of
 * every identifier at T0 + j hours; one file per block of versions (about
 * 1M rows), sorted by identifier. Written to R2, registered in D1, and kept
 * on disk for DuckDB.
 */
async function writeGroup(name, rows, prefixIndex) {
  await call("POST", "/feature-groups", {
    name,
    recordIdentifierFeature: "id",
    eventTimeFeature: "ts",
    features: [
      { name: "id", type: "String" },
      { name: "ts", type: "String" },
      { name: `v${prefixIndex}`, type: "Integral" },
      { name: `score${prefixIndex}`, type: "Fractional" },
    ],
    offlineStore: { enabled: true },
  });
  const { generation } = await call("GET", `/feature-groups/${name}`);
  const versions = Math.max(1, Math.round(rows / IDS));
  const perFile = Math.max(1, Math.floor(1_000_000 / IDS));
  const writeTime = T0 - 24 * HOUR;
  const paths = [];
  let bytes = 0;
  const ids = Array.from({ length: IDS }, (_, i) => idOf(i));
  for (let first = 0; first < versions; first += perFile) {
    const count = Math.min(perFile, versions - first);
    const n = IDS * count;
    const id = new Array(n);
    const ts = new Array(n);
    const v = new BigInt64Array(n);
    const score = new Float64Array(n);
    const times = Array.from({ length: count }, (_, k) => isoOf(T0 + (first + k) * HOUR + prefixIndex * 60_000));
    for (let i = 0, r = 0; i < IDS; i++) {
      for (let k = 0; k < count; k++, r++) {
        id[r] = ids[i];
        ts[r] = times[k];
        v[r] = BigInt(i * versions + first + k);
        score[r] = (i * 31 + first + k) / 7;
      }
    }
    const table = new Table({
      id: vectorFromArray(id, new Utf8()),
      ts: vectorFromArray(ts, new Utf8()),
      [`v${prefixIndex}`]: makeVector(v),
      [`score${prefixIndex}`]: makeVector(score),
      write_time: timestamps(n, writeTime),
      api_invocation_time: timestamps(n, writeTime),
      is_deleted: vectorFromArray(new Array(n).fill(false), new Bool()),
      write_sequence: makeVector(BigInt64Array.from({ length: n }, (_, r) => BigInt(writeTime) * 1000n + BigInt(r))),
      available_time: timestamps(n, writeTime),
    });
    const parquet = toParquet(table);
    const partition = `year=2026/month=01/day=01/hour=${String(first % 24).padStart(2, "0")}`;
    const key = `offline-store/${name}/${generation}/${partition}/part-${first}.parquet`;
    await putObject(key, parquet);
    const path = join(tmp, `${name}-${first}.parquet`);
    writeFileSync(path, parquet);
    paths.push(path);
    bytes += parquet.byteLength;
    await viaProxy(() => db
      .prepare(
        `INSERT INTO offline_files (key, generation, feature_group, partition, row_count, byte_size, min_event_time, max_event_time, min_write_time, max_write_time, schema_version, state, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 'active', ?)`,
      )
      .bind(key, generation, name, partition, n, parquet.byteLength, T0 + first * HOUR, T0 + (first + count - 1) * HOUR + 3 * 60_000, writeTime, writeTime, Date.now())
      .run());
  }
  return { name, paths, bytes, rows: IDS * versions, versions };
}

/** ENTITIES rows over the identifiers in identifier order, each at a time between two versions. */
function entityParquet(versions) {
  const perId = Math.max(1, Math.round(ENTITIES / IDS));
  const n = ENTITIES;
  const user = new Array(n);
  const at = new Array(n);
  const label = new BigInt64Array(n);
  for (let r = 0; r < n; r++) {
    const i = Math.floor(r / perId) % IDS;
    const j = (r * 7919) % (versions + 1);
    user[r] = idOf(i);
    at[r] = isoOf(T0 + j * HOUR - HOUR / 2);
    label[r] = BigInt(r % 2);
  }
  const table = new Table({ user: vectorFromArray(user, new Utf8()), at: vectorFromArray(at, new Utf8()), label: makeVector(label) });
  return writeParquet(WasmTable.fromIPCStream(tableToIPC(table, "stream")), new WriterPropertiesBuilder().setCompression(Compression.ZSTD).setMaxRowGroupSize(100_000).build());
}

// ---------------------------------------------------------------- runs

async function workerJoin(label, groups, entityName) {
  const profiler = flags.profile ? await attach(mf, workers[1].name) : undefined;
  await profiler?.startProfile();
  const rss = sampleRss();
  const cpuBefore = cpuTimes();
  const started = performance.now();
  const created = await call("POST", "/datasets", {
    async: true,
    format: "parquet",
    entities: { object: entityName },
    timestampColumn: "at",
    eventTimeOnly: true,
    featureGroups: groups.map((g, i) => ({ name: g.name, entityColumn: "user", prefix: "", features: [`v${i}`, `score${i}`] })),
  });
  let job;
  for (;;) {
    job = await call("GET", `/datasets/jobs/${created.id}`);
    if (job.state === "succeeded" || job.state === "failed") break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const seconds = (performance.now() - started) / 1000;
  const cpuAfter = cpuTimes();
  // CPU seconds of the workerd processes per second of the job: how many cores the job kept busy.
  const workerdCores = cpuAfter.workerd === null || cpuBefore.workerd === null ? null : (cpuAfter.workerd - cpuBefore.workerd) / 1000 / seconds;
  const peak = rss.stop();
  if (profiler) {
    mkdirSync(flags.profile, { recursive: true });
    const path = join(flags.profile, `${label}.cpuprofile`);
    writeFileSync(path, JSON.stringify(await profiler.stopRawProfile()));
    console.log(`[${label}] CPU profile of the query worker: ${path}`);
    profiler.close();
  }
  if (job.state !== "succeeded") throw new Error(`${label}: job failed: ${job.error}`);
  const result = await call("GET", `/datasets/jobs/${created.id}/result`, undefined, { raw: true });
  const path = join(tmp, `${label}-result.parquet`);
  writeFileSync(path, result);
  return { seconds, workerdCores, rowsPerSecond: Math.round(ENTITIES / seconds), peakWorkerdRssMiB: Math.round(peak / 2 ** 20), baselineWorkerdRssMiB: Math.round(rss.baseline / 2 ** 20), progress: job.progress, resultBytes: result.byteLength, resultPath: path };
}

async function duckJoin(groups, entityPath) {
  const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
  const connection = await instance.connect();
  const q = (s) => `'${s.replaceAll("'", "''")}'`;
  await connection.run("SET threads = 1");
  await connection.run("SET TimeZone = 'UTC'");
  const started = performance.now();
  // Entities and features as the files hold them; times cast once.
  let sql = `CREATE TABLE result AS SELECT e.user, e.at, e.label${groups.map((_, i) => `, f${i}.v${i}, f${i}.score${i}`).join("")} FROM (SELECT "user", CAST("at" AS TIMESTAMPTZ) AS at, label FROM read_parquet(${q(entityPath)})) e`;
  groups.forEach((g, i) => {
    sql += ` ASOF LEFT JOIN (SELECT id, CAST(ts AS TIMESTAMPTZ) AS ts, v${i}, score${i} FROM read_parquet([${g.paths.map(q).join(", ")}])) f${i} ON e.user = f${i}.id AND e.at >= f${i}.ts`;
  });
  await connection.run(sql);
  const seconds = (performance.now() - started) / 1000;
  const summary = (await connection.runAndReadAll(`SELECT count(*) AS n${groups.map((_, i) => `, sum(v${i}) AS s${i}, count(v${i}) AS c${i}`).join("")} FROM result`)).getRowObjectsJS()[0];
  connection.closeSync();
  instance.closeSync();
  return { seconds, rowsPerSecond: Math.round(ENTITIES / seconds), summary };
}

async function summarize(path, groups) {
  const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
  const connection = await instance.connect();
  const row = (await connection.runAndReadAll(`SELECT count(*) AS n${groups.map((_, i) => `, sum(v${i}) AS s${i}, count(v${i}) AS c${i}`).join("")} FROM read_parquet('${path}')`)).getRowObjectsJS()[0];
  connection.closeSync();
  instance.closeSync();
  return row;
}

const results = { entities: ENTITIES, features: FEATURES, ids: IDS, rowGroupRows: ROW_GROUP, concurrency: CONCURRENCY, runs: {} };
const runs = flags.groups.split(",");
for (const run of runs) {
  const count = run === "three" ? 3 : 1;
  const genStarted = performance.now();
  const groups = [];
  for (let i = 0; i < count; i++) groups.push(await writeGroup(`bench_tt_${run}_${i}`, Math.round(FEATURES / count), i));
  const entities = entityParquet(groups[0].versions);
  const entityPath = join(tmp, `${run}-entities.parquet`);
  writeFileSync(entityPath, entities);
  const entityName = `bench-${run}-entities.parquet`;
  await call("PUT", `/uploads/${entityName}`, entities);
  const generationSeconds = (performance.now() - genStarted) / 1000;
  const load = () => loadavg().map((n) => n.toFixed(2)).join(" ");
  console.log(`[${run}] generated ${groups.reduce((n, g) => n + g.rows, 0)} feature rows (${(groups.reduce((n, g) => n + g.bytes, 0) / 2 ** 20).toFixed(1)} MiB Parquet) and ${ENTITIES} entity rows in ${generationSeconds.toFixed(1)} s; load ${load()}`);
  const attempts = [];
  for (let attempt = 1; attempt <= REPEAT; attempt++) {
    const worker = await workerJoin(`${run}-${attempt}`, groups, entityName);
    const workerLoad = load();
    console.log(`[${run}] worker job: ${worker.seconds.toFixed(1)} s, ${worker.rowsPerSecond} entity rows/s, workerd RSS peak ${worker.peakWorkerdRssMiB} MiB (baseline ${worker.baselineWorkerdRssMiB}), read ${(worker.progress.bytesRead / 2 ** 20).toFixed(1)} MiB in ${worker.progress.chunksTotal} chunks, ${CONCURRENCY} at a time, workerd busy ${worker.workerdCores?.toFixed(2) ?? "?"} cores; load ${workerLoad}`);
    const duck = await duckJoin(groups, entityPath);
    const duckLoad = load();
    console.log(`[${run}] DuckDB ASOF JOIN (threads=1): ${duck.seconds.toFixed(1)} s, ${duck.rowsPerSecond} entity rows/s; load ${duckLoad}`);
    const workerSummary = await summarize(worker.resultPath, groups);
    const same = JSON.stringify(workerSummary, (_, v) => (typeof v === "bigint" ? v.toString() : v)) === JSON.stringify(duck.summary, (_, v) => (typeof v === "bigint" ? v.toString() : v));
    console.log(`[${run}] results agree (rows, per-group count and sum of values): ${same}${same ? "" : ` worker ${JSON.stringify(workerSummary, (_, v) => String(v))} duckdb ${JSON.stringify(duck.summary, (_, v) => String(v))}`}`);
    console.log(`[${run}] worker / DuckDB time: ${(worker.seconds / duck.seconds).toFixed(2)}×`);
    attempts.push({ worker: { ...worker, resultPath: undefined, load: workerLoad }, duckdb: { seconds: duck.seconds, rowsPerSecond: duck.rowsPerSecond, load: duckLoad }, resultsAgree: same, ratio: worker.seconds / duck.seconds });
  }
  results.runs[run] = { generationSeconds, attempts };
}
if (flags.json) writeFileSync(flags.json, JSON.stringify(results, null, 2));
await mf.dispose();
