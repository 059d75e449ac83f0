// Both workers (wrangler.toml, wrangler.query.toml) bundled as a deploy
// would bundle them, each behind a generated entry module that installs
// limits-probe.js (counting proxies on the bindings, one frame per
// invocation), run in workerd through Miniflare with the inspector proxy on
// for both, so the harness can attach to each worker's isolate.
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";
import { bundleModules, bundleWorker, migrationStatements } from "./worker-bundle.mjs";

const ROOT = resolve(import.meta.dirname, "../..");
const CONFIGS = ["wrangler.toml", "wrangler.query.toml"];
/** Binding name → the kind a subrequest on it is counted as. */
function bindingKinds(options) {
  const kinds = {};
  for (const name of Object.keys(options.d1Databases ?? {})) kinds[name] = "d1";
  for (const name of Object.keys(options.r2Buckets ?? {})) kinds[name] = "r2";
  for (const name of Object.keys(options.durableObjects ?? {})) kinds[name] = "durable-object";
  for (const name of Object.keys(options.queueProducers ?? {})) kinds[name] = "queue";
  for (const name of Object.keys(options.serviceBindings ?? {})) kinds[name] = "service";
  return kinds;
}

/** The classes the worker exports by name: its Durable Objects and the entrypoints others bind to. */
function exportedClasses(options, all) {
  const names = new Set(Object.values(options.durableObjects ?? {}).map((d) => d.className ?? d));
  for (const other of all)
    for (const target of Object.values(other.options.serviceBindings ?? {}))
      if (target?.name === options.name && target.entrypoint) names.add(target.entrypoint);
  return [...names];
}

/**
 * Bundles both workers once. Returns a `start()` that runs a fresh stack
 * (new storage directory, new isolates: WebAssembly memory never shrinks, so
 * every path starts from a new isolate) and a `dispose()` for the bundles.
 */
export function prepareStack() {
  const tmp = mkdtempSync(join(tmpdir(), "fs-limits-"));
  process.once("exit", () => rmSync(tmp, { recursive: true, force: true }));
  const workers = CONFIGS.map((config) => bundleWorker(config, mkdtempSync(join(tmp, "bundle-"))));
  for (const w of workers) {
    copyFileSync(join(import.meta.dirname, "limits-probe.js"), join(w.outdir, "limits-probe.js"));
    const kinds = JSON.stringify(bindingKinds(w.options));
    const classes = exportedClasses(w.options, workers);
    writeFileSync(
      join(w.outdir, "limits-entry.js"),
      `import * as inner from "./${w.main}";\nimport { instrumentClass, instrumentHandler } from "./limits-probe.js";\nconst kinds = ${kinds};\n` +
        `export default instrumentHandler(inner.default, kinds);\n` +
        classes.map((c) => `export const ${c} = instrumentClass(inner.${c}, kinds);\n`).join(""),
    );
    w.modules = bundleModules(w.outdir, "limits-entry.js");
  }
  const migrations = migrationStatements();

  /** A fresh stack; `state` reuses a storage directory (kept on dispose) so a seeded fixture serves several paths. */
  async function start({ state: reuse } = {}) {
    const state = reuse ?? mkdtempSync(join(tmp, "state-"));
    const accessKeyId = `AKLIMITS${randomBytes(6).toString("hex").toUpperCase()}`;
    const secret = randomBytes(24).toString("base64url");
    const mf = new Miniflare(
      convertV4MiniflareOptions({
        workers: workers.map((w, i) => ({
          ...w.options,
          rootPath: w.outdir,
          modules: w.modules,
          modulesRoot: w.outdir,
          // node:async_hooks for the probe's per-invocation frames (nothing else changes).
          compatibilityFlags: [...(w.options.compatibilityFlags ?? []), "nodejs_als"],
          bindings: { ...w.options.bindings, FS_ROOT_ACCESS_KEY_ID: accessKeyId, FS_ROOT_SECRET_ACCESS_KEY: secret, FS_MASTER_KEYS: `limits:${randomBytes(32).toString("base64")}` },
          ...(i === 0 ? { unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }] } : {}),
          unsafeInspectorProxy: true,
        })),
        host: "127.0.0.1",
        port: 0,
        inspectorPort: 0,
        logRequests: false,
        cf: false,
        log: new Log(LogLevel.WARN),
        resourcePersistencePath: state,
      }),
    );
    const entry = await mf.ready;
    const origin = (await mf.unsafeGetDirectURL(workers[0].options.name)).origin;
    const db = await mf.getD1Database("DB");
    if (!reuse) for (const statement of migrations) await db.prepare(statement).run();
    const authorization = `Bearer ${accessKeyId}:${secret}`;
    const bucketS3 = (binding) => {
      const b = workers[0].options.r2Buckets[binding];
      const s3 = new S3Client({ endpoint: `${entry.origin}/cdn-cgi/local/r2/s3`, region: "auto", forcePathStyle: true, credentials: b.s3Credentials });
      return { put: (key, body) => s3.send(new PutObjectCommand({ Bucket: b.id, Key: key, Body: body })), client: s3 };
    };
    return {
      mf,
      db,
      state,
      origin,
      entryOrigin: entry.origin,
      authorization,
      names: workers.map((w) => w.options.name),
      offline: bucketS3("OFFLINE_BUCKET"),
      ingest: bucketS3("INGEST_BUCKET"),
      /** A call to the API worker's /v1; throws on a non-2xx answer unless `allow` lists the status. */
      async call(method, path, body, { contentType, raw = false, allow = [], headers = {} } = {}) {
        const binary = body instanceof Uint8Array || typeof body === "string";
        const res = await fetch(`${origin}/v1${path}`, {
          method,
          headers: { authorization, ...(body !== undefined ? { "content-type": contentType ?? (binary ? "application/octet-stream" : "application/json") } : {}), ...headers },
          ...(body !== undefined ? { body: binary ? body : JSON.stringify(body) } : {}),
        });
        if (!res.ok && !allow.includes(res.status)) throw new Error(`${method} /v1${path} → ${res.status}: ${(await res.text()).slice(0, 500)}`);
        return raw ? new Uint8Array(await res.arrayBuffer()) : res.status === 204 ? undefined : res.json().catch(() => undefined);
      },
      async dispose({ keep = false } = {}) {
        await mf.dispose();
        if (!reuse && !keep) rmSync(state, { recursive: true, force: true });
      },
    };
  }
  return { start, names: workers.map((w) => w.options.name), dispose: () => rmSync(tmp, { recursive: true, force: true }) };
}
