// Closed-loop HTTP load for benchmarks: N workers, each sending its next
// request as soon as the previous response has been read in full.
import http from "node:http";
import { readdirSync, readFileSync } from "node:fs";

/**
 * A keep-alive client for one origin. undici's Pool (installed with
 * miniflare) costs the least client CPU, which matters when the client and
 * workerd share two cores; node:http is the fallback if it is missing.
 */
export async function createClient(origin, connections) {
  try {
    const { Pool } = await import("undici");
    const pool = new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
    return {
      kind: "undici",
      async request({ method, path, headers, body }, { discard = false } = {}) {
        const res = await pool.request({ method, path, headers, body });
        if (!discard || res.statusCode >= 300) return { status: res.statusCode, bytes: await res.body.arrayBuffer() };
        // Every byte is read but not joined: copying a 1.5 MB batch reply once
        // more would cost the client CPU and garbage collections that show up
        // in the measured latency.
        for await (const chunk of res.body) void chunk;
        return { status: res.statusCode };
      },
      close: () => pool.close(),
    };
  } catch (error) {
    if (error?.code !== "ERR_MODULE_NOT_FOUND") throw error;
  }
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  return {
    kind: "node:http",
    request: ({ method, path, headers, body }, { discard = false } = {}) =>
      new Promise((resolve, reject) => {
        const req = http.request(`${origin}${path}`, { method, headers, agent }, (res) => {
          const chunks = [];
          res.on("data", (c) => (discard && res.statusCode < 300 ? undefined : chunks.push(c)));
          res.on("end", () => resolve({ status: res.statusCode, bytes: Buffer.concat(chunks) }));
          res.on("error", reject);
        });
        req.on("error", reject);
        req.end(body);
      }),
    close: async () => agent.destroy(),
  };
}

/**
 * Runs `concurrency` loops for `durationMs` (or until `maxRequests` have
 * been sent). `next()` returns {method, path, headers, body?, records}.
 * Latency is measured with hrtime from just before the request is handed
 * to the client until the whole response body has arrived. Any non-2xx
 * answer aborts the run: a benchmark of errors measures nothing.
 */
export async function runLoad(client, { concurrency, durationMs, maxRequests = Infinity, next }) {
  const latencies = [];
  let records = 0;
  let issued = 0;
  const start = process.hrtime.bigint();
  const deadline = Number.isFinite(durationMs) ? start + BigInt(Math.round(durationMs * 1e6)) : null;
  const worker = async () => {
    while (issued < maxRequests && (deadline === null || process.hrtime.bigint() < deadline)) {
      issued++;
      const req = next();
      const t0 = process.hrtime.bigint();
      const res = await client.request(req, { discard: true });
      const t1 = process.hrtime.bigint();
      if (res.status < 200 || res.status > 299) {
        throw new Error(`${req.method} ${req.path} answered ${res.status}: ${Buffer.from(res.bytes).toString("utf8").slice(0, 300)}`);
      }
      latencies.push(Number(t1 - t0) / 1e6);
      records += req.records;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
  return summarize(latencies, records, elapsedMs);
}

/** Nearest-rank percentiles, in milliseconds. */
function summarize(latencies, records, elapsedMs) {
  const sorted = Float64Array.from(latencies).sort();
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
  return {
    count: sorted.length,
    p50: at(50),
    p95: at(95),
    p99: at(99),
    max: sorted[sorted.length - 1] ?? NaN,
    reqPerSec: (sorted.length / elapsedMs) * 1000,
    recPerSec: (records / elapsedMs) * 1000,
    elapsedMs,
  };
}

/**
 * CPU time (ms) of this process, of the workerd processes it started and
 * of the whole machine, from /proc (Linux; null elsewhere). Sampled around
 * a phase, it tells whether the server or the load generator was the limit,
 * and whether anything else on the machine was competing for the cores.
 */
const TICK_MS = 10; // USER_HZ is 100 on every mainstream Linux build.
export function cpuTimes() {
  const { user, system } = process.cpuUsage();
  let workerd = null;
  try {
    for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
      const stat = readStat(pid);
      if (!stat) continue;
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      if (comm === "workerd" && Number(fields[1]) === process.pid) {
        workerd = (workerd ?? 0) + (Number(fields[11]) + Number(fields[12])) * TICK_MS;
      }
    }
  } catch {
    workerd = null;
  }
  return { client: (user + system) / 1000, workerd, machine: machineBusyMs() };
}

/** CPU time (ms) all processes have used, summed over cores: /proc/stat minus idle and iowait. */
function machineBusyMs() {
  try {
    const [user, nice, system, , , irq, softirq, steal] = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    return (user + nice + system + irq + softirq + steal) * TICK_MS;
  } catch {
    return null;
  }
}

function readStat(pid) {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null; // the process ended between readdir and read
  }
}

/**
 * Waits (at most maxMs) until the machine has been nearly idle for a second:
 * on a shared machine, another test run or build skews every figure.
 * Returns whether it got quiet.
 */
export async function waitForQuiet({ maxMs = 60_000, idleCores = 0.1 } = {}) {
  const deadline = Date.now() + maxMs;
  while (Date.now() < deadline) {
    const before = machineBusyMs();
    if (before === null) return false;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    if ((machineBusyMs() - before) / 1000 < idleCores) return true;
  }
  return false;
}
