import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      // Tests run inside workerd with the worker's real bindings from wrangler.toml:
      // local D1 (migrated in test/setup.ts) and SQLite-backed Durable Objects.
      {
        plugins: [
          cloudflareTest(async () => ({
            wrangler: { configPath: "./wrangler.toml" },
            // The API worker plus the query worker's entrypoint: QUERY binds to
            // it here, so time-travel routes cross a real service binding.
            main: "./test/worker-entry.ts",
            miniflare: {
              serviceBindings: { QUERY: { name: "edge-feature-store", entrypoint: "QueryService" } },
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
              },
            },
          })),
        ],
        test: {
          name: "workers",
          include: ["test/**/*.test.ts"],
          exclude: [...configDefaults.exclude, "test/sdk/**"],
          setupFiles: ["./test/setup.ts"],
          // test/fuzz: FUZZ_SEED replays a run, FUZZ_REQUESTS scales it.
          provide: { fuzzSeed: process.env.FUZZ_SEED ?? "", fuzzRequests: process.env.FUZZ_REQUESTS ?? "" },
        },
      },
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
