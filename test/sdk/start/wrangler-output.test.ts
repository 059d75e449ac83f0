// What npm start shows of wrangler's output (scripts/lib/wrangler-output.mjs),
// against output captured from the pinned wrangler (fixtures/): the
// migrations in one line, the dev session's known noise dropped, and
// everything else (requests, the worker's logs, errors, unknown warnings)
// passed through as wrangler wrote it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

interface OutputModule {
  migrationSummary(output: string): string;
  devOutputFilter(): (line: string) => string[];
  plain(line: string): string;
}
// Plain JavaScript without declarations: loaded by a path TypeScript does not follow.
const load = (name: string): Promise<any> => import(/* @vite-ignore */ `../../../scripts/lib/${name}.mjs`);
const output: OutputModule = await load("wrangler-output");

const fixture = (name: string) => readFileSync(join(import.meta.dirname, "fixtures", name), "utf8");
const filtered = (text: string) => {
  const filter = output.devOutputFilter();
  return text
    .replace(/\n$/, "")
    .split("\n")
    .flatMap((line) => filter(line));
};
const RED_ERROR = "\u001b[31m✘ \u001b[41;31m[\u001b[41;97mERROR\u001b[41;31m]\u001b[0m \u001b[1mCould not resolve \"./nowhere\"\u001b[0m";

describe("npm start's view of wrangler d1 migrations apply", () => {
  it("names the migrations applied in one line instead of wrangler's tables", () => {
    expect(output.migrationSummary(fixture("d1-migrations-apply.txt"))).toBe(
      "D1 migrations: 7 applied (0000_init, 0001_offline_store, 0002_sagemaker_settings, 0003_jobs, 0004_access_control, 0005_data_keys, 0006_dataset_jobs)",
    );
  });

  it("says up to date when there was nothing to apply", () => {
    expect(output.migrationSummary(fixture("d1-migrations-up-to-date.txt"))).toBe("D1 migrations: up to date");
  });
});

describe("npm start's view of wrangler dev", () => {
  it("drops the bindings tables, the ready line and the hints, and keeps requests and the worker's logs", () => {
    expect(filtered(fixture("wrangler-dev.stdout.txt"))).toEqual([
      "[wrangler:info] GET /v1/health 401 Unauthorized (98ms)",
      "[edge-feature-store] offline compaction { merged: 0, deletedReplaced: 0, deletedOrphans: 0 }",
      "[edge-feature-store] audit retention { deleted: 0 }",
    ]);
  });

  it("drops the experimental S3 credentials warning and the hint to trigger the scheduled handler by hand", () => {
    expect(filtered(fixture("wrangler-dev.stderr.txt"))).toEqual([]);
  });

  it("keeps a config warning about anything else, under its header", () => {
    const header = "\u001b[33m▲ \u001b[43;33m[\u001b[43;30mWARNING\u001b[43;33m]\u001b[0m \u001b[1mProcessing wrangler.toml configuration:\u001b[0m";
    const lines = [
      header,
      "",
      '    - "local_dev.experimental_s3_credentials" fields are experimental and may change or break at any time.',
      '    - "unsafe" fields are experimental and may change or break at any time.',
      "",
      "[wrangler:info] Ready on http://127.0.0.1:8787",
    ];
    expect(filtered(lines.join("\n"))).toEqual([header, '    - "unsafe" fields are experimental and may change or break at any time.']);
  });

  it("passes errors and unknown warnings through unchanged, also right after a dropped block", () => {
    const lines = [
      "edge-feature-store has access to the following bindings:",
      "Binding                          Resource                  Mode",
      "env.DB (feature-store-catalog)   D1 Database               local",
      RED_ERROR,
      "",
      "    src/index.ts:1:7:",
      "\u001b[33m▲ [WARNING] The latest compatibility date supported by the installed Cloudflare Workers Runtime is \"2026-10-30\"\u001b[0m",
      "✘ [ERROR] Uncaught Error: storage down",
      "    at scheduled (index.js:10:5)",
    ];
    expect(filtered(lines.join("\n"))).toEqual(lines.slice(3));
  });
});
