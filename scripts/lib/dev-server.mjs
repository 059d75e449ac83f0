// Starts both workers with `wrangler dev` on a free 127.0.0.1 port and a
// temporary state directory, for benchmark scripts that need the real queue
// and alarms; returns the API base URL, an authorised call() and stop().
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureDevVars, readDevVars } from "./dev-vars.mjs";
import { freePort } from "./stack.mjs";


/**
 * @param {{ localObservability?: boolean, inspector?: boolean }} [options] localObservability:
 *   false turns off wrangler's local observability collector
 *   (X_LOCAL_OBSERVABILITY), which streams every invocation and storage
 *   span to a collector worker in the same single-threaded workerd, a cost
 *   deployed Workers do not pay in the request path. inspector: wrangler's
 *   DevTools inspector on a free port (returned as inspectorPort) rather
 *   than its default 9229, so runs side by side do not clash.
 */
export async function startDevServer(options = {}) {
  const state = mkdtempSync(join(tmpdir(), "fs-bench-dev-"));
  ensureDevVars();
  const vars = readDevVars();
  const auth = `Bearer ${vars.FS_ROOT_ACCESS_KEY_ID}:${vars.FS_ROOT_SECRET_ACCESS_KEY}`;
  const port = await freePort();
  const inspectorPort = options.inspector ? await freePort() : undefined;
  const base = `http://127.0.0.1:${port}/v1`;
  const env = { ...process.env, CI: "1", WRANGLER_SEND_METRICS: "false", WRANGLER_HIDE_BANNER: "true", ...(options.localObservability === false ? { X_LOCAL_OBSERVABILITY: "false" } : {}) };
  const migrate = spawnSync("wrangler", ["d1", "migrations", "apply", "DB", "--local", "--persist-to", state], { env, encoding: "utf8" });
  if (migrate.status !== 0) throw new Error(`migrations failed:\n${migrate.stdout}${migrate.stderr}`);
  const dev = spawn("wrangler", ["dev", "-c", "wrangler.toml", "-c", "wrangler.query.toml", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", state, ...(inspectorPort ? ["--inspector-port", String(inspectorPort)] : [])], { env, stdio: ["ignore", "pipe", "pipe"] });
  const stop = () => {
    dev.kill("SIGTERM");
    rmSync(state, { recursive: true, force: true });
  };
  process.on("exit", stop);
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("wrangler dev did not start within 60 s")), 60_000);
    dev.stdout.on("data", (chunk) => String(chunk).includes("Ready on") && (clearTimeout(timer), resolve()));
    dev.on("exit", (code) => reject(new Error(`wrangler dev exited with ${code}`)));
  });
  const call = async (method, path, body, contentType = "application/json") => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: auth, "content-type": contentType },
      ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 500)}`);
    return JSON.parse(text);
  };
  return { base, call, stop, pid: dev.pid, inspectorPort };
}
