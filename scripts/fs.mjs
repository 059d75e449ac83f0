#!/usr/bin/env node
// The feature store CLI: `npm run fs -- <command> [options]` (see docs/cli.md).
//
// The CLI is TypeScript (scripts/cli), and reuses the service's own record
// rules and offline column layout (src/records, src/offline). This entry
// runs its esbuild bundle, built on first use and whenever those sources
// change (scripts/lib/ts-bundle.mjs), so no build step is ever run by hand.
import { importBundled } from "./lib/ts-bundle.mjs";

let cli;
try {
  cli = await importBundled("fs");
} catch (error) {
  process.stderr.write(`internal error: building the CLI failed: ${error?.message ?? error}\n`);
  process.exit(1);
}
process.exitCode = await cli.main(process.argv.slice(2));
