// The ticker npm start uses to drive the scheduled handler
// (scripts/lib/cron-ticker.mjs), on a fake clock, with the jobs' own cron
// parser as the evaluator (as start.mjs wires it).
import { createServer } from "node:http";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { nextFireAfter, parseCron } from "../../../src/jobs/cron";

interface Ticker {
  stop(): void;
}
interface TickerModule {
  nextTick(crons: readonly string[], nextFire: NextFire, afterMs: number): { at: number; crons: string[] } | null;
  fireScheduled(origin: string, cron: string, scheduledTime: number, signal?: AbortSignal): Promise<void>;
  startCronTicker(options: { crons: readonly string[]; nextFire: NextFire; fire: (cron: string, scheduledTime: number, signal: AbortSignal) => Promise<void>; log?: (line: string) => void }): Ticker;
  describeCron(cron: string): string;
}
type NextFire = (cron: string, afterMs: number) => number | null;

// Plain JavaScript without declarations: loaded by a path TypeScript does not follow.
const load = (name: string): Promise<any> => import(/* @vite-ignore */ `../../../scripts/lib/${name}.mjs`);
const ticker: TickerModule = await load("cron-ticker");

const CRONS = ["*/15 * * * *", "* * * * *"];
const nextFire: NextFire = (cron, afterMs) => {
  const parsed = parseCron(cron, "crons");
  if (!parsed.ok) throw new Error(`test cron ${cron} does not parse`);
  return nextFireAfter(parsed.value, afterMs);
};
const iso = (ms: number) => new Date(ms).toISOString();
const START = Date.UTC(2026, 11, 3, 12, 13, 20, 500);

describe("the npm start cron ticker", () => {
  let running: Ticker | undefined;
  beforeEach(() => {
    vi.useFakeTimers({ now: START });
  });
  afterEach(() => {
    running?.stop();
    vi.useRealTimers();
  });

  function start(fire: (cron: string, scheduledTime: number) => Promise<void>, log: (line: string) => void = () => {}) {
    running = ticker.startCronTicker({ crons: CRONS, nextFire, fire, log });
    return running;
  }

  it("fires every minute on the minute, and the 15-minute cron at quarter hours too, each with its scheduled time", async () => {
    const fired: string[] = [];
    start(async (cron, time) => {
      fired.push(`${iso(time)} ${cron} @${iso(Date.now())}`);
    });
    await vi.advanceTimersByTimeAsync(39_499);
    expect(fired).toEqual([]);
    await vi.advanceTimersByTimeAsync(3 * 60_000 + 1);
    expect(fired).toEqual([
      "2026-12-03T12:14:00.000Z * * * * * @2026-12-03T12:14:00.000Z",
      "2026-12-03T12:15:00.000Z */15 * * * * @2026-12-03T12:15:00.000Z",
      "2026-12-03T12:15:00.000Z * * * * * @2026-12-03T12:15:00.000Z",
      "2026-12-03T12:16:00.000Z * * * * * @2026-12-03T12:16:00.000Z",
      "2026-12-03T12:17:00.000Z * * * * * @2026-12-03T12:17:00.000Z",
    ]);
    await vi.advanceTimersByTimeAsync(15 * 60_000);
    expect(fired.filter((line) => line.includes("*/15"))).toEqual(["2026-12-03T12:15:00.000Z */15 * * * * @2026-12-03T12:15:00.000Z", "2026-12-03T12:30:00.000Z */15 * * * * @2026-12-03T12:30:00.000Z"]);
    expect(fired).toHaveLength(5 + 16);
  });

  it("logs a failed tick in one line and still fires the next one", async () => {
    const fired: number[] = [];
    const logged: string[] = [];
    start(async (cron, time) => {
      if (cron !== "* * * * *") return;
      fired.push(time);
      if (fired.length === 1) throw new Error("HTTP 500 exception");
    }, (line) => logged.push(line));
    await vi.advanceTimersByTimeAsync(2 * 60_000);
    expect(fired.map(iso)).toEqual(["2026-12-03T12:14:00.000Z", "2026-12-03T12:15:00.000Z"]);
    expect(logged).toEqual(['[cron] "* * * * *" at 2026-12-03T12:14:00.000Z failed: HTTP 500 exception']);
  });

  it("does not wait for a slow tick before firing the next, as production overlaps them", async () => {
    const started: number[] = [];
    start((cron, time) => {
      if (cron === "* * * * *") started.push(time);
      return new Promise(() => {});
    });
    await vi.advanceTimersByTimeAsync(3 * 60_000);
    expect(started.map(iso)).toEqual(["2026-12-03T12:14:00.000Z", "2026-12-03T12:15:00.000Z", "2026-12-03T12:16:00.000Z"]);
  });

  it("fires nothing after stop(), aborts the tick in flight and logs nothing for it", async () => {
    const logged: string[] = [];
    const signals: AbortSignal[] = [];
    running = ticker.startCronTicker({
      crons: ["* * * * *"],
      nextFire,
      fire: (_cron, _time, signal) => {
        signals.push(signal);
        return new Promise((_, reject) => signal.addEventListener("abort", () => reject(new Error("aborted"))));
      },
      log: (line) => logged.push(line),
    });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(signals).toHaveLength(1);
    expect(signals[0]!.aborted).toBe(false);
    running.stop();
    expect(signals[0]!.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(signals).toHaveLength(1);
    expect(logged).toEqual([]);
  });

  it("after a late wake-up fires the missed instant once, then goes on from the current time", async () => {
    const fired: string[] = [];
    start(async (cron, time) => {
      if (cron === "* * * * *") fired.push(iso(time));
    });
    // The machine sleeps: the clock jumps 10 minutes without timers running,
    // so the 12:14 timer wakes at 12:24:00.
    vi.setSystemTime(START + 10 * 60_000);
    await vi.advanceTimersByTimeAsync(2 * 60_000);
    expect(fired).toEqual(["2026-12-03T12:14:00.000Z", "2026-12-03T12:25:00.000Z"]);
  });

  it("finds the next instant any cron fires at, with every cron due then", () => {
    expect(ticker.nextTick(CRONS, nextFire, Date.UTC(2026, 11, 3, 12, 14, 0))).toEqual({ at: Date.UTC(2026, 11, 3, 12, 15, 0), crons: CRONS });
    expect(ticker.nextTick(CRONS, nextFire, Date.UTC(2026, 11, 3, 12, 15, 0))).toEqual({ at: Date.UTC(2026, 11, 3, 12, 16, 0), crons: ["* * * * *"] });
    expect(ticker.nextTick([], nextFire, START)).toBeNull();
  });

  it("names crons for the banner", () => {
    expect(ticker.describeCron("* * * * *")).toBe('every minute ("* * * * *")');
    expect(ticker.describeCron("*/15 * * * *")).toBe('every 15 minutes ("*/15 * * * *")');
    expect(ticker.describeCron("0 3 * * MON")).toBe('on "0 3 * * MON" (UTC)');
  });
});

describe("firing the scheduled handler through wrangler dev's endpoint", () => {
  /** A stand-in for wrangler dev's /cdn-cgi/local/scheduled: records the URL, answers as Miniflare does. */
  async function endpoint(answer: { status: number; body: string }): Promise<{ origin: string; urls: string[]; close: () => void }> {
    const urls: string[] = [];
    const server = createServer((req, res) => {
      urls.push(req.url ?? "");
      res.writeHead(answer.status, { "content-type": "application/json" });
      res.end(answer.body);
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    const address = server.address();
    if (typeof address !== "object" || !address) throw new Error("no port");
    return { origin: `http://127.0.0.1:${address.port}`, urls, close: () => server.close() };
  }

  it("asks for the cron and the scheduled time, in JSON", async () => {
    const server = await endpoint({ status: 200, body: '{"outcome":"ok","noRetry":false}' });
    try {
      await ticker.fireScheduled(server.origin, "*/15 * * * *", Date.UTC(2026, 11, 3, 12, 15));
      const url = new URL(server.urls[0]!, server.origin);
      expect(url.pathname).toBe("/cdn-cgi/local/scheduled");
      expect(Object.fromEntries(url.searchParams)).toEqual({ cron: "*/15 * * * *", time: String(Date.UTC(2026, 11, 3, 12, 15)), format: "json" });
    } finally {
      server.close();
    }
  });

  it("rejects with the status and outcome when the handler threw", async () => {
    const server = await endpoint({ status: 500, body: '{"outcome":"exception","noRetry":false}' });
    try {
      await expect(ticker.fireScheduled(server.origin, "* * * * *", 0)).rejects.toThrow("HTTP 500 exception");
    } finally {
      server.close();
    }
  });

  it("logs a server that is not there by its cause", async () => {
    const server = await endpoint({ status: 200, body: "" });
    server.close();
    const logged: string[] = [];
    const now = Date.now();
    const t = ticker.startCronTicker({
      crons: ["* * * * *"],
      // Due 50 ms from now, then not again within the test.
      nextFire: (_cron, after) => (after < now + 50 ? now + 50 : null),
      fire: (cron, time, signal) => ticker.fireScheduled(server.origin, cron, time, signal),
      log: (line) => logged.push(line),
    });
    try {
      await vi.waitFor(() => expect(logged).toHaveLength(1), { timeout: 10_000 });
      expect(logged[0]).toMatch(/^\[cron\] "\* \* \* \* \*" at \S+ failed: fetch failed \(ECONNREFUSED\)$/);
    } finally {
      t.stop();
    }
  });
});
