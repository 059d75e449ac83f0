#!/usr/bin/env node
// npm run test:python: the Python client's tests (clients/python/tests)
// against the local stack, as a data scientist would run them.
//
// 1. A virtual environment under .venv-python-tests/ (gitignored), created
//    with the package, pytest and duckdb installed from the local package
//    mirror pip is configured with (`pip config list`), never the network:
//    its indexes are passed as --index-url/--extra-index-url so pip does not
//    first wait on the default index. It is reused while pyproject.toml and
//    the Python version stay the same; the package itself is reinstalled
//    (non-editable, no dependencies) on every run.
// 2. `npm start` on a free port with a temporary state directory
//    (scripts/lib/stack.mjs), the root credential of .dev.vars handed to
//    the tests as FS_ENDPOINT / FS_ACCESS_KEY_ID / FS_SECRET_ACCESS_KEY.
// 3. pytest; then the stack is stopped and its state removed.
//
// FS_PYTHON picks the interpreter (default python3); FS_PYTHON_FRESH=1
// recreates the environment; extra arguments go to pytest.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, rootAuth, startStack } from "./lib/stack.mjs";

const ROOT = resolve(import.meta.dirname, "..");
const PACKAGE = join(ROOT, "clients/python");
const VENV = join(ROOT, ".venv-python-tests");
const STAMP = join(VENV, ".installed");
const PYTHON = process.env.FS_PYTHON ?? "python3";
const venvPython = join(VENV, "bin/python");
/** Builds the package without isolation on reuse: setuptools 70.1+ builds wheels without the `wheel` package. */
const BUILD_REQUIREMENT = "setuptools>=70.1";

function fail(message) {
  console.error(`test:python: ${message}`);
  process.exit(1);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: "inherit", ...options });
  if (result.error) fail(`${command} could not run: ${result.error.message}`);
  return result.status ?? 1;
}

/** Runs pip quietly: its output (mirror warnings and all) is shown only when it fails. */
function pip(args) {
  const result = spawnSync(venvPython, ["-m", "pip", ...args], { cwd: ROOT, encoding: "utf8" });
  if (result.error) fail(`pip could not run: ${result.error.message}`);
  if (result.status !== 0) process.stderr.write(`${result.stdout}${result.stderr}`);
  return result.status ?? 1;
}

function capture(command, args) {
  const result = spawnSync(command, args, { cwd: ROOT, encoding: "utf8" });
  if (result.error) fail(`${command} could not run (${result.error.message}); install Python 3.9+ or set FS_PYTHON`);
  return result;
}

/**
 * pip's options for the local mirror, from PIP_INDEX_URL / PIP_EXTRA_INDEX_URL /
 * PIP_FIND_LINKS or `pip config list`. No mirror, or a file:// mirror whose
 * folder is gone, is a clear error rather than a long wait on the network.
 */
function mirrorArgs() {
  const config = {};
  const listed = capture(PYTHON, ["-m", "pip", "config", "list"]);
  for (const line of (listed.stdout ?? "").split("\n")) {
    const match = /^[^.]*\.(index-url|extra-index-url|find-links)='(.*)'$/.exec(line.trim());
    if (match) config[match[1]] = [...(config[match[1]] ?? []), ...match[2].split(/\s+/).filter(Boolean)];
  }
  const fromEnv = (name) => (process.env[name] ? process.env[name].split(/\s+/).filter(Boolean) : undefined);
  const indexes = [...(fromEnv("PIP_INDEX_URL") ?? config["index-url"] ?? []), ...(fromEnv("PIP_EXTRA_INDEX_URL") ?? config["extra-index-url"] ?? [])];
  const findLinks = fromEnv("PIP_FIND_LINKS") ?? config["find-links"] ?? [];
  if (indexes.length === 0 && findLinks.length === 0) {
    fail(
      "no local package mirror: `pip config list` shows no index-url, extra-index-url or find-links, and PIP_INDEX_URL is not set. " +
        "The Python tests install requests, pandas, pyarrow, duckdb and pytest without network; point pip at a mirror " +
        "(pip config set global.index-url file:///path/to/simple, or PIP_INDEX_URL) and run again.",
    );
  }
  for (const url of [...indexes, ...findLinks]) {
    const path = url.startsWith("file://") ? fileURLToPath(url) : url.startsWith("/") ? url : null;
    if (path !== null && !existsSync(path)) fail(`the package mirror ${url} (from pip's configuration) does not exist on this machine`);
  }
  const [first, ...rest] = indexes;
  return [
    "--no-input",
    "--disable-pip-version-check",
    ...(first ? ["--index-url", first] : ["--no-index"]),
    ...rest.flatMap((url) => ["--extra-index-url", url]),
    ...findLinks.flatMap((url) => ["--find-links", url]),
  ];
}

/** Creates or reuses the environment; returns seconds spent. */
function prepareEnvironment() {
  const started = Date.now();
  const version = capture(PYTHON, ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"]).stdout?.trim() ?? "";
  const [major, minor] = version.split(".").map(Number);
  if (!(major === 3 && minor >= 9)) fail(`${PYTHON} is Python ${version || "?"}; the client needs 3.9 or later (set FS_PYTHON)`);
  const stamp = createHash("sha256").update(readFileSync(join(PACKAGE, "pyproject.toml"))).update(version).update(BUILD_REQUIREMENT).digest("hex");
  const fresh = process.env.FS_PYTHON_FRESH === "1" || !existsSync(venvPython) || !existsSync(STAMP) || readFileSync(STAMP, "utf8") !== stamp;
  const mirror = mirrorArgs();
  if (fresh) {
    rmSync(VENV, { recursive: true, force: true });
    console.log(`test:python: creating ${VENV} (Python ${version}) from the local mirror`);
    if (run(PYTHON, ["-m", "venv", VENV]) !== 0) fail("python -m venv failed");
    const status = pip(["install", ...mirror, BUILD_REQUIREMENT, `${PACKAGE}[test]`]);
    if (status !== 0) fail(`pip could not install the package and its test dependencies from the mirror (${mirror.join(" ")}); see above`);
    writeFileSync(STAMP, stamp);
  } else {
    // The dependencies are in place: only the package, rebuilt from the working tree.
    const status = pip(["install", ...mirror, "--no-deps", "--no-build-isolation", "--force-reinstall", PACKAGE]);
    if (status !== 0) fail("pip could not reinstall the package; see above (FS_PYTHON_FRESH=1 recreates the environment)");
  }
  rmSync(join(PACKAGE, "build"), { recursive: true, force: true });
  return (Date.now() - started) / 1000;
}

async function main() {
  const setupSeconds = prepareEnvironment();
  const auth = rootAuth();
  const port = await freePort();
  const stateDir = mkdtempSync(join(tmpdir(), "fs-python-state-"));
  const logFile = join(stateDir, "stack.log");
  const started = Date.now();
  let stack;
  try {
    stack = await startStack({ port, stateDir: join(stateDir, "state"), logFile, auth: auth.bearer });
  } catch (error) {
    console.error(readFileSync(logFile, "utf8").split("\n").slice(-30).join("\n"));
    fail(error.message);
  }
  const stackSeconds = (Date.now() - started) / 1000;
  const stop = async () => {
    await stack.stop();
    rmSync(stateDir, { recursive: true, force: true });
  };
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => stop().then(() => process.exit(130)));
  const testsStarted = Date.now();
  let status;
  try {
    status = run(venvPython, ["-m", "pytest", "-q", "-p", "no:cacheprovider", join(PACKAGE, "tests"), ...process.argv.slice(2)], {
      env: { ...process.env, FS_ENDPOINT: stack.origin, FS_ACCESS_KEY_ID: auth.accessKeyId, FS_SECRET_ACCESS_KEY: auth.secretAccessKey, PYTHONDONTWRITEBYTECODE: "1" },
    });
  } finally {
    if (status !== 0 && existsSync(logFile)) console.error(`test:python: stack output (last lines of ${logFile}):\n${readFileSync(logFile, "utf8").split("\n").slice(-20).join("\n")}`);
    await stop();
  }
  console.log(`test:python: environment ${setupSeconds.toFixed(1)} s, stack start ${stackSeconds.toFixed(1)} s, pytest ${((Date.now() - testsStarted) / 1000).toFixed(1)} s`);
  process.exit(status);
}

await main();
