#!/usr/bin/env node
// npm run limits:heap -- <path> [--allocations] [--snapshot-mib n]: what holds the heap of one `npm run limits`
// path. Runs the path as the harness does (same stack, inputs, concurrency)
// and, over the API worker's inspector, records next to the used-heap peak
// the *live* heap: one heap snapshot (V8 collects first, so live objects
// only) once used heap passes --snapshot-mib, summarised by constructor /
// string kind; with --allocations, the allocation sites (sampling heap
// profiler) of everything that survived a scavenge, i.e. what became
// old-generation garbage or stayed live. Forced collections every second
// (HeapProfiler.collectGarbage) stalled workerd mid-request here, so the
// live figure is the snapshot's.
//
// The snapshot's collection lowers the used-heap peak, so this is a
// diagnosis, not the verdict: `npm run limits` measures without it.
import { createWriteStream, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { Agent, setGlobalDispatcher } from "undici";
import { prepareStack } from "./lib/limits-stack.mjs";
import { PATHS } from "./lib/limits-paths.mjs";

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: { allocations: { type: "boolean", default: false }, scale: { type: "string", default: "1" }, "snapshot-mib": { type: "string" }, out: { type: "string", default: "/tmp/limits-heap.heapsnapshot" } },
});
const name = positionals[0];
if (!PATHS[name]) throw new Error(`usage: limits-heap.mjs <path> [--scale f] [--allocations] [--snapshot-mib n] [--out file]; paths: ${Object.keys(PATHS).join(", ")}`);
const MiB = 1024 * 1024;
const scale = Number(flags.scale);
setGlobalDispatcher(new Agent({ headersTimeout: 0, bodyTimeout: 0 }));

/** A DevTools session (as lib/isolate-probe.mjs) that also delivers events. */
async function session(mf, worker) {
  const base = await mf.getInspectorURL();
  const targets = await (await fetch(new URL("/json", String(base).replace(/^ws/, "http")))).json();
  const target = targets.find((t) => t.webSocketDebuggerUrl?.endsWith(`/${worker}`));
  const socket = new WebSocket(target.webSocketDebuggerUrl, { headers: { origin: "http://localhost" } });
  socket.binaryType = "arraybuffer";
  await new Promise((resolve, reject) => (socket.addEventListener("open", resolve, { once: true }), socket.addEventListener("error", reject, { once: true })));
  const waiting = new Map();
  const listeners = new Map();
  let next = 1;
  socket.addEventListener("message", (event) => {
    const m = JSON.parse(typeof event.data === "string" ? event.data : new TextDecoder().decode(event.data));
    if (m.id !== undefined) waiting.get(m.id)?.(m), waiting.delete(m.id);
    else listeners.get(m.method)?.(m.params);
  });
  const send = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = next++;
      waiting.set(id, (m) => (m.error ? reject(new Error(`${method}: ${m.error.message}`)) : resolve(m.result)));
      socket.send(JSON.stringify({ id, method, params }));
    });
  return { send, on: (method, f) => listeners.set(method, f), close: () => socket.close() };
}

const stack = prepareStack();
const s = await stack.start();
const api = await session(s.mf, s.names[0]);
await api.send("Runtime.enable");
await api.send("HeapProfiler.enable");
const ctx = { ...s, scale };
const prepared = PATHS[name].prepare ? await PATHS[name].prepare(ctx) : undefined;

let usedPeak = 0;
let snapshotDone = !flags["snapshot-mib"];
let busy = false;
const used = async () => (await api.send("Runtime.getHeapUsage")).usedSize;
let stopped = false;
// Used heap every 25 ms.
const loop = (async () => {
  while (!stopped) {
    try {
      const u = await used();
      usedPeak = Math.max(usedPeak, u);
      if (!snapshotDone && u > Number(flags["snapshot-mib"]) * MiB) {
        snapshotDone = true;
        const file = createWriteStream(flags.out);
        api.on("HeapProfiler.addHeapSnapshotChunk", ({ chunk }) => file.write(chunk));
        await api.send("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
        await new Promise((r) => file.end(r));
        console.log(`snapshot at ${(u / MiB).toFixed(1)} MiB used → ${flags.out}`);
      }
    } catch {}
    await new Promise((r) => setTimeout(r, 25));
  }
})();
// Allocation sites of what survived a scavenge (collected by a full GC, or still live): the old-generation garbage.
if (flags.allocations) await api.send("HeapProfiler.startSampling", { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: false });
let outcome;
try {
  outcome = await PATHS[name].run(ctx, prepared);
} finally {
  stopped = true;
  await loop;
}
if (flags.allocations) {
  const { profile } = await api.send("HeapProfiler.stopSampling");
  const bySite = new Map();
  const walk = (node, path) => {
    const f = node.callFrame;
    const here = `${f.functionName || "(anon)"} ${f.url.split("/").pop()}:${f.lineNumber + 1}`;
    const self = node.selfSize;
    if (self > 0) {
      const key = `${here} < ${path.slice(-3).reverse().join(" < ")}`;
      bySite.set(key, (bySite.get(key) ?? 0) + self);
    }
    for (const c of node.children) walk(c, [...path, here]);
  };
  walk(profile.head, []);
  const total = [...bySite.values()].reduce((a, b) => a + b, 0);
  console.log(`sampled allocations surviving a scavenge: ${(total / MiB).toFixed(0)} MiB`);
  for (const [k, v] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${(v / MiB).toFixed(1).padStart(7)} MiB  ${k}`);
}
console.log(outcome?.note ?? "");
console.log(`used peak ${(usedPeak / MiB).toFixed(1)} MiB`);
api.close();
await s.dispose();
stack.dispose();
if (flags["snapshot-mib"] && snapshotDone) summarize(flags.out);

/** The snapshot's self sizes by node type and name (constructor, or the first characters of a string). */
function summarize(file) {
  const snap = JSON.parse(readFileSync(file, "utf8"));
  const { node_fields: fields, node_types: [types] } = snap.snapshot.meta;
  const width = fields.length;
  const [iType, iName, iSize] = ["type", "name", "self_size"].map((f) => fields.indexOf(f));
  const byKey = new Map();
  let total = 0;
  let native = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + iType]];
    const size = snap.nodes[i + iSize];
    total += size;
    if (type === "native") native += size;
    const nm = snap.strings[snap.nodes[i + iName]];
    const key = type === "string" || type === "concatenated string" || type === "sliced string" ? `${type} (${nm.length > 24 ? "len>24" : "short"})` : `${type} ${nm.slice(0, 60)}`;
    const e = byKey.get(key) ?? { count: 0, size: 0 };
    e.count += 1;
    e.size += size;
    byKey.set(key, e);
  }
  // "native" nodes (ArrayBuffer backing stores, the WebAssembly module) are outside the V8 heap Runtime.getHeapUsage reports.
  console.log(`snapshot: ${((total - native) / MiB).toFixed(1)} MiB of V8 heap live (+ ${(native / MiB).toFixed(1)} MiB native) in ${snap.nodes.length / width} nodes`);
  console.table(
    [...byKey]
      .sort((a, b) => b[1].size - a[1].size)
      .slice(0, 30)
      .map(([key, e]) => ({ key, count: e.count, MiB: (e.size / MiB).toFixed(2) })),
  );
}
