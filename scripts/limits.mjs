#!/usr/bin/env node
// npm run limits: every heavy path at the largest input the store accepts,
// at its realistic concurrency in one isolate, measured against Cloudflare's
// production limits that local workerd does not enforce (docs/limits.md).
//
// Both workers run in workerd through Miniflare (scripts/lib/limits-stack.mjs)
// with the inspector on. Per path, in fresh isolates: the used V8 heap of
// each worker's isolate sampled over the inspector (peak), the bytes of its
// WebAssembly memories (parquet-wasm; they only grow, so the end is the
// peak), its CPU time from the V8 sampling profiler, and per invocation the
// subrequests and largest RPC message the counting probe
// (scripts/lib/limits-probe.js) saw. Exits 1 if a path uses over 80 % of a limit.
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { Agent, setGlobalDispatcher } from "undici";
import { attach } from "./lib/isolate-probe.mjs";
import { prepareStack } from "./lib/limits-stack.mjs";
import { PATHS } from "./lib/limits-paths.mjs";

const HELP = `Usage: npm run limits -- [options]

  --only <list>      paths to run, comma-separated (default: all)
                     ${Object.keys(PATHS).join(", ")}
  --scale <f>        fraction of the maximum inputs (default 1; e.g. 0.05 for a quick run)
  --json <file>      also write the measurements as JSON
  --help             this text

Exits 1 when a path is over 80 % of a production limit (at --scale 1 only
the verdict is meaningful). See docs/limits.md.`;

const { values: flags } = parseArgs({
  options: { only: { type: "string" }, scale: { type: "string", default: "1" }, json: { type: "string" }, help: { type: "boolean", default: false } },
});
if (flags.help) {
  console.log(HELP);
  process.exit(0);
}
const scale = Number(flags.scale);
if (!(scale > 0 && scale <= 1)) throw new Error("--scale must be in (0, 1]");
const only = flags.only ? flags.only.split(",") : Object.keys(PATHS);
for (const name of only) if (!PATHS[name]) throw new Error(`unknown path ${name}; --help lists them`);

// Production limits (Workers Paid): developers.cloudflare.com/workers/platform/limits/,
// developers.cloudflare.com/durable-objects/platform/limits/, developers.cloudflare.com/queues/platform/limits/.
const MiB = 1024 * 1024;
const LIMITS = {
  memory: 128 * MiB,
  cpuMs: { "edge-feature-store": 30_000, "edge-feature-store-query": 300_000 }, // default; wrangler.query.toml sets cpu_ms = 300000
  subrequests: 10_000,
  rpcBytes: 32 * MiB,
  queueMessageBytes: 128 * 1024,
};
const THRESHOLD = 0.8;

/** The measurements so far (after every path: a long run that is stopped keeps what it measured). */
const writeJson = () => flags.json && writeFileSync(flags.json, JSON.stringify({ scale, limits: LIMITS, threshold: THRESHOLD, results }, null, 2));

// A full-size path can take minutes before the worker answers on a loaded machine: no client timeouts.
setGlobalDispatcher(new Agent({ headersTimeout: 0, bodyTimeout: 0 }));

const stack = prepareStack();
const fixtures = new Map();
const results = [];

/** Runs a fixture's seeding once, in its own stack, and keeps its storage for the paths that need it. */
async function fixture(name, seed) {
  if (!fixtures.has(name)) {
    const s = await stack.start();
    const started = performance.now();
    const info = await seed(s, scale);
    await s.dispose({ keep: true });
    console.log(`  fixture ${name} seeded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    fixtures.set(name, { state: s.state, info });
  }
  return fixtures.get(name);
}

async function measure(name) {
  const path = PATHS[name];
  const fx = path.fixture ? await fixture(path.fixture, path.seed) : undefined;
  const s = await stack.start(fx ? { state: fx.state } : {});
  const isolates = await Promise.all(s.names.map((n) => attach(s.mf, n)));
  try {
    const ctx = { ...s, scale, fixture: fx?.info };
    const prepared = path.prepare ? await path.prepare(ctx) : undefined;
    for (const iso of isolates) await iso.invocations(); // drop set-up invocations
    for (const iso of isolates) await iso.startProfile();
    const samplers = isolates.map((iso) => iso.sampleHeap());
    const started = performance.now();
    const outcome = await path.run(ctx, prepared);
    const seconds = (performance.now() - started) / 1000;
    const heaps = await Promise.all(samplers.map((x) => x.stop()));
    const rows = [];
    for (const [i, iso] of isolates.entries()) {
      const cpuMs = await iso.stopProfile();
      const wasm = await iso.wasmBytes();
      const invocations = (await iso.invocations()).filter((inv) => !/^fetch GET \/v1\/(datasets\/jobs|jobs)\//.test(inv.label));
      if (invocations.length === 0 && cpuMs < 50) continue;
      const heavy = invocations.filter((inv) => (outcome?.heavy ?? /./).test(inv.label));
      const n = Math.max(1, heavy.length);
      const worst = (f) => invocations.reduce((m, inv) => Math.max(m, f(inv)), 0);
      const errors = invocations.filter((inv) => inv.error).map((inv) => `${inv.label}: ${inv.error}`);
      rows.push({
        path: name,
        worker: iso.name,
        invocations: invocations.length,
        heavyInvocations: heavy.length,
        heapPeak: heaps[i],
        wasm,
        memory: heaps[i] + wasm,
        cpuMs,
        cpuMsPerInvocation: cpuMs / n,
        subrequests: worst((inv) => inv.total),
        subrequestsBy: invocations.reduce((best, inv) => (inv.total > (best?.total ?? -1) ? inv : best), undefined)?.subrequests ?? {},
        rpcBytes: worst((inv) => Math.max(inv.rpcSent, inv.rpcReceived, inv.messageIn, inv.messageOut)),
        queueMessageBytes: worst((inv) => inv.queueMessage ?? 0),
        errors,
      });
    }
    for (const row of rows) {
      const cpuLimit = LIMITS.cpuMs[row.worker] ?? 30_000;
      row.shares = {
        memory: row.memory / LIMITS.memory,
        cpu: row.cpuMsPerInvocation / cpuLimit,
        subrequests: row.subrequests / LIMITS.subrequests,
        rpc: row.rpcBytes / LIMITS.rpcBytes,
        queueMessage: row.queueMessageBytes / LIMITS.queueMessageBytes,
      };
      row.over = Object.entries(row.shares).filter(([, v]) => v > THRESHOLD).map(([k]) => k);
    }
    results.push({ path: name, describe: path.describe, seconds, note: outcome?.note, rows });
    print(results.at(-1));
    writeJson();
  } finally {
    for (const iso of isolates) iso.close();
    await s.dispose();
  }
}

const mib = (b) => (b / MiB).toFixed(1);
const pct = (x) => `${Math.round(x * 100)}%`;
function print({ path, describe, seconds, note, rows }) {
  console.log(`\n## ${path}: ${describe} (${seconds.toFixed(1)} s)${note ? `\n   ${note}` : ""}`);
  console.table(
    rows.map((r) => ({
      worker: r.worker.replace("edge-feature-store", "api").replace("api-query", "query"),
      "heap MiB": mib(r.heapPeak),
      "wasm MiB": mib(r.wasm),
      "sum / 128 MiB": `${mib(r.memory)} (${pct(r.shares.memory)})`,
      "CPU ms (per inv.)": `${Math.round(r.cpuMs)} (${Math.round(r.cpuMsPerInvocation)}, ${pct(r.shares.cpu)})`,
      "subrequests (max inv.)": `${r.subrequests} ${JSON.stringify(r.subrequestsBy).replaceAll('"', "")}`,
      "largest RPC": `${mib(r.rpcBytes)} MiB (${pct(r.shares.rpc)})`,
      verdict: r.over.length ? `OVER 80%: ${r.over.join(", ")}` : "ok",
    })),
  );
  for (const r of rows) for (const e of r.errors.slice(0, 3)) console.log(`   error in ${r.worker}: ${e}`);
}

console.log(`npm run limits --scale ${scale}: ${only.join(", ")}`);
let failed = false;
try {
  for (const name of only) {
    try {
      await measure(name);
    } catch (error) {
      failed = true;
      console.error(`\n## ${name}: FAILED to run: ${error.stack ?? error}`);
      results.push({ path: name, error: String(error) });
    }
  }
} finally {
  stack.dispose();
}
writeJson();
const over = results.flatMap((r) => (r.rows ?? []).filter((row) => row.over.length).map((row) => `${r.path} (${row.worker}): ${row.over.map((k) => `${k} ${pct(row.shares[k])}`).join(", ")}`));
console.log(over.length ? `\nOver 80% of a production limit:\n  ${over.join("\n  ")}` : "\nEvery path is within 80% of every limit.");
process.exit(over.length || failed ? 1 : 0);
