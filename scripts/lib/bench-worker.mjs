// Runs the API worker in workerd through Miniflare, for benchmarks: no
// `wrangler dev` proxy in front, ephemeral storage, a fresh credential.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare, Response } from "miniflare";
import { bundleWorker, migrationStatements } from "./worker-bundle.mjs";

const ROOT = resolve(import.meta.dirname, "../..");
const WORKER_NAME = "edge-feature-store";

/**
 * The tree to build: the working tree, or a commit exported with `git
 * archive` (read-only for the repository), so a benchmark can measure a
 * fixed revision while src/ is being edited. It reuses this node_modules.
 */
function sourceTree(rev) {
  const git = (args, options = {}) => spawnSync("git", args, { cwd: ROOT, maxBuffer: 1 << 30, ...options });
  if (!rev) {
    const head = git(["rev-parse", "--short", "HEAD"], { encoding: "utf8" });
    const dirty = git(["status", "--porcelain", "--", "src", "migrations", "wrangler.toml"], { encoding: "utf8" }).stdout?.trim();
    const source = head.status === 0 ? `working tree (${head.stdout.trim()}${dirty ? " + uncommitted changes" : ""})` : "working tree";
    return { dir: ROOT, source };
  }
  const commit = git(["rev-parse", "--short", "--verify", `${rev}^{commit}`], { encoding: "utf8" });
  if (commit.status !== 0) throw new Error(`--rev ${rev} is not a commit`);
  const dir = mkdtempSync(join(tmpdir(), "fs-bench-src-"));
  const archive = git(["archive", "--format=tar", commit.stdout.trim()]);
  const untar = spawnSync("tar", ["-x", "-C", dir], { input: archive.stdout });
  if (archive.status !== 0 || untar.status !== 0) throw new Error(`could not export ${rev}: ${archive.stderr}${untar.stderr}`);
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  return { dir, source: `commit ${commit.stdout.trim()}`, temporary: true };
}

/**
 * Where D1 and the Durable Objects keep their SQLite files. "memory" is a
 * tmpfs (/dev/shm), where fsync costs nothing: it measures the worker, not
 * this machine's disk. "disk" is the OS temporary directory, as `wrangler
 * dev` would use, so every put pays a real fsync on the workerd thread.
 */
function storageDir(storage) {
  const memory = "/dev/shm";
  if (storage === "memory" && !existsSync(memory)) throw new Error("--storage memory needs /dev/shm (Linux); use --storage disk");
  return mkdtempSync(join(storage === "memory" ? memory : tmpdir(), "fs-bench-state-"));
}

/**
 * Starts the worker on 127.0.0.1 and returns its origin, the credential and
 * a dispose function. `direct` serves the user worker on its own socket,
 * skipping Miniflare's entry worker (one fewer in-process hop per request).
 * `workers` are more Workers (Miniflare worker options) run next to it, e.g.
 * a caller bound to it by RPC; `reconfigure(workers)` replaces them (the
 * store's state persists) and `directOrigin(name)` finds their sockets.
 */
export async function startWorker({ direct = true, storage = "memory", rev, workers = [] } = {}) {
  const tree = sourceTree(rev);
  let bundle, migrations;
  const outdir = mkdtempSync(join(tmpdir(), "fs-bench-"));
  try {
    // Bundled exactly as a deploy would (wrangler's esbuild config, the same module graph and compatibility settings).
    bundle = bundleWorker("wrangler.toml", outdir, { tree: tree.dir });
    migrations = migrationStatements(tree.dir);
  } catch (error) {
    rmSync(outdir, { recursive: true, force: true });
    throw error;
  } finally {
    if (tree.temporary) rmSync(tree.dir, { recursive: true, force: true });
  }
  const { modules, options: config } = bundle;
  const script = join(outdir, bundle.main);
  const stateDir = storageDir(storage);
  const removeFiles = () => {
    for (const dir of [outdir, stateDir]) rmSync(dir, { recursive: true, force: true });
  };
  // On Ctrl-C Miniflare stops workerd and calls process.exit(): the files,
  // which may be in RAM (tmpfs), go with it.
  process.once("exit", removeFiles);
  // Other workers (e.g. the time-travel query worker) are not started: their
  // service bindings answer 503. No benchmarked route calls them.
  const stubbed = Object.entries(config.serviceBindings ?? {}).filter(([, target]) => (target?.name ?? target) !== WORKER_NAME);
  const serviceBindings = {
    ...config.serviceBindings,
    ...Object.fromEntries(stubbed.map(([binding]) => [binding, () => new Response(`${binding} is not started by the benchmark`, { status: 503 })])),
  };
  const accessKeyId = `AKBENCH${randomBytes(6).toString("hex").toUpperCase()}`;
  const secret = randomBytes(24).toString("base64url");
  const store = {
    ...config,
    modulesRules: undefined,
    serviceBindings,
    name: WORKER_NAME,
    rootPath: outdir,
    modules,
    modulesRoot: outdir,
    // A fresh root credential and master keyring per run instead of .dev.vars
    // (the keyring also serves groups that encrypt at rest, --encrypted).
    bindings: { ...config.bindings, FS_ROOT_ACCESS_KEY_ID: accessKeyId, FS_ROOT_SECRET_ACCESS_KEY: secret, FS_MASTER_KEYS: `bench:${randomBytes(32).toString("base64")}` },
    ...(direct ? { unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }] } : {}),
  };
  const shared = {
    host: "127.0.0.1",
    port: 0,
    // Per-request logging goes through a loopback call to Node: not in a benchmark.
    logRequests: false,
    // A placeholder Request.cf instead of fetching a real one from Cloudflare.
    cf: false,
    log: new Log(LogLevel.WARN),
    // A fresh directory per run, removed on dispose: every run starts empty.
    resourcePersistencePath: stateDir,
  };
  const optionsWith = (more) => convertV4MiniflareOptions(more.length ? { ...shared, workers: [store, ...more] } : { ...shared, ...store });
  let mf, url, entryOrigin;
  try {
    mf = new Miniflare(optionsWith(workers));
    const entry = await mf.ready;
    entryOrigin = entry.origin;
    url = direct ? await mf.unsafeGetDirectURL(WORKER_NAME) : entry;
    const db = await mf.getD1Database("DB");
    for (const statement of migrations) await db.prepare(statement).run();
  } catch (error) {
    // The exit listener stays: a failed start may still write files after this.
    await mf?.dispose().catch(() => {});
    removeFiles();
    throw error;
  }
  return {
    origin: url.origin,
    // Miniflare's entry socket: it also serves the local R2 S3 API at /cdn-cgi/local/r2/s3.
    entryOrigin,
    source: tree.source,
    script, // the bundle, e.g. to map a profile's index.js:line back to src/
    authorization: `Bearer ${accessKeyId}:${secret}`,
    /** Replaces the extra Workers (e.g. once their bindings' props are known); the store's origin may change, so it is returned again. */
    async reconfigure(more) {
      await mf.setOptions(optionsWith(more));
      return (direct ? await mf.unsafeGetDirectURL(WORKER_NAME) : await mf.ready).origin;
    },
    /** The origin of an extra Worker's own socket (it must declare `unsafeDirectSockets`). */
    directOrigin: async (name) => (await mf.unsafeGetDirectURL(name)).origin,
    async dispose() {
      await mf.dispose();
      removeFiles();
      process.off("exit", removeFiles);
    },
  };
}
