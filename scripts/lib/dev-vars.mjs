// Reads and creates .dev.vars, the local secrets file wrangler loads.
import { randomBytes } from "node:crypto";
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";

export const DEV_VARS = ".dev.vars";

/**
 * Parses KEY=value lines (optionally quoted).
 * @param {string} [path]
 * @returns {Record<string, string | undefined>}
 */
export function readDevVars(path = DEV_VARS) {
  /** @type {Record<string, string | undefined>} */
  const vars = {};
  if (!existsSync(path)) return vars;
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const match = /^\s*([A-Z0-9_]+)\s*=\s*"?(.*?)"?\s*$/.exec(line);
    if (match) vars[match[1]] = match[2];
  }
  return vars;
}

/** A fresh master keyring entry (src/crypto/keyring.ts): id:base64 of 32 random bytes. */
export function newMasterKey() {
  return `mk-${new Date().toISOString().slice(0, 10).replace(/-/g, "")}:${randomBytes(32).toString("base64")}`;
}

/**
 * Creates .dev.vars with a random root credential and master key when it is
 * missing, and adds a master key to an older file without one. Returns true
 * if the file was created.
 */
export function ensureDevVars(path = DEV_VARS) {
  if (existsSync(path)) {
    if (!readDevVars(path).FS_MASTER_KEYS) appendFileSync(path, `FS_MASTER_KEYS="${newMasterKey()}"\n`);
    return false;
  }
  const accessKeyId = `AK${randomBytes(9).toString("hex").toUpperCase()}`;
  const secret = randomBytes(30).toString("base64url");
  writeFileSync(
    path,
    `# Local secrets for wrangler dev (never commit). Created by npm start.\nFS_ROOT_ACCESS_KEY_ID="${accessKeyId}"\nFS_ROOT_SECRET_ACCESS_KEY="${secret}"\nFS_MASTER_KEYS="${newMasterKey()}"\n`,
    { mode: 0o600 },
  );
  return true;
}
