// The chunk workers' code as one plain JavaScript module. A worker thread
// that imports the project's TypeScript itself starts its own module-hooks
// thread and TypeScript transformer, about 0.35 CPU-seconds per worker
// (measured) on a machine where the workers are the work. esbuild (present
// with wrangler) bundles chunk-work.mjs and the src/ modules it uses in tens
// of milliseconds; the bundle is cached under node_modules/.cache by its
// content hash. Without esbuild, or without a writable cache, the workers
// import the sources through the resolve hook instead (same code, slower
// start).
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** URL of the bundled chunk-work module, or null when it cannot be built. */
export async function bundledChunkWork() {
  try {
    const esbuild = await import("esbuild");
    const options = {
      entryPoints: [fileURLToPath(new URL("./chunk-work.mjs", import.meta.url))],
      bundle: true,
      format: "esm",
      platform: "node",
      target: "node22",
      // Resolved from the cache folder inside node_modules; parquet-wasm finds its .wasm next to its own module.
      external: ["apache-arrow", "parquet-wasm"],
      write: false,
      // Paths in the bundle's comments are relative to this: the same sources give the same bundle from any working directory.
      absWorkingDir: ROOT,
      logLevel: "silent",
    };
    // The build service is a child process: stopped once built, it has nothing more to do.
    const built = await esbuild.build(options).finally(() => esbuild.stop());
    const text = built.outputFiles[0].text;
    const dir = join(ROOT, "node_modules", ".cache", "fs-cli");
    const path = join(dir, `chunk-work-${createHash("sha256").update(text).digest("hex").slice(0, 16)}.mjs`);
    if (!existsSync(path)) {
      mkdirSync(dir, { recursive: true });
      const temporary = `${path}.${process.pid}.tmp`;
      writeFileSync(temporary, text);
      renameSync(temporary, path);
    }
    return pathToFileURL(path).href;
  } catch {
    return null;
  }
}
