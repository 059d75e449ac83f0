// Reads and creates .dev.vars, the local secrets file wrangler loads.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

export const DEV_VARS = ".dev.vars";

/** Parses KEY=value lines (optionally quoted). */
export function readDevVars(path = DEV_VARS) {
  const vars = {};
  if (!existsSync(path)) return vars;
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const match = /^\s*([A-Z0-9_]+)\s*=\s*"?(.*?)"?\s*$/.exec(line);
    if (match) vars[match[1]] = match[2];
  }
  return vars;
}

/** Creates .dev.vars with a random root credential when it is missing. Returns true if created. */
export function ensureDevVars(path = DEV_VARS) {
  if (existsSync(path)) return false;
  const accessKeyId = `AK${randomBytes(9).toString("hex").toUpperCase()}`;
  const secret = randomBytes(30).toString("base64url");
  writeFileSync(
    path,
    `# Local secrets for wrangler dev (never commit). Created by npm start.\nFS_ROOT_ACCESS_KEY_ID="${accessKeyId}"\nFS_ROOT_SECRET_ACCESS_KEY="${secret}"\n`,
    { mode: 0o600 },
  );
  return true;
}
