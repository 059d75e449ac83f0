// Drives the scheduled handler of a `wrangler dev` session the way
// Cloudflare's cron triggers drive a deployed worker. wrangler dev never fires
// cron triggers itself; it only serves /cdn-cgi/local/scheduled, which runs the
// entry worker's scheduled handler once (`cron` picks controller.cron, `time`
// sets controller.scheduledTime in ms, `format=json` answers
// {"outcome":"ok"|…} with 200 or 500).
//
// What it will not do: catch up fire times missed while the machine slept
// (one late tick fires, then the schedule goes on from the current time), or
// wait for a slow tick before firing the next (production overlaps them too).

/** setTimeout's limit is 2^31-1 ms; a longer wait is taken in steps of this. */
const MAX_TIMER_MS = 60 * 60_000;

/**
 * The next instant after `afterMs` at which any of the crons fires, and
 * every cron that fires then; null if none fires again.
 *
 * @param {readonly string[]} crons
 * @param {(cron: string, afterMs: number) => number | null} nextFire first fire time strictly after afterMs
 * @param {number} afterMs
 * @returns {{ at: number, crons: string[] } | null}
 */
export function nextTick(crons, nextFire, afterMs) {
  let at = null;
  let due = [];
  for (const cron of crons) {
    const t = nextFire(cron, afterMs);
    if (t === null) continue;
    if (at === null || t < at) [at, due] = [t, [cron]];
    else if (t === at) due.push(cron);
  }
  return at === null ? null : { at, crons: due };
}

/**
 * Runs the scheduled handler once through wrangler dev's trigger endpoint,
 * as the cron `cron` at `scheduledTime`. Rejects when the handler threw or
 * the server did not answer.
 *
 * @param {string} origin e.g. http://127.0.0.1:8787
 * @param {string} cron
 * @param {number} scheduledTime ms since the epoch
 * @param {AbortSignal} [signal]
 */
export async function fireScheduled(origin, cron, scheduledTime, signal) {
  const url = `${origin}/cdn-cgi/local/scheduled?${new URLSearchParams({ cron, time: String(scheduledTime), format: "json" })}`;
  const res = await fetch(url, { signal });
  const text = await res.text();
  let outcome = text.trim();
  try {
    outcome = JSON.parse(text).outcome ?? outcome;
  } catch {
    // not JSON: an error page or a proxy's answer; report it as it came
  }
  if (res.status !== 200 || outcome !== "ok") throw new Error(`HTTP ${res.status} ${String(outcome).slice(0, 200)}`);
}

/** An error in a few words: fetch's "fetch failed" names its cause (ECONNREFUSED) only there. */
function reason(error) {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause?.code ?? error.cause?.message;
  return cause ? `${error.message} (${cause})` : error.message;
}

/**
 * Fires each cron on its schedule, on the minute (UTC), until stop(). Every
 * cron due at an instant is fired, concurrently, with that instant as its
 * scheduled time. A failed tick is logged in one line; the next still fires.
 *
 * @param {{
 *   crons: readonly string[],
 *   nextFire: (cron: string, afterMs: number) => number | null,
 *   fire: (cron: string, scheduledTime: number, signal: AbortSignal) => Promise<void>,
 *   log?: (line: string) => void,
 * }} options
 * @returns {{ stop(): void }}
 */
export function startCronTicker({ crons, nextFire, fire, log = (line) => console.error(line) }) {
  const aborter = new AbortController();
  let timer;
  let stopped = false;

  const arm = (tick) => {
    if (stopped || tick === null) return;
    const wait = tick.at - Date.now();
    // A timer may wake early or be capped: only fire once the instant has come.
    if (wait > 0) timer = setTimeout(() => arm(tick), Math.min(wait, MAX_TIMER_MS));
    else {
      for (const cron of tick.crons) {
        fire(cron, tick.at, aborter.signal).catch((error) => {
          if (!stopped) log(`[cron] "${cron}" at ${new Date(tick.at).toISOString()} failed: ${reason(error)}`);
        });
      }
      arm(nextTick(crons, nextFire, Math.max(tick.at, Date.now())));
    }
  };
  arm(nextTick(crons, nextFire, Date.now()));

  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      aborter.abort();
    },
  };
}

/**
 * The crons of a config's [triggers], read with wrangler's own config
 * reader (so they are what `wrangler deploy` would register).
 *
 * @param {string} configPath
 * @returns {Promise<string[]>}
 */
export async function configuredCrons(configPath) {
  const previous = process.env.WRANGLER_LOG;
  // Its warnings about the config are wrangler dev's to print, once.
  process.env.WRANGLER_LOG = "error";
  try {
    const { unstable_readConfig } = await import("wrangler");
    return [...(unstable_readConfig({ config: configPath }).triggers?.crons ?? [])];
  } finally {
    if (previous === undefined) delete process.env.WRANGLER_LOG;
    else process.env.WRANGLER_LOG = previous;
  }
}

/**
 * How the banner names a cron: "every minute", "every 15 minutes", or the
 * expression itself.
 *
 * @param {string} cron
 */
export function describeCron(cron) {
  const text = cron.trim().replace(/\s+/g, " ");
  if (text === "* * * * *") return `every minute ("${text}")`;
  const step = /^\*\/(\d+) \* \* \* \*$/.exec(text);
  if (step) return `every ${step[1]} minutes ("${text}")`;
  return `on "${text}" (UTC)`;
}
