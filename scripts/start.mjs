#!/usr/bin/env node
// npm start: the local stack. Applies D1 migrations to the local database,
// runs both workers with wrangler dev (local D1, R2, Durable Objects and
// Queues, state under .wrangler/state) and fires the scheduled handler on
// wrangler.toml's cron triggers, which wrangler dev never does. PORT
// overrides 8787.
//
// Output is kept to one line for the migrations, wrangler's own lines minus
// known noise (scripts/lib/wrangler-output.mjs: errors and unknown warnings
// pass through), and a banner once the server is ready.
import { spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { configuredCrons, describeCron, fireScheduled, startCronTicker } from "./lib/cron-ticker.mjs";
import { DEV_VARS, ensureDevVars, readDevVars } from "./lib/dev-vars.mjs";
import { importBundled } from "./lib/ts-bundle.mjs";
import { devOutputFilter, migrationSummary, plain } from "./lib/wrangler-output.mjs";

if (process.argv.includes("--help")) {
  console.log(`Usage: npm start
Starts the feature store locally on http://127.0.0.1:$PORT (default 8787).
Creates ${DEV_VARS} with a random root credential and master key if it is
missing, applies the D1 migrations to the local database, then runs both
workers with wrangler dev and fires the API worker's scheduled handler on
the cron triggers of wrangler.toml ([triggers] crons, on the minute in UTC),
as production does; wrangler dev alone never fires them. A failed tick is
logged in one line. State persists under .wrangler/state (FS_STATE_DIR
overrides it); delete that folder to start empty.`);
  process.exit(0);
}

const ROOT = resolve(import.meta.dirname, "..");
const WRANGLER = join(ROOT, "node_modules/wrangler/bin/wrangler.js");
const CONFIGS = ["wrangler.toml", "wrangler.query.toml"];

await start();

/** Runs wrangler to completion; resolves with its exit code and everything it printed. */
function captureWrangler(args, env) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [WRANGLER, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code, output }));
  });
}

/** Copies a child's stream to ours line by line through a filter; `seen` sees every line first. */
function relay(from, to, seen = () => {}) {
  const filter = devOutputFilter();
  createInterface({ input: from, crlfDelay: Infinity }).on("line", (line) => {
    seen(line);
    for (const out of filter(line)) to.write(`${out}\n`);
  });
}

/**
 * nextFire for the ticker: each cron parsed once by the jobs' own parser
 * (src/jobs/cron.ts, run from its esbuild bundle: scripts/lib/ts-bundle.mjs);
 * one that does not parse is not driven.
 */
async function cronEvaluator(crons) {
  const { parseCron, nextFireAfter } = await importBundled("cron");
  const schedules = new Map();
  for (const cron of crons) {
    const parsed = parseCron(cron, "crons");
    if (parsed.ok) schedules.set(cron, parsed.value);
    else console.error(`[cron] "${cron}" (wrangler.toml) is not driven locally: ${parsed.failure.rule ?? parsed.failure.reason}`);
  }
  return { crons: [...schedules.keys()], nextFire: (cron, afterMs) => nextFireAfter(schedules.get(cron), afterMs) };
}

function banner({ origin, created, vars, crons }) {
  const schedule = crons.length > 0 ? `runs ${crons.map(describeCron).join(" and ")}, on the minute (UTC), as wrangler.toml's cron triggers do in production` : "never runs: wrangler.toml declares no cron triggers";
  return `
Feature store ready on ${origin}
Web catalog: ${origin}/ui (sign in with FS_ROOT_ACCESS_KEY_ID and FS_ROOT_SECRET_ACCESS_KEY from ${DEV_VARS})
${created ? `Created ${DEV_VARS} with a new root credential.` : `Root credential: ${DEV_VARS}.`}
Try:
  curl -H "Authorization: Bearer ${vars.FS_ROOT_ACCESS_KEY_ID}:$(grep FS_ROOT_SECRET_ACCESS_KEY ${DEV_VARS} | cut -d'"' -f2)" ${origin}/v1/health
Scheduled handler: ${schedule}.
`;
}

async function start() {
  const port = process.env.PORT ?? "8787";
  const origin = `http://127.0.0.1:${port}`;
  // FS_STATE_DIR: another state folder (the crash test and soak run in their own).
  const persist = process.env.FS_STATE_DIR ?? ".wrangler/state";
  const created = ensureDevVars();
  const vars = readDevVars();
  const env = {
    ...process.env,
    WRANGLER_HIDE_BANNER: "true",
    WRANGLER_SEND_METRICS: process.env.WRANGLER_SEND_METRICS ?? "false",
    // No request.cf fetched from workers.cloudflare.com (the worker reads none): no 3 s wait and stack trace offline.
    CLOUDFLARE_CF_FETCH_ENABLED: process.env.CLOUDFLARE_CF_FETCH_ENABLED ?? "false",
  };

  const [migrate, evaluator] = await Promise.all([
    // CI=1 keeps wrangler from asking for confirmation.
    captureWrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", persist], { ...env, CI: "1" }),
    configuredCrons(CONFIGS[0]).then(cronEvaluator),
  ]);
  if (migrate.code !== 0) {
    process.stderr.write(migrate.output);
    console.error("Applying the D1 migrations failed; see above.");
    process.exit(migrate.code ?? 1);
  }
  console.log(migrationSummary(migrate.output));

  // Both workers in one session: the API worker (first, serves the port and
  // the scheduled handler) and the query worker it reaches through QUERY.
  const dev = spawn(process.execPath, [WRANGLER, "dev", ...CONFIGS.flatMap((c) => ["-c", c]), "--ip", "127.0.0.1", "--port", port, "--persist-to", persist], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let ticker;
  relay(dev.stdout, process.stdout, (line) => {
    if (ticker || !/^\[wrangler:info\] Ready on /.test(plain(line))) return;
    ticker = startCronTicker({ ...evaluator, fire: (cron, time, signal) => fireScheduled(origin, cron, time, signal) });
    process.stdout.write(banner({ origin, created, vars, crons: evaluator.crons }));
  });
  relay(dev.stderr, process.stderr);
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.on(signal, () => {
      ticker?.stop();
      dev.kill(signal);
    });
  }
  dev.on("exit", (code) => {
    ticker?.stop();
    process.exit(code ?? 0);
  });
}
