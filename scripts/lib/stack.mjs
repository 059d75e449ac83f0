// The local stack as `npm start` runs it, for scripts that must treat it as a
// user does: start it in its own process group with its own state directory,
// wait until it answers, kill the whole group (SIGKILL, as a crash does) and
// start it again on the same state.
import { spawn, spawnSync } from "node:child_process";
import { openSync } from "node:fs";
import { createServer } from "node:net";
import { ensureDevVars, readDevVars } from "./dev-vars.mjs";

export const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

/** The root credential of .dev.vars (created like npm start does when missing) as a bearer header. */
export function rootAuth() {
  ensureDevVars();
  const vars = readDevVars();
  return {
    accessKeyId: vars.FS_ROOT_ACCESS_KEY_ID,
    secretAccessKey: vars.FS_ROOT_SECRET_ACCESS_KEY,
    bearer: `Bearer ${vars.FS_ROOT_ACCESS_KEY_ID}:${vars.FS_ROOT_SECRET_ACCESS_KEY}`,
  };
}

/** Process ids still alive in a process group. */
function groupMembers(pgid) {
  const ps = spawnSync("ps", ["-o", "pid=", "-g", String(pgid)], { encoding: "utf8" });
  return ps.stdout.split("\n").map((l) => l.trim()).filter(Boolean).map(Number);
}

/**
 * Starts `node scripts/start.mjs` (migrations, then both workers under
 * wrangler dev) on `port` with state under `stateDir`, output appended to
 * `logFile`. Resolves once GET /v1/health answers 200.
 */
export async function startStack({ port, stateDir, logFile, auth, env = {}, readyTimeoutMs = 120_000 }) {
  const out = openSync(logFile, "a");
  const child = spawn(process.execPath, ["scripts/start.mjs"], {
    detached: true,
    stdio: ["ignore", out, out],
    env: { ...process.env, PORT: String(port), FS_STATE_DIR: stateDir, WRANGLER_SEND_METRICS: "false", ...env },
  });
  const startedAt = Date.now();
  const origin = `http://127.0.0.1:${port}`;
  let exited = null;
  child.on("exit", (code, signal) => (exited = { code, signal }));
  for (;;) {
    if (exited) throw new Error(`npm start exited (${JSON.stringify(exited)}) before answering; see ${logFile}`);
    if (Date.now() - startedAt > readyTimeoutMs) {
      killGroup(child.pid);
      throw new Error(`the stack did not answer within ${readyTimeoutMs / 1000} s; see ${logFile}`);
    }
    try {
      const res = await fetch(`${origin}/v1/health`, { headers: { authorization: auth }, signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) break;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { pid: child.pid, origin, startMs: Date.now() - startedAt, kill: () => killGroup(child.pid), stop: () => stopGroup(child.pid) };
}

/** SIGKILL to every process of the group, as a crash or an OOM kill would; waits until none is left. */
export async function killGroup(pgid) {
  try {
    process.kill(-pgid, "SIGKILL");
  } catch (error) {
    if (error.code !== "ESRCH") throw error;
  }
  for (let i = 0; i < 100 && groupMembers(pgid).length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
}

/** SIGTERM, then SIGKILL after 10 s for whatever is left. */
export async function stopGroup(pgid) {
  try {
    process.kill(-pgid, "SIGTERM");
  } catch (error) {
    if (error.code === "ESRCH") return;
    throw error;
  }
  for (let i = 0; i < 100 && groupMembers(pgid).length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
  if (groupMembers(pgid).length > 0) await killGroup(pgid);
}

/** Resident memory of the group's workerd processes, in MiB (Linux /proc). */
export function workerdRssMiB(pgid) {
  const ps = spawnSync("ps", ["-o", "rss=,comm=", "-g", String(pgid)], { encoding: "utf8" });
  let kib = 0;
  for (const line of ps.stdout.split("\n")) {
    const [rss, comm] = line.trim().split(/\s+/);
    if (comm && comm.startsWith("workerd")) kib += Number(rss);
  }
  return kib / 1024;
}
