// The local stack runs what production runs: `npm start`, started the way
// package.json starts it, loads a file dropped for an ingest job with a
// schedule, with no manual trigger, because it fires the scheduled handler on
// wrangler.toml's cron triggers (scripts/lib/cron-ticker.mjs) as Cloudflare
// does. The job's "* * * * *" schedule makes it due at the first minute
// boundary after it is created, so the test waits up to about a minute by
// design: the tick is the thing under test.
//
// The stack runs in a temporary copy of the project (symlinks to src,
// scripts, migrations and node_modules; copies of the wrangler configs), so
// its .dev.vars, .wrangler/state and bundles are its own, on a free port and
// in a process group of its own, which the test takes down whatever happens.
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../../..");
/** Bundling both workers and starting workerd, on a loaded 2-core machine. */
const READY_WITHIN_MS = 240_000;
/** The job is due at the next minute boundary (≤ 60 s), then its file is loaded. */
const INGESTED_WITHIN_MS = 150_000;
/** SIGTERM to npm start's process until nothing of its group is left. */
const STOPPED_WITHIN_MS = 30_000;
const POLL_MS = 1_000;

const LINKED = ["src", "scripts", "migrations", "node_modules", "package.json", "tsconfig.json"];
const COPIED = ["wrangler.toml", "wrangler.query.toml"];

interface Stack {
  dir: string;
  origin: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<void>;
  killOnExit: () => void;
}

let stack: Stack | undefined;

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const tail = (text: string) => text.split("\n").slice(-60).join("\n");

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? done(address.port) : fail(new Error("no port"))));
    });
  });
}

/** package.json's start script as argv, on the Node that runs the tests. */
function startCommand(): string[] {
  const script: string = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts.start;
  const [node, ...args] = script.split(/\s+/);
  if (node !== "node") throw new Error(`package.json start is not a node command: ${script}`);
  return [process.execPath, ...args];
}

/** The environment a developer's shell would give npm start: without what vitest sets for its own workers. */
function shellEnv(): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== "NODE_ENV" && !key.startsWith("VITEST")));
}

/** True while any process of the group is alive. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until<T>(what: string, withinMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${withinMs / 1000} s\n--- npm start output (tail) ---\n${tail(stack?.output() ?? "")}`);
    await sleep(POLL_MS);
  }
}

async function startStack(): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), "fs-local-stack-"));
  for (const name of LINKED) symlinkSync(join(ROOT, name), join(dir, name));
  for (const name of COPIED) copyFileSync(join(ROOT, name), join(dir, name));
  const port = await freePort();
  const [command, ...args] = startCommand();
  const child = spawn(command!, args, {
    cwd: dir,
    // Its own process group (pgid = pid), so the whole tree can be signalled;
    // its own dev registry, so it never meets another engineer's wrangler dev.
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...shellEnv(), PORT: String(port), WRANGLER_REGISTRY_PATH: join(dir, "registry") },
  });
  let output = "";
  child.stdout?.on("data", (chunk) => (output += String(chunk)));
  child.stderr?.on("data", (chunk) => (output += String(chunk)));
  const exited = new Promise<void>((done) => child.on("exit", () => done()));
  // Last resort if this test process ends without its afterAll (the group is
  // detached, so a Ctrl-C at the terminal does not reach it).
  const killOnExit = () => {
    if (child.pid !== undefined && groupAlive(child.pid)) process.kill(-child.pid, "SIGKILL");
  };
  process.on("exit", killOnExit);
  return { dir, origin: `http://127.0.0.1:${port}`, child, output: () => output, exited, killOnExit };
}

/** Takes the stack down: its whole process group, then its directory. */
async function removeStack(s: Stack): Promise<void> {
  const pgid = s.child.pid;
  if (pgid !== undefined && groupAlive(pgid)) {
    process.kill(-pgid, "SIGTERM");
    const deadline = Date.now() + STOPPED_WITHIN_MS;
    while (groupAlive(pgid) && Date.now() < deadline) await sleep(200);
    if (groupAlive(pgid)) process.kill(-pgid, "SIGKILL");
  }
  process.off("exit", s.killOnExit);
  rmSync(s.dir, { recursive: true, force: true });
}

function rootCredential(dir: string): string {
  const vars = readFileSync(join(dir, ".dev.vars"), "utf8");
  const value = (key: string) => new RegExp(`^${key}="?([^"\\n]*)"?$`, "m").exec(vars)?.[1];
  return `Bearer ${value("FS_ROOT_ACCESS_KEY_ID")}:${value("FS_ROOT_SECRET_ACCESS_KEY")}`;
}

/** The landing bucket through wrangler dev's local S3 endpoint, with wrangler.toml's local credentials. */
async function ingestBucket(s: Stack): Promise<{ client: S3Client; bucket: string }> {
  const previous = process.env.WRANGLER_LOG;
  process.env.WRANGLER_LOG = "error";
  try {
    const { unstable_readConfig } = await import("wrangler");
    const binding = unstable_readConfig({ config: join(s.dir, "wrangler.toml") }).r2_buckets.find((b: { binding: string }) => b.binding === "INGEST_BUCKET");
    const credentials = binding?.local_dev?.experimental_s3_credentials;
    if (!binding?.bucket_name || !credentials) throw new Error("wrangler.toml: INGEST_BUCKET needs local_dev.experimental_s3_credentials");
    const client = new S3Client({ endpoint: `${s.origin}/cdn-cgi/local/r2/s3`, region: "auto", forcePathStyle: true, credentials, maxAttempts: 3 });
    return { client, bucket: binding.bucket_name };
  } finally {
    if (previous === undefined) delete process.env.WRANGLER_LOG;
    else process.env.WRANGLER_LOG = previous;
  }
}

describe("npm start", () => {
  beforeAll(async () => {
    stack = await startStack();
    const s = stack;
    let exitedEarly = false;
    void s.exited.then(() => (exitedEarly = true));
    await until("npm start ready", READY_WITHIN_MS, async () => {
      if (exitedEarly) throw new Error(`npm start exited before it was ready\n${tail(s.output())}`);
      return s.output().includes(`Feature store ready on ${s.origin}`) ? true : undefined;
    });
  }, READY_WITHIN_MS + 30_000);

  afterAll(async () => {
    if (stack) await removeStack(stack);
  }, STOPPED_WITHIN_MS + 30_000);

  it("starts quietly: the migrations in one line, no wrangler tables, a banner that says the scheduled handler runs every minute", () => {
    const output = stack!.output();
    expect(output).toMatch(/^D1 migrations: \d+ applied \(0000_init, /m);
    expect(output).not.toContain("┌");
    expect(output).not.toContain("has access to the following bindings");
    expect(output).not.toContain("Scheduled Workers are not automatically triggered");
    expect(output).toContain(`/v1/health`);
    expect(output).toContain(`Web catalog: ${stack!.origin}/ui (sign in with FS_ROOT_ACCESS_KEY_ID and FS_ROOT_SECRET_ACCESS_KEY from .dev.vars)`);
    expect(output).toMatch(/^Scheduled handler: runs .*every minute \("\* \* \* \* \*"\)/m);
  });

  it(
    "ingests a file dropped for a job with a schedule, with no manual trigger, then stops its whole process tree on SIGTERM",
    async () => {
      const s = stack!;
      const auth = rootCredential(s.dir);
      const api = async (method: string, path: string, body?: unknown) => {
        const res = await fetch(`${s.origin}/v1${path}`, { method, headers: { authorization: auth, "content-type": "application/json" }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
        const text = await res.text();
        return { status: res.status, text, body: text ? JSON.parse(text) : undefined };
      };

      const group = `ticker-${crypto.randomUUID().slice(0, 8)}`;
      const created = await api("POST", "/feature-groups", {
        name: group,
        recordIdentifierFeature: "user_id",
        eventTimeFeature: "event_time",
        features: [
          { name: "user_id", type: "String" },
          { name: "event_time", type: "String" },
          { name: "clicks", type: "Integral" },
        ],
        onlineStore: { enabled: true },
      });
      expect(created.status, created.text).toBe(201);

      const prefix = `landing/${group}/`;
      const { client, bucket } = await ingestBucket(s);
      const rows = [
        { user_id: "u1", event_time: "2026-11-25T08:00:00Z", clicks: 42 },
        { user_id: "u2", event_time: "2026-11-25T08:00:01Z", clicks: 7 },
      ];
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}part-0.ndjson`, Body: rows.map((row) => JSON.stringify(row)).join("\n") + "\n" }));

      const job = await api("POST", "/jobs", { kind: "ingest", featureGroup: group, source: { prefix }, format: "ndjson", mode: "online", schedule: "* * * * *" });
      expect(job.status, job.text).toBe(201);
      const jobId: string = job.body.id;

      const record = await until(`record u1 of ${group} ingested by the scheduled job`, INGESTED_WITHIN_MS, async () => {
        const res = await api("GET", `/feature-groups/${group}/records/u1`);
        return res.status === 200 ? res.body.record : undefined;
      }).catch(async (error) => {
        const runs = await api("GET", `/jobs/${jobId}/runs`).catch(() => undefined);
        throw new Error(`${(error as Error).message}\n--- runs of job ${jobId} ---\n${runs?.text}`);
      });
      expect(record).toEqual({ user_id: "u1", event_time: "2026-11-25T08:00:00Z", clicks: 42 });

      // Run by the tick (trigger "schedule"), the only run, and complete.
      const runs = await until("the job's run finished", 30_000, async () => {
        const res = await api("GET", `/jobs/${jobId}/runs`);
        return res.body.runs.every((run: { status: string }) => run.status !== "running") ? res.body.runs : undefined;
      });
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({ trigger: "schedule", status: "succeeded", files: { ingested: 1, failed: 0 }, rows: { read: 2, written: 2 } });
      expect((await api("GET", `/feature-groups/${group}/records/u2`)).body.record).toEqual(rows[1]);
      expect(s.output(), "no tick failed").not.toMatch(/^\[cron\] .* failed/m);

      // Stopping npm start (its own process, not the group) stops wrangler,
      // workerd and the ticker with it.
      const pgid = s.child.pid!;
      process.kill(pgid, "SIGTERM");
      await until("npm start's process group gone after SIGTERM", STOPPED_WITHIN_MS, async () => (groupAlive(pgid) ? undefined : true));
    },
    INGESTED_WITHIN_MS + STOPPED_WITHIN_MS + 90_000,
  );
});
