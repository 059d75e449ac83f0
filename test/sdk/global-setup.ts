// Global setup of the `sdk` vitest project (plain Node, not workerd).
//
// Bundles every worker the project deploys (wrangler.toml, the API worker,
// and the wrangler.*.toml workers it binds to, e.g. the query worker) exactly
// as a deploy would, runs them together in workerd through Miniflare with the
// bindings their configs declare (local D1 migrated here, the SQLite-backed
// RECORD_SHARD Durable Object, R2, queues, service bindings, vars) and the sdk
// test credential, serves the API worker on real HTTP loopback (127.0.0.1, a
// free port), and hands its origin to the tests via provide("sdkEndpoint"),
// and the offline bucket's local S3 endpoint via provide("offlineS3").
// Everything (bundles, state) lives in temporary directories removed at teardown.
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";
import type { TestProject } from "vitest/node";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { SDK_ACCESS_KEY_ID, SDK_ACCOUNT_ID, SDK_MASTER_KEYS, SDK_REGION, SDK_SECRET_ACCESS_KEY } from "./credentials";

const ROOT = resolve(import.meta.dirname, "../..");
const API_CONFIG = "wrangler.toml";

declare module "vitest" {
  export interface ProvidedContext {
    /** Origin of the API worker under test, e.g. http://127.0.0.1:41234 */
    sdkEndpoint: string;
    /**
     * The API worker's offline bucket (OFFLINE_BUCKET) through the local S3
     * API, as `wrangler dev` serves it: Miniflare's entry socket at
     * /cdn-cgi/local/r2/s3 (path-style, region "auto"), with the
     * local_dev.experimental_s3_credentials of wrangler.toml.
     */
    offlineS3: OfflineS3;
  }
}

export interface OfflineS3 {
  endpoint: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * Offline delivery in the sdk project: the outbox flushes 200 ms after its
 * oldest row and the queue hands batches over after 200 ms, instead of 5 s +
 * 5 s, so tests that read the offline store back wait well under a second.
 * Same code paths, shorter timers; nothing else depends on them.
 */
const SDK_OFFLINE_FLUSH_MS = "200";
const SDK_OFFLINE_QUEUE = "feature-store-offline";
const SDK_OFFLINE_BATCH_TIMEOUT_S = 0.2;

/** The S3 view of the OFFLINE_BUCKET binding the config declares (bucket id and local S3 credentials). */
function offlineBucketS3(options: { r2Buckets?: unknown }): Omit<OfflineS3, "endpoint" | "region"> {
  const binding = (options.r2Buckets as Record<string, { id?: string; s3Credentials?: { accessKeyId: string; secretAccessKey: string } } | string> | undefined)?.OFFLINE_BUCKET;
  if (typeof binding !== "object" || !binding.id || !binding.s3Credentials) throw new Error(`${API_CONFIG}: OFFLINE_BUCKET needs local_dev.experimental_s3_credentials for the sdk project`);
  return { bucket: binding.id, ...binding.s3Credentials };
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
    let offlineS3: Omit<OfflineS3, "endpoint" | "region"> | undefined;

    const workers = configs.map((config, i) => {
      // The bindings the config declares, as `wrangler dev` builds them; the
      // module rules are replaced by the bundle's explicit module list.
      const { workerOptions, main } = quietly(() => unstable_getMiniflareWorkerOptions(join(ROOT, config)));
      const { modulesRules: _rules, ...options } = workerOptions as typeof workerOptions & { modulesRules?: unknown };
      const outdir = outdirs[i]!;
      const name = workerName(config);
      if (name === apiName) offlineS3 = offlineBucketS3(options);
      const queueConsumers = options.queueConsumers as Record<string, Record<string, unknown>> | string[] | undefined;
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
          FS_MASTER_KEYS: SDK_MASTER_KEYS,
          FS_ACCOUNT_ID: SDK_ACCOUNT_ID,
          FS_REGION: SDK_REGION,
          ...(name === apiName ? { OFFLINE_FLUSH_MS: SDK_OFFLINE_FLUSH_MS } : {}),
        },
        ...(queueConsumers && !Array.isArray(queueConsumers) && queueConsumers[SDK_OFFLINE_QUEUE]
          ? { queueConsumers: { ...queueConsumers, [SDK_OFFLINE_QUEUE]: { ...queueConsumers[SDK_OFFLINE_QUEUE], maxBatchTimeout: SDK_OFFLINE_BATCH_TIMEOUT_S } } }
          : {}),
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
    // The entry socket serves the local S3 API (/cdn-cgi/local/r2/s3); the
    // API worker's direct socket reaches only the worker.
    const entry = await mf.ready;
    const url = await mf.unsafeGetDirectURL(apiName);
    const db = await mf.getD1Database("DB", apiName);
    for (const statement of migrationStatements()) await db.prepare(statement).run();
    project.provide("sdkEndpoint", url.origin);
    if (!offlineS3) throw new Error(`${API_CONFIG} declares no offline bucket`);
    project.provide("offlineS3", { endpoint: `${entry.origin}/cdn-cgi/local/r2/s3`, region: "auto", ...offlineS3 });
  } catch (error) {
    // A failed start must not leave workerd or temporary directories behind;
    // the start failure is the error worth reporting.
    await dispose().catch(() => undefined);
    throw error;
  }
  return dispose;
}
