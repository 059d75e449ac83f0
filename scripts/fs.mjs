#!/usr/bin/env node
// The feature store CLI: `npm run fs -- <command> [options]` (see docs/cli.md).
//
// Runs with no build step. The CLI reuses the service's own record rules and
// offline column layout (src/records, src/offline/offline-table.ts), which
// Node 22 runs from TypeScript with --experimental-transform-types (the
// sources use parameter properties, beyond strip-only mode). Started without
// that flag, this entry re-runs itself once with it.
import { spawnSync } from "node:child_process";
import { register } from "node:module";

const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 7)) {
  process.stderr.write(`error: the CLI needs Node 22.7 or later (this is ${process.version}); run it as "npm run fs -- <command>", which uses the project's pinned Node\n`);
  process.exit(2);
}
if (process.features.typescript !== "transform") {
  const child = spawnSync(process.execPath, ["--experimental-transform-types", "--no-warnings", ...process.execArgv, import.meta.filename, ...process.argv.slice(2)], { stdio: "inherit" });
  process.exit(child.status ?? (child.signal ? 128 + 9 : 1));
}

register("./cli/ts-resolve.mjs", import.meta.url);
const { main } = await import("./cli/main.mjs");
process.exitCode = await main(process.argv.slice(2));
