import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Tests run inside workerd with the worker's real bindings from wrangler.toml:
// local D1 (migrated in test/setup.ts) and SQLite-backed Durable Objects.
export default defineConfig({
  plugins: [
    cloudflareTest(async () => ({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          TEST_MIGRATIONS: await readD1Migrations("./migrations"),
          FS_ROOT_ACCESS_KEY_ID: "AKTESTROOT",
          FS_ROOT_SECRET_ACCESS_KEY: "test-root-secret",
        },
      },
    })),
  ],
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["./test/setup.ts"],
  },
});
