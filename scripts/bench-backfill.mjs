#!/usr/bin/env node
// npm run bench:backfill: offline backfill throughput of the CLI against the
// local stack, next to a floor measured in the same run.
//
// 1. Generates a Parquet input of --rows rows (5 features: id, ts, age,
//    score, city; event times over 24 hours, so 24 hourly partitions).
// 2. Floor: the same rows read from that Parquet file and written again as
//    ZSTD Parquet with the offline columns, in this process: columnar, no
//    validation, no row objects, no upload, no registration.
// 3. The CLI (`fs backfill`, a child process on this Node) against the API
//    worker in workerd (Miniflare, no wrangler dev proxy) and its offline
//    bucket through the local R2 S3 endpoint: validation with the service's
//    rules, Parquet per chunk and partition, upload, registration.
// 4. Checks the manifest holds exactly --rows rows.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startWorker } from "./lib/bench-worker.mjs";
import { importBundled } from "./lib/ts-bundle.mjs";
import { scriptFlags } from "./lib/flags.mjs";

const HELP = `Usage: npm run bench:backfill -- [options]

  --rows <n>        input rows (default 1000000)
  --chunk-rows <n>  the CLI's --chunk-rows (default: the CLI's default)
  --workers <n>     the CLI's --workers (default: the CLI's default, one per CPU)
  --json <file>     also write the results as JSON
  --ui              then time the web catalog's page of the backfilled group
                    (docs/ui.md: statistics from footers and the manifest)
  --help            this text

Prints rows/s of the CLI backfill (whole process, and the CLI's own figure
without Node start-up) next to the floor (Parquet read + write of the same rows).`;

const { flags } = scriptFlags(HELP, { rows: { type: "string", default: "1000000" }, "chunk-rows": { type: "string" }, workers: { type: "string" }, json: { type: "string" }, ui: { type: "boolean", default: false } });
const ROWS = Number(flags.rows);
if (!Number.isSafeInteger(ROWS) || ROWS < 1) throw new Error("--rows must be a positive integer");
const LOCAL_S3 = { accessKeyId: "local-offline-store", secretAccessKey: "local-offline-store-secret" };
const ROOT = resolve(import.meta.dirname, "..");

const arrow = await import("apache-arrow");
const pw = await import("parquet-wasm");
// The service's Arrow column builder (src/offline/arrow-columns.ts), from the bundle the CLI runs from too.
const { columnVector } = await importBundled("arrow-columns");

const FEATURES = [
  { name: "id", type: "String" },
  { name: "ts", type: "String" },
  { name: "age", type: "Integral" },
  { name: "score", type: "Fractional" },
  { name: "city", type: "String" },
];
const BASE_MS = Date.UTC(2026, 0, 1);
const zstd = () => new pw.WriterPropertiesBuilder().setCompression(pw.Compression.ZSTD).build();
const toParquet = (table) => pw.writeParquet(pw.Table.fromIPCStream(arrow.tableToIPC(table, "stream")), zstd());

function generateInput(path) {
  const ids = new Array(ROWS);
  const ts = new Array(ROWS);
  const ages = new Array(ROWS);
  const scores = new Array(ROWS);
  const cities = new Array(ROWS);
  const step = (24 * 3_600_000) / ROWS;
  for (let i = 0; i < ROWS; i++) {
    ids[i] = `user-${String(i).padStart(8, "0")}`;
    ts[i] = new Date(BASE_MS + Math.floor(i * step)).toISOString();
    ages[i] = i % 100;
    scores[i] = i / 7;
    cities[i] = `city-${i % 97}`;
  }
  const table = new arrow.Table({
    id: columnVector(new arrow.Utf8(), ids),
    ts: columnVector(new arrow.Utf8(), ts),
    age: columnVector(new arrow.Int64(), ages),
    score: columnVector(new arrow.Float64(), scores),
    city: columnVector(new arrow.Utf8(), cities),
  });
  writeFileSync(path, toParquet(table));
}

/** Floor: read the input Parquet, add the offline columns, write ZSTD Parquet. Columnar all the way. */
async function floor(path) {
  const { readFileSync } = await import("node:fs");
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const table = arrow.tableFromIPC(pw.readParquet(readFileSync(path)).intoIPCStream());
  const now = Date.now();
  const columns = {};
  for (const f of table.schema.fields) columns[f.name] = table.getChild(f.name);
  columns.write_time = columnVector(new arrow.TimestampMillisecond("UTC"), new Array(table.numRows).fill(now));
  columns.api_invocation_time = columnVector(new arrow.TimestampMillisecond("UTC"), new Array(table.numRows).fill(now));
  columns.is_deleted = columnVector(new arrow.Bool(), new Array(table.numRows).fill(false));
  const bytes = toParquet(new arrow.Table(columns));
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return { seconds, rowsPerSecond: Math.round(table.numRows / seconds), cpuSeconds, rowsPerCpuSecond: Math.round(table.numRows / cpuSeconds), bytes: bytes.byteLength };
}

function runCli(args, env) {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [...(process.env.BENCH_CLI_NODE_ARGS ? process.env.BENCH_CLI_NODE_ARGS.split(" ") : []), join(ROOT, "scripts/fs.mjs"), ...args], { env: { PATH: process.env.PATH, ...env }, cwd: work });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolvePromise({ seconds: (performance.now() - started) / 1000, report: JSON.parse(stdout) }) : reject(new Error(`fs ${args.join(" ")} exited ${code}:\n${stderr}`))));
  });
}

/** Signs in to /ui and times the group page (statistics from footers, histograms from one small row group). */
async function timeGroupPage(worker, accessKeyId, secret, group) {
  const signIn = await fetch(`${worker.origin}/ui/sign-in`, {
    method: "POST",
    redirect: "manual",
    headers: { origin: worker.origin, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ accessKeyId, secret }).toString(),
  });
  const cookie = /fs_ui_session=[^;]+/.exec(signIn.headers.get("set-cookie") ?? "")?.[0];
  if (!cookie) throw new Error(`signing in to /ui: ${signIn.status}`);
  const timesMs = [];
  let html = "";
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    const res = await fetch(`${worker.origin}/ui/feature-groups/${group}`, { headers: { cookie } });
    html = await res.text();
    if (res.status !== 200) throw new Error(`the group page answered ${res.status}`);
    timesMs.push(Math.round(performance.now() - started));
  }
  const footers = /From the Parquet footers of ([^<]*)/.exec(html)?.[1] ?? "no statistics on the page";
  return { timesMs, medianMs: [...timesMs].sort((a, b) => a - b)[2], footers };
}

const work = mkdtempSync(join(tmpdir(), "fs-bench-backfill-"));
const input = join(work, "input.parquet");
let worker;
try {
  console.error(`generating ${ROWS.toLocaleString("en-US")} rows ...`);
  generateInput(input);
  const inputBytes = statSync(input).size;
  const floorRun = await floor(input);
  console.error(`floor: ${floorRun.rowsPerSecond.toLocaleString("en-US")} rows/s`);
  worker = await startWorker();
  const [accessKeyId, secretAccessKey] = worker.authorization.slice("Bearer ".length).split(":");
  const group = `backfill${Date.now()}`;
  const res = await fetch(`${worker.origin}/v1/feature-groups`, {
    method: "POST",
    headers: { authorization: worker.authorization, "content-type": "application/json" },
    body: JSON.stringify({ name: group, recordIdentifierFeature: "id", eventTimeFeature: "ts", features: FEATURES, onlineStore: { enabled: true }, offlineStore: { enabled: true } }),
  });
  if (res.status !== 201) throw new Error(`creating the group: ${res.status} ${await res.text()}`);
  const env = {
    FS_ENDPOINT: worker.origin,
    FS_ACCESS_KEY_ID: accessKeyId,
    FS_SECRET_ACCESS_KEY: secretAccessKey,
    FS_OFFLINE_S3_ENDPOINT: `${worker.entryOrigin}/cdn-cgi/local/r2/s3`,
    FS_OFFLINE_S3_ACCESS_KEY_ID: LOCAL_S3.accessKeyId,
    FS_OFFLINE_S3_SECRET_ACCESS_KEY: LOCAL_S3.secretAccessKey,
  };
  console.error("fs backfill ...");
  const cli = await runCli(["backfill", input, "--group", group, "--quiet", "--checkpoint", join(work, "ckpt.json"), ...(flags["chunk-rows"] ? ["--chunk-rows", flags["chunk-rows"]] : []), ...(flags.workers ? ["--workers", flags.workers] : [])], env);
  const store = await (await fetch(`${worker.origin}/v1/feature-groups/${group}/offline-store`, { headers: { authorization: worker.authorization } })).json();
  if (store.stats.rows !== ROWS) throw new Error(`the manifest holds ${store.stats.rows} rows, expected ${ROWS}`);
  const results = {
    rows: ROWS,
    workers: flags.workers ?? "default",
    inputBytes,
    source: worker.source,
    floor: floorRun,
    cli: { processSeconds: Number(cli.seconds.toFixed(3)), processRowsPerSecond: Math.round(ROWS / cli.seconds), ownSeconds: cli.report.seconds, ownRowsPerSecond: cli.report.rowsPerSecond, cpuSeconds: cli.report.cpuSeconds, maxRssMiB: cli.report.maxRssMiB, rowsPerCpuSecond: Math.round(ROWS / cli.report.cpuSeconds) },
    manifest: { files: store.stats.files, partitions: store.stats.partitions, bytes: store.stats.bytes },
  };
  if (flags.ui) results.ui = await timeGroupPage(worker, accessKeyId, secretAccessKey, group);
  const f = (n) => n.toLocaleString("en-US");
  const load = (await import("node:os")).loadavg()[0];
  results.loadAverage = load;
  console.log(`rows                       ${f(ROWS)} (input ${f(inputBytes)} bytes of Parquet)
floor (read + write)       ${f(floorRun.rowsPerSecond)} rows/s  (${floorRun.seconds.toFixed(2)} s; ${f(floorRun.rowsPerCpuSecond)} rows per CPU-second)
fs backfill, process       ${f(results.cli.processRowsPerSecond)} rows/s  (${cli.seconds.toFixed(2)} s incl. Node start-up)
fs backfill, CLI's figure  ${f(cli.report.rowsPerSecond)} rows/s  (${cli.report.seconds} s; ${f(results.cli.rowsPerCpuSecond)} rows per CPU-second of the CLI)
CLI peak memory (RSS)      ${f(cli.report.maxRssMiB)} MiB
load average (1 min)       ${load.toFixed(2)} on ${(await import("node:os")).availableParallelism()} cores
manifest                   ${f(store.stats.files)} files, ${store.stats.partitions} partitions, ${f(store.stats.bytes)} bytes`);
  if (results.ui) console.log(`web catalog group page     ${results.ui.medianMs} ms median of ${results.ui.timesMs.length} (${results.ui.timesMs.join(", ")} ms); ${results.ui.footers}`);
  if (flags.json) writeFileSync(flags.json, `${JSON.stringify(results, null, 2)}\n`);
} finally {
  await worker?.dispose();
  rmSync(work, { recursive: true, force: true });
}
