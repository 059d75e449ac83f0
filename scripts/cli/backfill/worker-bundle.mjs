// The chunk workers' code as one plain JavaScript module. A worker thread
// that imports the project's TypeScript itself starts its own module-hooks
// thread and TypeScript transformer, about 0.35 CPU-seconds per worker
// (measured) on a machine where the workers are the work. esbuild (present
// with wrangler) bundles chunk-work.mjs, the src/ modules and apache-arrow
// into node_modules/.cache/fs-cli/, next to a record of the files it read:
// while none of them changes, later runs take the bundle without running
// esbuild. Without esbuild, or without a writable cache, the workers import
// the sources through the resolve hook instead (same code, slower start).
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const CACHE = join(ROOT, "node_modules", ".cache", "fs-cli");
const RECORD = join(CACHE, "chunk-work.json");

/** Hash of the files a bundle was built from (paths relative to the repository). */
function hashOf(inputs) {
  const hash = createHash("sha256");
  for (const input of inputs) hash.update(`${input}\n`).update(readFileSync(join(ROOT, input)));
  return hash.digest("hex");
}

function writeAtomically(path, text) {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}

/** The bundle of an earlier run, when the files it was built from are unchanged. */
function cachedBundle() {
  try {
    const record = JSON.parse(readFileSync(RECORD, "utf8"));
    const path = join(CACHE, record.bundle);
    return existsSync(path) && hashOf(record.inputs) === record.inputsHash ? path : null;
  } catch {
    return null;
  }
}

async function build() {
  const esbuild = await import("esbuild");
  const options = {
    entryPoints: [fileURLToPath(new URL("./chunk-work.mjs", import.meta.url))],
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node22",
    // apache-arrow bundled too (one module to compile instead of its hundred: ~0.14 CPU-s less per worker);
    // parquet-wasm stays a package, resolved from the cache folder inside node_modules, to find its .wasm.
    external: ["parquet-wasm"],
    write: false,
    metafile: true,
    // Paths in the bundle and its metafile are relative to this: the same sources give the same bundle from any working directory.
    absWorkingDir: ROOT,
    logLevel: "silent",
  };
  // The build service is a child process: stopped once built, it has nothing more to do.
  const built = await esbuild.build(options).finally(() => esbuild.stop());
  const text = built.outputFiles[0].text;
  const bundle = `chunk-work-${createHash("sha256").update(text).digest("hex").slice(0, 16)}.mjs`;
  const inputs = Object.keys(built.metafile.inputs).sort();
  mkdirSync(CACHE, { recursive: true });
  if (!existsSync(join(CACHE, bundle))) writeAtomically(join(CACHE, bundle), text);
  writeAtomically(RECORD, `${JSON.stringify({ bundle, inputs, inputsHash: hashOf(inputs) })}\n`);
  return join(CACHE, bundle);
}

/** URL of the bundled chunk-work module, or null when there is none and it cannot be built. */
export async function bundledChunkWork() {
  try {
    return pathToFileURL(cachedBundle() ?? (await build())).href;
  } catch {
    return null;
  }
}
