#!/usr/bin/env node
// npm run soak -- --minutes 10: a steady mixed load on the local stack as
// `npm start` runs it (reads, puts, batch gets, bulk NDJSON, and an
// asynchronous dataset job every minute), reporting per minute the requests,
// errors, p50/p99 latency and the resident memory of workerd. Exits 1 on any
// error. Figures of a 10-minute run are in docs/reliability.md.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { freePort, rootAuth, startStack, workerdRssMiB } from "./lib/stack.mjs";

const HELP = `Usage: npm run soak -- [options]

Steady mixed load on the local stack (npm start), reported per minute:
requests, errors, p50/p99 latency per operation and workerd's resident memory.

Options:
  --minutes <n>   how long to run (default 10)
  --rate <n>      requests per second, spread over the workers (default 100)
  --workers <n>   concurrent clients (default 8)
  --out <file>    also write the per-minute figures as JSON
  --help          show this help

Mix: 60 % GetRecord, 20 % PutRecord, 10 % BatchGetRecord (20 ids), 10 % bulk
NDJSON (50 rows, online and offline), plus one asynchronous dataset job
(500 entity rows) each minute, polled to completion.
Exit status: 0 with no errors, 1 otherwise.`;

const { values: opts } = parseArgs({
  options: {
    minutes: { type: "string", default: "10" },
    rate: { type: "string", default: "100" },
    workers: { type: "string", default: "8" },
    out: { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (opts.help) {
  console.log(HELP);
  process.exit(0);
}
const number = (name) => {
  const n = Number(opts[name]);
  if (!(n > 0)) {
    console.error(`--${name} must be a positive number`);
    process.exit(2);
  }
  return n;
};
const MINUTES = number("minutes");
const RATE = number("rate");
const WORKERS = Math.floor(number("workers"));
const IDS = 2_000;
const GROUP = `soak_${Date.now().toString(36)}`;
const BASE_MS = Date.UTC(2026, 0, 1);

const work = mkdtempSync(join(tmpdir(), "fs-soak-"));
const auth = rootAuth();
const port = await freePort();

let counter = 0;
const record = (id) => {
  counter += 1;
  return { id: `s-${id}`, ts: new Date(BASE_MS + counter * 1000).toISOString(), n: counter, score: Math.round(Math.random() * 1e6) / 1e3, pad: "x".repeat(200) };
};
const randomId = () => Math.floor(Math.random() * IDS);

/** One minute's figures: latencies per operation, errors, and the first few error texts. */
function newWindow() {
  return { latencies: new Map(), requests: 0, errors: 0, samples: [] };
}
let window = newWindow();

async function timed(op, method, path, body, contentType = "application/json") {
  const started = performance.now();
  let status = 0;
  let text = "";
  try {
    const res = await fetch(`${stack.origin}/v1${path}`, {
      method,
      headers: { authorization: auth.bearer, "content-type": contentType },
      ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
    });
    status = res.status;
    text = await res.text();
  } catch (error) {
    text = String(error);
  }
  const ms = performance.now() - started;
  const w = window;
  w.requests += 1;
  if (!w.latencies.has(op)) w.latencies.set(op, []);
  w.latencies.get(op).push(ms);
  if (status < 200 || status >= 300) {
    w.errors += 1;
    if (w.samples.length < 5) w.samples.push(`${op} ${status} ${text.slice(0, 200)}`);
    return null;
  }
  return text ? JSON.parse(text) : {};
}

function operation() {
  const r = Math.random();
  if (r < 0.6) return timed("get", "GET", `/feature-groups/${GROUP}/records/s-${randomId()}`);
  if (r < 0.8) return timed("put", "PUT", `/feature-groups/${GROUP}/records`, { record: record(randomId()) });
  if (r < 0.9) {
    const ids = Array.from({ length: 20 }, () => `s-${randomId()}`);
    return timed("batch-get", "POST", "/records/batch-get", { requests: [{ featureGroup: GROUP, recordIdentifiers: ids }] });
  }
  const rows = Array.from({ length: 50 }, () => JSON.stringify(record(randomId()))).join("\n");
  return timed("bulk", "POST", `/feature-groups/${GROUP}/records/batch?targetStores=online,offline`, rows, "application/x-ndjson");
}

/** An asynchronous dataset job over the group's offline store, polled until it ends; its whole time is one latency sample. */
async function datasetJob() {
  const started = performance.now();
  const rows = Array.from({ length: 500 }, (_, i) => ({ id: `s-${i % IDS}`, at: new Date(Date.now() + 60_000).toISOString() }));
  const job = await timed("dataset-submit", "POST", "/datasets", { entities: { rows }, timestampColumn: "at", featureGroups: [{ name: GROUP, entityColumn: "id" }], async: true, format: "ndjson" });
  if (!job) return;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const state = await timed("dataset-poll", "GET", `/datasets/jobs/${job.id}`);
    if (!state) return;
    if (state.state === "succeeded") break;
    if (state.state === "failed" || state.state === "cancelled") {
      window.errors += 1;
      window.samples.push(`dataset job ${state.state}: ${JSON.stringify(state.error ?? {})}`);
      return;
    }
  }
  const w = window;
  if (!w.latencies.has("dataset-job")) w.latencies.set("dataset-job", []);
  w.latencies.get("dataset-job").push(performance.now() - started);
}

const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);

function summarise(minute, w) {
  const ops = {};
  const all = [];
  for (const [op, list] of w.latencies) {
    const sorted = [...list].sort((a, b) => a - b);
    ops[op] = { n: sorted.length, p50: +percentile(sorted, 50).toFixed(1), p99: +percentile(sorted, 99).toFixed(1) };
    if (!op.startsWith("dataset")) all.push(...sorted);
  }
  all.sort((a, b) => a - b);
  return { minute, requests: w.requests, errors: w.errors, p50: +percentile(all, 50).toFixed(1), p99: +percentile(all, 99).toFixed(1), workerdRssMiB: Math.round(workerdRssMiB(stack.pid)), ops, errorSamples: w.samples };
}

let stack;
const minutes = [];
try {
  console.log(`soak: ${MINUTES} min at ${RATE} req/s over ${WORKERS} clients; state and log in ${work}`);
  stack = await startStack({ port, stateDir: join(work, "state"), logFile: join(work, "stack.log"), auth: auth.bearer });
  const created = await timed("create", "POST", "/feature-groups", {
    name: GROUP,
    recordIdentifierFeature: "id",
    eventTimeFeature: "ts",
    features: [
      { name: "id", type: "String" },
      { name: "ts", type: "String" },
      { name: "n", type: "Integral" },
      { name: "score", type: "Fractional" },
      { name: "pad", type: "String" },
    ],
    onlineStore: { enabled: true },
    offlineStore: { enabled: true },
  });
  if (!created) throw new Error(`could not create the group: ${window.samples.join("; ")}`);
  for (let i = 0; i < IDS; i += 500) {
    const rows = Array.from({ length: 500 }, (_, k) => JSON.stringify(record(i + k))).join("\n");
    if (!(await timed("seed", "POST", `/feature-groups/${GROUP}/records/batch?targetStores=online,offline`, rows, "application/x-ndjson"))) throw new Error(window.samples.join("; "));
  }
  window = newWindow();
  console.log("minute  requests  errors  p50 ms  p99 ms  workerd RSS MiB");

  const endAt = Date.now() + MINUTES * 60_000;
  const intervalMs = (1000 * WORKERS) / RATE;
  const clients = Array.from({ length: WORKERS }, async (_, k) => {
    // Open loop: each client keeps its own schedule, so a slow answer does not lower the offered load.
    let next = Date.now() + (k * intervalMs) / WORKERS;
    while (Date.now() < endAt) {
      const wait = next - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      next += intervalMs;
      await operation();
    }
  });
  const jobs = (async () => {
    while (Date.now() < endAt - 30_000) {
      await datasetJob();
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 60_000 - (Date.now() % 60_000))));
    }
  })();
  const reporter = (async () => {
    for (let minute = 1; minute <= Math.ceil(MINUTES); minute++) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(60_000, endAt - Date.now())));
      const w = window;
      window = newWindow();
      const row = summarise(minute, w);
      minutes.push(row);
      console.log(`${String(minute).padStart(6)}  ${String(row.requests).padStart(8)}  ${String(row.errors).padStart(6)}  ${String(row.p50).padStart(6)}  ${String(row.p99).padStart(6)}  ${String(row.workerdRssMiB).padStart(15)}`);
      for (const s of row.errorSamples) console.log(`        error: ${s}`);
    }
  })();
  await Promise.all([...clients, jobs, reporter]);
  const errors = minutes.reduce((n, m) => n + m.errors, 0);
  const summary = { minutes: MINUTES, rate: RATE, workers: WORKERS, requests: minutes.reduce((n, m) => n + m.requests, 0), errors, perMinute: minutes };
  if (opts.out) writeFileSync(opts.out, JSON.stringify(summary, null, 2));
  console.log(errors === 0 ? "soak: passed, 0 errors" : `soak: FAILED, ${errors} errors`);
  process.exitCode = errors === 0 ? 0 : 1;
} catch (error) {
  console.error(`soak: error: ${error.stack ?? error}`);
  process.exitCode = 1;
} finally {
  if (stack) await stack.stop();
  if (process.exitCode === 0) rmSync(work, { recursive: true, force: true });
  else console.log(`kept ${work}`);
}
