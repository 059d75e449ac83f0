// Runs the CLI (scripts/fs.mjs) as a child process on the Node that runs
// the tests, pointed at the sdk project's worker and its offline bucket's
// local S3 endpoint, in a temporary working directory (so no .dev.vars
// defaults and checkpoints land there).
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { ENDPOINT, OFFLINE_S3, SDK_ACCESS_KEY_ID, SDK_SECRET_ACCESS_KEY } from "../support";

const ROOT = resolve(import.meta.dirname, "../../..");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (the CLI prints one JSON document), or undefined. */
  json: any;
}

export function cliEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    PATH: process.env.PATH,
    FS_ENDPOINT: ENDPOINT,
    FS_ACCESS_KEY_ID: SDK_ACCESS_KEY_ID,
    FS_SECRET_ACCESS_KEY: SDK_SECRET_ACCESS_KEY,
    FS_OFFLINE_S3_ENDPOINT: OFFLINE_S3.endpoint,
    FS_OFFLINE_S3_REGION: OFFLINE_S3.region,
    FS_OFFLINE_S3_ACCESS_KEY_ID: OFFLINE_S3.accessKeyId,
    FS_OFFLINE_S3_SECRET_ACCESS_KEY: OFFLINE_S3.secretAccessKey,
    ...extra,
  };
}

export function runCli(args: readonly string[], options: { cwd: string; env?: Record<string, string | undefined> }): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [resolve(ROOT, "scripts/fs.mjs"), ...args], { cwd: options.cwd, env: options.env ?? cliEnv() });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk) => (stdout += String(chunk)));
    child.stderr?.on("data", (chunk) => (stderr += String(chunk)));
    child.on("error", reject);
    child.on("close", (code) => {
      let json: unknown;
      try {
        json = stdout.trim() ? JSON.parse(stdout) : undefined;
      } catch {
        json = undefined;
      }
      resolvePromise({ code, stdout, stderr, json });
    });
  });
}
