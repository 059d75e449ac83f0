#!/usr/bin/env node
// npm start: the local stack. Applies D1 migrations to the local database and
// runs the worker with wrangler dev (local D1 and Durable Objects, state under
// .wrangler/state). PORT overrides 8787.
import { spawn, spawnSync } from "node:child_process";
import { DEV_VARS, ensureDevVars, readDevVars } from "./lib/dev-vars.mjs";

if (process.argv.includes("--help")) {
  console.log(`Usage: npm start
Starts the feature store locally on http://127.0.0.1:$PORT (default 8787).
Creates ${DEV_VARS} with a random root credential if it is missing, applies the
D1 migrations to the local database, then runs wrangler dev. State persists
under .wrangler/state; delete that folder to start empty.`);
  process.exit(0);
}

const port = process.env.PORT ?? "8787";
const persist = process.env.FS_STATE_DIR ?? ".wrangler/state";
const created = ensureDevVars();
const vars = readDevVars();

const wrangler = (args, options = {}) => spawn("wrangler", args, { stdio: "inherit", ...options });

const migrate = spawnSync("wrangler", ["d1", "migrations", "apply", "DB", "--local", "--persist-to", persist], {
  stdio: "inherit",
  // CI=1 keeps wrangler from asking for confirmation.
  env: { ...process.env, CI: "1" },
});
if (migrate.status !== 0) {
  console.error("Applying the D1 migrations failed; see above.");
  process.exit(migrate.status ?? 1);
}

console.log(`
Feature store starting on http://127.0.0.1:${port}
${created ? `Created ${DEV_VARS} with a new root credential.` : `Root credential: ${DEV_VARS}.`}
Try:
  curl -H "Authorization: Bearer ${vars.FS_ROOT_ACCESS_KEY_ID}:$(grep FS_ROOT_SECRET_ACCESS_KEY ${DEV_VARS} | cut -d'"' -f2)" http://127.0.0.1:${port}/v1/health
`);

// Both workers in one session: the API worker (first, serves the port) and the
// query worker it reaches through the QUERY service binding.
const dev = wrangler(["dev", "-c", "wrangler.toml", "-c", "wrangler.query.toml", "--ip", "127.0.0.1", "--port", port, "--persist-to", persist]);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code) => process.exit(code ?? 0));
