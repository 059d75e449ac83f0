// Global setup of the `sdk` vitest project (plain Node, not workerd).
//
// Bundles every worker the project deploys (wrangler.toml, the API worker,
// and the wrangler.*.toml workers it binds to, e.g. the query worker) exactly
// as a deploy would, runs them together in workerd through Miniflare with the
// bindings their configs declare (local D1 migrated here, the SQLite-backed
// RECORD_SHARD Durable Object, R2, queues, service bindings, vars) and the sdk
// test credential, serves the API worker on real HTTP loopback (127.0.0.1, a
// free port), and hands its origin to the tests via provide("sdkEndpoint").
// Everything (bundles, state) lives in temporary directories removed at teardown.
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";
import type { TestProject } from "vitest/node";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { SDK_ACCESS_KEY_ID, SDK_ACCOUNT_ID, SDK_REGION, SDK_SECRET_ACCESS_KEY } from "./credentials";

const ROOT = resolve(import.meta.dirname, "../..");
const API_CONFIG = "wrangler.toml";

declare module "vitest" {
  export interface ProvidedContext {
    /** Origin of the API worker under test, e.g. http://127.0.0.1:41234 */
    sdkEndpoint: string;
  }
}

type ModuleType = "ESModule" | "CompiledWasm" | "Text" | "Data";

/** wrangler's default module rules, applied to the files of a bundle (Miniflare 5 takes an explicit module list). */
const MODULE_TYPES: [RegExp, ModuleType][] = [
  [/\.m?js$/, "ESModule"],
  [/\.wasm$/, "CompiledWasm"],
  [/\.(txt|html|sql)$/, "Text"],
  [/\.bin$/, "Data"],
];

/** `wrangler deploy --dry-run`: wrangler's own esbuild config and module graph, nothing uploaded. */
function bundle(config: string, outdir: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    // process.execPath keeps wrangler on the pinned Node that runs vitest.
    const child = spawn(process.execPath, [join(ROOT, "node_modules/wrangler/bin/wrangler.js"), "deploy", "--dry-run", "--config", config, "--outdir", outdir], {
      cwd: ROOT,
      env: { ...process.env, CI: "1", WRANGLER_HIDE_BANNER: "true", WRANGLER_SEND_METRICS: "false" },
    });
    let output = "";
    child.stdout?.on("data", (chunk) => (output += String(chunk)));
    child.stderr?.on("data", (chunk) => (output += String(chunk)));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolvePromise() : reject(new Error(`wrangler deploy --dry-run --config ${config} failed (${code}):\n${output}`))));
  });
}

/**
 * The bundle's modules, the entry point first (wrangler names it after the
 * config's `main`: src/index.ts → index.js); source maps and the README are not modules.
 */
function bundleModules(outdir: string, main: string | undefined): { type: ModuleType; path: string }[] {
  const entryFile = `${(main ?? "index.js").split(/[\\/]/).pop()!.replace(/\.[cm]?[jt]sx?$/, "")}.js`;
  const entry = join(outdir, entryFile);
  const others = readdirSync(outdir)
    .filter((file) => file !== entryFile)
    .flatMap((file) => {
      const type = MODULE_TYPES.find(([pattern]) => pattern.test(file))?.[1];
      return type ? [{ type, path: join(outdir, file) }] : [];
    });
  return [{ type: "ESModule", path: entry }, ...others];
}

function workerName(config: string): string {
  const name = /^name\s*=\s*"([^"]+)"/m.exec(readFileSync(join(ROOT, config), "utf8"))?.[1];
  if (!name) throw new Error(`${config} has no name`);
  return name;
}

/** wrangler.toml first, then the other wrangler.*.toml workers (the ones it binds to). */
function workerConfigs(): string[] {
  const others = readdirSync(ROOT)
    .filter((file) => /^wrangler\..+\.toml$/.test(file))
    .sort();
  return [API_CONFIG, ...others];
}

/** Runs fn with wrangler's logger at "error" (no notices in the test output). */
function quietly<T>(fn: () => T): T {
  const previous = process.env.WRANGLER_LOG;
  process.env.WRANGLER_LOG = "error";
  try {
    return fn();
  } finally {
    if (previous === undefined) delete process.env.WRANGLER_LOG;
    else process.env.WRANGLER_LOG = previous;
  }
}

/** migrations/*.sql in order, split on drizzle's statement breakpoints. */
function migrationStatements(): string[] {
  const dir = join(ROOT, "migrations");
  return readdirSync(dir)
    .filter((file) => file.endsWith(".sql"))
    .sort()
    .flatMap((file) => readFileSync(join(dir, file), "utf8").split("--> statement-breakpoint"))
    .map((statement) => statement.trim())
    .filter((statement) => statement.length > 0);
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const tempDirs: string[] = [];
  const tempDir = (prefix: string) => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    tempDirs.push(dir);
    return dir;
  };
  let mf: Miniflare | undefined;
  const dispose = async () => {
    try {
      await mf?.dispose();
    } finally {
      for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    const configs = workerConfigs();
    const outdirs = configs.map(() => tempDir("fs-sdk-bundle-"));
    await Promise.all(configs.map((config, i) => bundle(config, outdirs[i]!)));
    const apiName = workerName(API_CONFIG);

    const workers = configs.map((config, i) => {
      // The bindings the config declares, as `wrangler dev` builds them; the
      // module rules are replaced by the bundle's explicit module list.
      const { workerOptions, main } = quietly(() => unstable_getMiniflareWorkerOptions(join(ROOT, config)));
      const { modulesRules: _rules, ...options } = workerOptions as typeof workerOptions & { modulesRules?: unknown };
      const outdir = outdirs[i]!;
      const name = workerName(config);
      return {
        ...options,
        name,
        rootPath: outdir,
        modules: bundleModules(outdir, main),
        modulesRoot: outdir,
        // The sdk credential and account instead of .dev.vars.
        bindings: {
          ...(workerOptions.bindings as Record<string, unknown> | undefined),
          FS_ROOT_ACCESS_KEY_ID: SDK_ACCESS_KEY_ID,
          FS_ROOT_SECRET_ACCESS_KEY: SDK_SECRET_ACCESS_KEY,
          FS_ACCOUNT_ID: SDK_ACCOUNT_ID,
          FS_REGION: SDK_REGION,
        },
        // The API worker's own socket: requests reach it as the client sent
        // them (Host, path encoding, headers), with no Miniflare entry worker in between.
        ...(name === apiName ? { unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }] } : {}),
      };
    });

    mf = new Miniflare(
      convertV4MiniflareOptions({
        workers,
        host: "127.0.0.1",
        port: 0,
        cf: false,
        log: new Log(LogLevel.WARN),
        // A fresh directory per run (D1, Durable Objects, R2, queues), removed at teardown.
        resourcePersistencePath: tempDir("fs-sdk-state-"),
      }),
    );
    await mf.ready;
    const url = await mf.unsafeGetDirectURL(apiName);
    const db = await mf.getD1Database("DB", apiName);
    for (const statement of migrationStatements()) await db.prepare(statement).run();
    project.provide("sdkEndpoint", url.origin);
  } catch (error) {
    // A failed start must not leave workerd or temporary directories behind;
    // the start failure is the error worth reporting.
    await dispose().catch(() => undefined);
    throw error;
  }
  return dispose;
}
