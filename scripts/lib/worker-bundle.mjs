// A worker bundled as `wrangler deploy` would bundle it, with the Miniflare
// options wrangler derives from its configuration and the D1 migrations it
// would apply: what the benchmarks and the limits harness run in workerd,
// so they measure the deployed code.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { extname, join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../..");
/** Module types of a bundle's files by extension: wrangler's default module rules. */
const MODULE_TYPES = { ".js": "ESModule", ".mjs": "ESModule", ".wasm": "CompiledWasm", ".txt": "Text", ".html": "Text", ".sql": "Text", ".bin": "Data" };

const tomlString = (path, key) => readFileSync(path, "utf8").match(new RegExp(`^${key}\\s*=\\s*"([^"]+)"`, "m"))[1];

function deployDryRun(tree, config, outdir) {
  // process.execPath keeps wrangler on the same (pinned) Node as the script.
  const run = spawnSync(process.execPath, [join(ROOT, "node_modules/wrangler/bin/wrangler.js"), "deploy", "--dry-run", "--config", config, "--outdir", outdir], {
    cwd: tree,
    encoding: "utf8",
    // No banner means no npm update check; no metrics: nothing leaves the machine.
    env: { ...process.env, CI: "1", WRANGLER_HIDE_BANNER: "true", WRANGLER_SEND_METRICS: "false" },
  });
  if (run.status !== 0) throw new Error(`wrangler deploy --dry-run --config ${config} failed:\n${run.stdout}\n${run.stderr}`);
}

/** In a child process: loading wrangler here would leave it in the caller's (a load generator's) process. */
function workerOptions(path) {
  const code = `const { unstable_getMiniflareWorkerOptions: get } = await import("wrangler");
    process.stdout.write(JSON.stringify(get(${JSON.stringify(path)}).workerOptions));`;
  const run = spawnSync(process.execPath, ["--input-type=module", "-e", code], { cwd: ROOT, encoding: "utf8", maxBuffer: 1 << 26, env: { ...process.env, WRANGLER_LOG: "error", WRANGLER_SEND_METRICS: "false" } });
  if (run.status !== 0) throw new Error(`reading ${path} failed:\n${run.stderr}`);
  return JSON.parse(run.stdout);
}

/**
 * The modules of the bundle in `outdir` for Miniflare, `entry` first
 * (workerd takes the first as the main module): Miniflare 5 does not locate
 * modules by rules itself.
 */
export function bundleModules(outdir, entry) {
  const others = readdirSync(outdir).filter((f) => f !== entry && MODULE_TYPES[extname(f)]).sort();
  return [entry, ...others].map((f) => ({ type: MODULE_TYPES[extname(f)], path: join(outdir, f) }));
}

/**
 * Bundles the worker of `config` (a path relative to `tree`, the repository
 * or an exported commit) into `outdir`: its name, its main module's file
 * name, its modules and its Miniflare options (module rules dropped: the
 * bundle lists its modules).
 */
export function bundleWorker(config, outdir, { tree = ROOT } = {}) {
  deployDryRun(tree, config, outdir);
  const { modulesRules: _rules, ...options } = workerOptions(join(tree, config));
  const main = tomlString(join(tree, config), "main").split("/").pop().replace(/\.ts$/, ".js");
  options.name = tomlString(join(tree, config), "name");
  return { config, outdir, main, options, modules: bundleModules(outdir, main) };
}

/** The D1 migrations of `tree` wrangler would apply, one statement at a time. */
export function migrationStatements(tree = ROOT) {
  const dir = join(tree, "migrations");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort()
    .flatMap((f) => readFileSync(join(dir, f), "utf8").split("--> statement-breakpoint"))
    .map((s) => s.trim())
    .filter(Boolean);
}
