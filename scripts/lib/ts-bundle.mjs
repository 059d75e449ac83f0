// The TypeScript that the Node scripts run, built once with esbuild into
// dist/node/ and imported from there: the fs CLI (scripts/cli, the service's
// own record rules and offline layout from src/ with it), the cron parser
// npm start drives wrangler.toml's triggers with (src/jobs/cron.ts), and the
// offline Arrow columns bench:backfill writes its input with. Node runs the
// result as plain JavaScript: no type stripping, no loader hooks, no flags.
//
// A build is kept while the files it was built from are unchanged: each run
// hashes them (the list comes from esbuild's metafile) and compares with the
// record of the last build, so an edit under src/ or scripts/cli is picked up
// by the next command and nothing needs building by hand. A build takes
// about a second; checking one, a few milliseconds.
//
// Builds live in dist/node/<hash of their output>/, next to build.json that
// names the current one. A build is written to a temporary folder and
// renamed into place, so processes that start together (the CLI tests) can
// build at once, and a running process keeps the files it started from.
//
// This module is plain JavaScript on purpose: it is what makes the rest run.
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const OUT = join(ROOT, "dist", "node");
const RECORD = join(OUT, "build.json");
/** Builds other than the current one are removed once this old: long after any process that started from them loaded its modules. */
const STALE_BUILD_MS = 10 * 60_000;

/**
 * Entry points, one module each in the build. The main-thread code keeps
 * packages external (Node resolves them from node_modules, so a script that
 * also imports apache-arrow itself shares one copy of its classes), and is
 * split at dynamic imports, so `fs --help` loads neither parquet-wasm nor the
 * S3 client.
 */
const ENTRIES = {
  fs: "scripts/cli/main.ts",
  cron: "src/jobs/cron.ts",
  "arrow-columns": "src/offline/arrow-columns.ts",
};

/**
 * The backfill's worker threads (scripts/cli/backfill/pool.ts) run one
 * self-contained module with apache-arrow bundled in: one module to compile
 * per thread instead of a hundred (measured: about 0.14 CPU-seconds less per
 * worker). parquet-wasm stays a package, to find its .wasm file.
 */
const WORKER_ENTRIES = { "chunk-worker": "scripts/cli/backfill/chunk-worker.ts" };

const require = createRequire(import.meta.url);

/** What decides a build besides its inputs: this file (the options) and esbuild's version. */
function recipe() {
  return createHash("sha256").update(readFileSync(fileURLToPath(import.meta.url))).update(readFileSync(require.resolve("esbuild/package.json"))).digest("hex");
}

/** Hash of the files a build was built from (paths relative to the repository) and of its recipe. */
function hashOf(inputs) {
  const hash = createHash("sha256").update(recipe());
  for (const input of inputs) hash.update(`${input}\n`).update(readFileSync(join(ROOT, input)));
  return hash.digest("hex");
}

function writeAtomically(path, text) {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}

/** The folder of the last build, when the files it was built from are unchanged. */
function currentBuild() {
  try {
    const record = JSON.parse(readFileSync(RECORD, "utf8"));
    const dir = join(OUT, record.dir);
    return existsSync(dir) && hashOf(record.inputs) === record.inputsHash ? dir : null;
  } catch {
    // No build yet, or one of its inputs is gone: build.
    return null;
  }
}

async function build() {
  const esbuild = await import("esbuild");
  const common = {
    bundle: true,
    format: "esm",
    platform: "node",
    // package.json's engines: Node 20 and later.
    target: "node20",
    outdir: OUT,
    outExtension: { ".js": ".mjs" },
    entryNames: "[name]",
    chunkNames: "chunk-[hash]",
    write: false,
    metafile: true,
    // Paths in the output and the metafile are relative to this: the same sources give the same build from any working directory.
    absWorkingDir: ROOT,
    logLevel: "silent",
  };
  // The build service is a child process: stopped once built, it has nothing more to do.
  const results = await Promise.all([
    esbuild.build({ ...common, entryPoints: ENTRIES, splitting: true, packages: "external" }),
    esbuild.build({ ...common, entryPoints: WORKER_ENTRIES, external: ["parquet-wasm"] }),
  ]).finally(() => esbuild.stop());
  const files = results.flatMap((r) => r.outputFiles).sort((a, b) => (a.path < b.path ? -1 : 1));
  const hash = createHash("sha256");
  for (const file of files) hash.update(`${relative(OUT, file.path)}\n`).update(file.contents);
  const name = hash.digest("hex").slice(0, 16);
  const dir = join(OUT, name);
  if (!existsSync(dir)) {
    const staging = join(OUT, `.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
    for (const file of files) {
      const path = join(staging, relative(OUT, file.path));
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, file.contents);
    }
    try {
      renameSync(staging, dir);
    } catch (error) {
      // Another process placed the same build first.
      rmSync(staging, { recursive: true, force: true });
      if (!existsSync(dir)) throw error;
    }
  }
  const inputs = [...new Set(results.flatMap((r) => Object.keys(r.metafile.inputs)))].sort();
  writeAtomically(RECORD, `${JSON.stringify({ dir: name, inputs, inputsHash: hashOf(inputs) })}\n`);
  removeStaleBuilds(name);
  return dir;
}

function removeStaleBuilds(current) {
  const now = Date.now();
  for (const entry of readdirSync(OUT, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name === current) continue;
    const path = join(OUT, entry.name);
    try {
      if (now - statSync(path).mtimeMs > STALE_BUILD_MS) rmSync(path, { recursive: true, force: true });
    } catch {
      // Removed by another process meanwhile.
    }
  }
}

/** The folder of an up-to-date build, building one when the sources changed since the last. */
export async function bundleDir() {
  mkdirSync(OUT, { recursive: true });
  return currentBuild() ?? (await build());
}

/**
 * Imports one entry of the build (a key of ENTRIES: "fs", "cron",
 * "arrow-columns"), building first when the sources changed.
 */
export async function importBundled(entry) {
  if (!(entry in ENTRIES)) throw new Error(`no bundle entry "${entry}" (scripts/lib/ts-bundle.mjs)`);
  return import(pathToFileURL(join(await bundleDir(), `${entry}.mjs`)).href);
}
