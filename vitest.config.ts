import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { readFileSync } from "node:fs";
import { build } from "esbuild";
import { configDefaults, defineConfig } from "vitest/config";

/**
 * The Worker under test runs renamed as the project's runner (the plugin's
 * getRunnerName: "vitest-plugin-runner-" + project name). The plugin points
 * the test Worker's own self-bindings at it, but not an auxiliary Worker's.
 */
const runnerOf = (project: string) => `vitest-plugin-runner-${project}`;

/**
 * Test files that act on the whole store rather than on their own uniquely
 * named groups and keys (compaction, cron and scheduled jobs, master-key
 * rotation, listings of every key, dead letter or staged object, audit
 * queries): each runs in storage of its own. Every other file names what it
 * creates (test/helpers.ts uniqueName), so those share one runtime per
 * vitest worker and load the Worker's modules once instead of once a file.
 */
const STORE_WIDE_TESTS = [
  "test/access/access-keys.test.ts",
  "test/access/audit.test.ts",
  "test/access/policy-matrix.test.ts",
  "test/catalog/tags.test.ts",
  "test/crypto/offline-encryption.test.ts",
  "test/crypto/rotation.test.ts",
  "test/jobs/**/*.test.ts",
  "test/offline/**/*.test.ts",
  "test/online/bulk-chunks.test.ts",
  "test/parity/**/*.test.ts",
  "test/rpc/**/*.test.ts",
  "test/ui/admin-jobs.test.ts",
];

/** The access key the example's binding names in its wrangler.toml (`props = { accessKeyId = "…" }`). */
const EXAMPLE_ACCESS_KEY_ID: string = (() => {
  const id = /^props = \{ accessKeyId = "(FSAK[A-Z2-7]{16})" \}$/m.exec(readFileSync("./examples/edge-inference/wrangler.toml", "utf8"))?.[1];
  if (!id) throw new Error("examples/edge-inference/wrangler.toml: no props = { accessKeyId = \"FSAK…\" } on its binding");
  return id;
})();

/**
 * The edge-inference example as its own Worker (one ES module bundled by
 * esbuild, as wrangler would), bound to the store's FeatureStore entrypoint
 * with the props its wrangler.toml declares (there `service = "edge-feature-store"`).
 */
async function edgeInferenceWorker(runner: string) {
  const bundle = await build({ entryPoints: ["./examples/edge-inference/src/index.ts"], bundle: true, format: "esm", platform: "neutral", write: false, logLevel: "silent" });
  return {
    name: "edge-inference",
    modules: true,
    script: bundle.outputFiles[0]!.text,
    compatibilityDate: "2026-11-01",
    serviceBindings: { FEATURE_STORE: { name: runner, entrypoint: "FeatureStore", props: { accessKeyId: EXAMPLE_ACCESS_KEY_ID } } },
  };
}

/**
 * A project of tests inside workerd with the worker's real bindings from
 * wrangler.toml: local D1 (migrated in test/setup.ts), R2, queues and
 * SQLite-backed Durable Objects.
 */
function workersProject(name: string, include: string[], exclude: string[], isolate: boolean) {
  return {
    plugins: [
      cloudflareTest(async () => ({
        wrangler: { configPath: "./wrangler.toml" },
        // The API worker plus the query worker's entrypoint: QUERY binds to
        // it here, so time-travel routes cross a real service binding.
        main: "./test/worker-entry.ts",
        miniflare: {
          serviceBindings: { QUERY: { name: "edge-feature-store", entrypoint: "QueryService" }, EDGE_INFERENCE: "edge-inference" },
          // A second Worker calling this one over RPC: the edge-inference example (examples/edge-inference).
          workers: [await edgeInferenceWorker(runnerOf(name))],
          // Deliver offline batches promptly instead of after the 5 s batch window.
          queueConsumers: { "feature-store-offline": { maxBatchTimeout: 1 } },
          // The query worker's producer (wrangler.query.toml), so QueryService can queue dataset
          // jobs here; they are run in the sdk project, where the query worker consumes them.
          queueProducers: { DATASET_JOBS: { queueName: "feature-store-dataset-jobs" } },
          bindings: {
            TEST_MIGRATIONS: await readD1Migrations("./migrations"),
            FS_ROOT_ACCESS_KEY_ID: "AKTESTROOT",
            FS_ROOT_SECRET_ACCESS_KEY: "test-root-secret",
            // A fixed test keyring (never a real secret): 32 bytes, base64.
            FS_MASTER_KEYS: "test-mk-1:dGVzdC1tYXN0ZXIta2V5LW9uZS0tLTMyLWJ5dGVzISE=",
            // examples/edge-inference's test creates the key the example's binding acts as.
            EDGE_INFERENCE_ACCESS_KEY_ID: EXAMPLE_ACCESS_KEY_ID,
          },
        },
      })),
    ],
    test: {
      name,
      include,
      exclude,
      // Store-wide files get fresh storage each; the rest share a runtime (see STORE_WIDE_TESTS).
      isolate,
      setupFiles: ["./test/setup.ts"],
      // test/fuzz: FUZZ_SEED replays a run, FUZZ_REQUESTS scales it.
      provide: { fuzzSeed: process.env.FUZZ_SEED ?? "", fuzzRequests: process.env.FUZZ_REQUESTS ?? "" },
    },
  };
}

export default defineConfig({
  test: {
    projects: [
      workersProject("workers", ["test/**/*.test.ts", "examples/*/test/**/*.test.ts"], [...configDefaults.exclude, "test/sdk/**", ...STORE_WIDE_TESTS], false),
      workersProject("workers-store-wide", STORE_WIDE_TESTS, configDefaults.exclude, true),
      // Wire tests in plain Node: the bundled worker runs in workerd on real
      // HTTP loopback (test/sdk/global-setup.ts) and the official AWS SDK
      // clients talk to it over the network, SigV4 and all.
      {
        test: {
          name: "sdk",
          environment: "node",
          include: ["test/sdk/**/*.test.ts"],
          globalSetup: ["./test/sdk/global-setup.ts"],
          testTimeout: 20_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
