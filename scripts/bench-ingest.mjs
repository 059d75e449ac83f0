#!/usr/bin/env node
// npm run bench:ingest: bulk ingest throughput (records/s) through
// POST /v1/feature-groups/{name}/records/batch, online+offline, online only
// and offline only, each as NDJSON bodies of --batch rows sent --concurrency
// at a time, next to the same rows sent as single PutRecord calls.
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { startDevServer } from "./lib/dev-server.mjs";
import { groupBody, record } from "./lib/twenty-features.mjs";

const HELP = `Usage: npm run bench:ingest -- [options]

Starts both workers with wrangler dev (a temporary state directory), creates a
20-feature group with 16 shards and an offline store, and bulk-loads --rows
records per mode (online+offline, online, offline) in NDJSON bodies of
--batch rows, --concurrency requests at a time. Prints records/s per mode, and
single PutRecord records/s at the same concurrency as the floor.

  --rows <n>         records per mode (default 100000)
  --batch <n>        rows per request (default 10000)
  --concurrency <n>  requests in flight (default 2)
  --json <file>      also write the results as JSON
  --help             this text`;

const { values: flags } = parseArgs({
  options: { rows: { type: "string", default: "100000" }, batch: { type: "string", default: "10000" }, concurrency: { type: "string", default: "2" }, json: { type: "string" }, help: { type: "boolean", default: false } },
});
if (flags.help) {
  console.log(HELP);
  process.exit(0);
}
const rows = Number(flags.rows);
const batch = Number(flags.batch);
const concurrency = Number(flags.concurrency);

const { call, stop } = await startDevServer();

/** Runs jobs with at most `limit` in flight. */
async function pool(jobs, limit) {
  const running = new Set();
  for (const job of jobs) {
    while (running.size >= limit) await Promise.race(running);
    const p = job().finally(() => running.delete(p));
    running.add(p);
  }
  await Promise.all(running);
}

async function bulkMode(mode, targetStores) {
  const group = `ingest${mode}${Date.now()}`;
  await call("POST", "/feature-groups", groupBody(group));
  const bodies = [];
  for (let start = 0; start < rows; start += batch) {
    bodies.push(Array.from({ length: Math.min(batch, rows - start) }, (_, k) => JSON.stringify(record(start + k, "2026-11-01T00:00:00Z"))).join("\n"));
  }
  const started = performance.now();
  await pool(bodies.map((body) => () => call("POST", `/feature-groups/${group}/records/batch?targetStores=${targetStores}`, body, "application/x-ndjson")), concurrency);
  return Math.round(rows / ((performance.now() - started) / 1000));
}

async function singlePuts() {
  const group = `ingestsingle${Date.now()}`;
  await call("POST", "/feature-groups", groupBody(group));
  const n = Math.min(rows, 5_000);
  const started = performance.now();
  await pool(Array.from({ length: n }, (_, i) => () => call("PUT", `/feature-groups/${group}/records`, { record: record(i, "2026-11-01T00:00:00Z") })), 16);
  return Math.round(n / ((performance.now() - started) / 1000));
}

const results = {
  rowsPerMode: rows,
  rowsPerRequest: batch,
  concurrency,
  recordsPerSecond: {
    onlineAndOffline: await bulkMode("both", "online,offline"),
    onlineOnly: await bulkMode("online", "online"),
    offlineOnly: await bulkMode("offline", "offline"),
    singlePutRecordFloor: await singlePuts(),
  },
};
console.table(results.recordsPerSecond);
console.log(`online+offline ${results.recordsPerSecond.onlineAndOffline >= 20_000 ? "meets" : "misses"} the 20,000 records/s target`);
if (flags.json) writeFileSync(flags.json, JSON.stringify(results, null, 2));
stop();
process.exit(0);
