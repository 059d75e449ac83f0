#!/usr/bin/env node
// npm run bench:rpc: GetRecord as another Worker makes it, over the
// FeatureStore RPC binding and over HTTP through a service binding, next to
// that Worker's own floor; strongly consistent against bounded-staleness
// (colo cache) reads, next to the store's floor; and bursts of concurrent
// getRecord calls through the TypeScript client (clients/typescript), sent
// separately and coalesced into batch gets. Everything in one run, one
// workerd (Miniflare), no wrangler dev proxy. See docs/benchmarks.md.
import { availableParallelism, cpus } from "node:os";
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import { buildClient } from "./build-client.mjs";
import { createClient, runLoad, waitForQuiet } from "./lib/bench-load.mjs";
import { featureGroupBody, GROUP, recordId, recordTemplate } from "./lib/bench-records.mjs";
import { startWorker } from "./lib/bench-worker.mjs";
import { scriptFlags } from "./lib/flags.mjs";

const HELP = `Usage: npm run bench:rpc -- [options]

Runs the store and a second Worker ("rpc-caller", scripts/lib/rpc-caller-worker.js)
in workerd, seeds --records records of the 50-feature benchmark group, issues
an access key allowed sagemaker:GetRecord on it (both paths act as that key),
then measures at concurrency 1, each phase next to its floor:

  store floor        client -> store       GET /v1/health
  HTTP               client -> store       GetRecord
  HTTP, cached       client -> store       GetRecord ?maxStalenessMs (every record cached first)
  caller floor       client -> caller      no call
  RPC                client -> caller -> store   FEATURE_STORE.getRecord
  HTTP binding       client -> caller -> store   GetRecord through STORE.fetch, parsed
  RPC, cached        client -> caller -> store   getRecord with maxStalenessMs

then, with the TypeScript client (Node's fetch) against the store as the root key, --bursts
bursts of --burst concurrent getRecord calls each: separate GetRecords, and
coalesced into batch gets (the client's coalesce option): wall time per burst
and latency per call.

  --duration <s>     measured seconds per phase (default 5)
  --warmup <s>       unmeasured seconds before each phase (default 1.5)
  --records <n>      records read, uniformly at random (default 1000)
  --stale <ms>       the bound of the cached phases (default 60000)
  --burst <n>        concurrent getRecord calls per burst (default 100)
  --bursts <n>       measured bursts per mode, after 5 unmeasured (default 50)
  --wait-quiet       wait for the machine to go idle before each phase
  --json <file>      also write the results as JSON
  --help             this text

Traffic goes only to 127.0.0.1. A run takes about a minute.`;

const { flags, positive } = scriptFlags(HELP, {
  duration: { type: "string", default: "5" },
  warmup: { type: "string", default: "1.5" },
  records: { type: "string", default: "1000" },
  stale: { type: "string", default: "60000" },
  burst: { type: "string", default: "100" },
  bursts: { type: "string", default: "50" },
  "wait-quiet": { type: "boolean", default: false },
  json: { type: "string" },
});
const durationMs = positive("duration") * 1000;
const warmupMs = positive("warmup") * 1000;
const recordCount = Math.floor(positive("records"));
const stale = Math.floor(positive("stale", 300_000));
const burstSize = Math.floor(positive("burst", 10_000));
const burstCount = Math.floor(positive("bursts"));
// Every cached read must find a copy younger than its bound for the whole phase.
if (stale < 2 * (durationMs + warmupMs)) throw new Error(`--stale (${stale} ms) must be at least twice a phase (${durationMs + warmupMs} ms)`);

const CALLER = "rpc-caller";
const callerWorker = (accessKeyId, authorization) => ({
  name: CALLER,
  modules: true,
  script: readFileSync(new URL("./lib/rpc-caller-worker.js", import.meta.url), "utf8"),
  compatibilityDate: "2026-11-01",
  bindings: { GROUP, AUTHORIZATION: authorization },
  // As a caller's wrangler.toml declares them (docs/api.md#workers-rpc-binding).
  serviceBindings: {
    FEATURE_STORE: { name: "edge-feature-store", entrypoint: "FeatureStore", props: { accessKeyId } },
    STORE: "edge-feature-store",
  },
  unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
});

const worker = await startWorker({});
let exitCode = 0;
try {
  const setup = await createClient(worker.origin, 1);
  const send = async (method, path, body, authorization = worker.authorization) => {
    const res = await setup.request({ method, path, headers: { authorization, "content-type": "application/json" }, body: body && JSON.stringify(body) });
    const text = Buffer.from(res.bytes).toString("utf8");
    if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
    return JSON.parse(text);
  };
  await send("POST", "/v1/feature-groups", featureGroupBody());
  const issued = await send("POST", "/v1/admin/access-keys", {
    name: "bench rpc caller",
    policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["sagemaker:GetRecord", "sagemaker:BatchGetRecord", "sagemaker:PutRecord"], Resource: [`feature-group/${GROUP}`] }] },
    rateLimit: { perSecond: 100000, burst: 100000 },
  });
  const authorization = `Bearer ${issued.accessKey.accessKeyId}:${issued.secretAccessKey}`;
  const { putBody, featureCount } = recordTemplate();
  for (let n = 0; n < recordCount; n++) await send("PUT", `/v1/feature-groups/${GROUP}/records`, JSON.parse(putBody(n)), authorization);
  await setup.close();

  // The caller's binding names the key in its props, known only now: add the caller Worker.
  const storeOrigin = await worker.reconfigure([callerWorker(issued.accessKey.accessKeyId, authorization)]);
  const store = await createClient(storeOrigin, 1);
  const caller = await createClient(await worker.directOrigin(CALLER), 1);
  const headers = { authorization };
  const id = () => recordId(Math.floor(Math.random() * recordCount));

  const sample = JSON.parse(Buffer.from((await caller.request({ method: "GET", path: `/rpc?id=${recordId(0)}`, headers: {} })).bytes).toString("utf8"));
  if (sample.features !== featureCount) throw new Error(`the RPC read returned ${sample.features} features, expected ${featureCount}`);

  const PHASES = [
    { key: "storeFloor", name: "store floor: GET /v1/health", client: store, floor: true, next: () => ({ method: "GET", path: "/v1/health", headers }) },
    { key: "http", name: "HTTP GetRecord", client: store, next: () => ({ method: "GET", path: `/v1/feature-groups/${GROUP}/records/${id()}`, headers }) },
    { key: "httpCached", name: "HTTP GetRecord, cached", client: store, prime: true, next: () => ({ method: "GET", path: `/v1/feature-groups/${GROUP}/records/${id()}?maxStalenessMs=${stale}`, headers }) },
    { key: "callerFloor", name: "caller floor: no call", client: caller, floor: true, next: () => ({ method: "GET", path: "/floor", headers: {} }) },
    { key: "rpc", name: "caller -> RPC getRecord", client: caller, next: () => ({ method: "GET", path: `/rpc?id=${id()}`, headers: {} }) },
    { key: "binding", name: "caller -> HTTP via binding", client: caller, next: () => ({ method: "GET", path: `/http?id=${id()}`, headers: {} }) },
    { key: "rpcCached", name: "caller -> RPC, cached", client: caller, prime: true, next: () => ({ method: "GET", path: `/rpc?id=${id()}&stale=${stale}`, headers: {} }) },
  ];

  const workerdVersion = JSON.parse(readFileSync(new URL("../node_modules/workerd/package.json", import.meta.url), "utf8")).version;
  console.log(`\nRPC binding benchmark of the ${worker.source}: workerd ${workerdVersion} via Miniflare (direct sockets)`);
  console.log(`Machine: ${availableParallelism()} CPUs, ${cpus()[0]?.model ?? "unknown CPU"}; Node ${process.version}, ${store.kind} keep-alive client, closed loop, concurrency 1`);
  console.log(`Reads: ${recordCount} records of ${featureCount} features (~15 KB JSON), uniformly at random, as an issued access key; cached phases bound ${stale} ms`);
  console.log(`Each phase: ${warmupMs / 1000} s warm-up, then ${durationMs / 1000} s measured\n`);
  console.log("phase                           n      p50     p95     p99   req/s  p50/floor");

  const results = {};
  let floor;
  for (const phase of PHASES) {
    if (phase.prime) {
      // Every record read once with the bound: the measured reads are all hits.
      for (let n = 0; n < recordCount; n++) await phase.client.request({ ...phase.next(), path: phase.next().path.replace(/(id=|records\/)[^?&]+/, `$1${recordId(n)}`) }, { discard: true });
    }
    if (flags["wait-quiet"] && !(await waitForQuiet())) console.log("  (the machine did not go quiet within 60 s; measuring anyway)");
    await runLoad(phase.client, { concurrency: 1, durationMs: warmupMs, next: () => ({ ...phase.next(), records: 1 }) });
    const r = await runLoad(phase.client, { concurrency: 1, durationMs, next: () => ({ ...phase.next(), records: 1 }) });
    if (phase.floor) floor = r;
    results[phase.key] = { name: phase.name, ...r, floorP50: floor.p50 };
    const ms = (v) => v.toFixed(3).padStart(7);
    console.log(`${phase.name.padEnd(28)} ${String(r.count).padStart(6)} ${ms(r.p50)} ${ms(r.p95)} ${ms(r.p99)} ${Math.round(r.reqPerSec).toLocaleString("en").padStart(7)}  ${(r.p50 / floor.p50).toFixed(2).padStart(8)}x`);
  }
  const over = (a, b) => `${(results[a].p50 - results[b].p50).toFixed(3)} ms p50, ${(results[a].p99 - results[b].p99).toFixed(3)} ms p99`;
  console.log(`\nAbove the caller's floor: RPC ${over("rpc", "callerFloor")}; HTTP via binding ${over("binding", "callerFloor")}; RPC cached ${over("rpcCached", "callerFloor")}`);
  console.log(`Above the store's floor: HTTP ${over("http", "storeFloor")}; HTTP cached ${over("httpCached", "storeFloor")}`);

  results.bursts = await measureBursts(storeOrigin, worker.authorization, id);
  const b = results.bursts;
  const ms = (v) => v.toFixed(2).padStart(8);
  console.log(`\nTypeScript client, ${burstCount} bursts of ${burstSize} concurrent getRecord calls (store floor p50 ${results.storeFloor.p50.toFixed(3)} ms)`);
  console.log("mode          requests/burst  wall p50  wall p99  call p50  call p99");
  for (const mode of ["separate", "coalesced"]) {
    const r = b[mode];
    console.log(`${mode.padEnd(13)} ${String(r.requestsPerBurst).padStart(14)} ${ms(r.wall.p50)} ${ms(r.wall.p99)} ${ms(r.call.p50)} ${ms(r.call.p99)}`);
  }

  if (flags.json) {
    await writeFile(flags.json, JSON.stringify({ meta: { source: worker.source, workerdVersion, node: process.version, cpus: availableParallelism(), featureCount, flags }, results }, null, 2));
    console.log(`\nWrote ${flags.json}`);
  }
  await store.close();
  await caller.close();
} catch (error) {
  console.error(error instanceof Error ? error.stack : error);
  exitCode = 1;
} finally {
  await worker.dispose();
}
process.exit(exitCode);

/** Nearest-rank p50 and p99 of latencies in ms. */
function percentiles(values) {
  const sorted = Float64Array.from(values).sort();
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
  return { p50: at(50), p99: at(99) };
}

/**
 * Bursts of concurrent getRecord calls through the TypeScript client (its
 * built bundle, as package.json exports it), separately and coalesced. Every
 * read must find its record, so both modes do the same work.
 */
async function measureBursts(origin, authorization, id) {
  // As the root key, which no rate limit applies to: an issued key's limiter
  // can answer 429 to a burst of 100 first requests (see docs/benchmarks.md),
  // and a retried read would measure the backoff, not the reads.
  const [accessKeyId, secretAccessKey] = authorization.replace(/^Bearer /, "").split(":");
  const { FeatureStoreClient } = await import(pathToFileURL(await buildClient()).href);
  const out = {};
  for (const [mode, coalesce] of [["separate", false], ["coalesced", true]]) {
    let requests = 0;
    const fetch = (url, init) => ((requests += 1), globalThis.fetch(url, init));
    const client = new FeatureStoreClient({ endpoint: origin, accessKeyId, secretAccessKey, fetch, coalesce, maxRetries: 0 });
    const walls = [];
    const calls = [];
    for (let round = -5; round < burstCount; round++) {
      if (round === 0) requests = 0;
      const started = performance.now();
      const latencies = await Promise.all(
        Array.from({ length: burstSize }, async () => {
          const t = performance.now();
          if (!(await client.getRecord(GROUP, id()))) throw new Error("a seeded record was not found");
          return performance.now() - t;
        }),
      );
      if (round < 0) continue;
      walls.push(performance.now() - started);
      calls.push(...latencies);
    }
    out[mode] = { requestsPerBurst: requests / burstCount, wall: percentiles(walls), call: percentiles(calls) };
  }
  return out;
}
