// Where the CLI connects and with which credentials: the environment first,
// then the local stack's defaults (npm start: http://127.0.0.1:$PORT, the
// root credential from .dev.vars, the offline bucket's local S3 endpoint and
// the local_dev S3 credentials of wrangler.toml).
import { join } from "node:path";
import { readDevVars } from "../lib/dev-vars.mjs";
import { CliError, EXIT } from "./errors";

/** wrangler.toml's local_dev.experimental_s3_credentials: meaningful only against wrangler dev. */
export const LOCAL_S3_CREDENTIALS = { accessKeyId: "local-offline-store", secretAccessKey: "local-offline-store-secret" };

/** An S3 endpoint and credentials; without an endpoint or credentials the SDK's own defaults apply. */
export interface S3Settings {
  endpoint?: string;
  region: string;
  accessKeyId?: string;
  secretAccessKey?: string;
}

export interface Config {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The offline bucket (backfill writes there); null when neither set nor local. */
  offlineS3: Required<S3Settings> | null;
  /** Where s3://bucket/prefix inputs are read. */
  inputS3: S3Settings;
}

const isLoopback = (url: string) => /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/|$)/.test(url);

/** The connection settings from the environment, with the local stack's defaults (see the header). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const vars = readDevVars(join(cwd, ".dev.vars"));
  const endpoint = (env.FS_ENDPOINT ?? `http://127.0.0.1:${env.PORT ?? "8787"}`).replace(/\/+$/, "");
  const accessKeyId = env.FS_ACCESS_KEY_ID ?? vars.FS_ROOT_ACCESS_KEY_ID;
  const secretAccessKey = env.FS_SECRET_ACCESS_KEY ?? vars.FS_ROOT_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new CliError(EXIT.AUTH, "no credentials: set FS_ACCESS_KEY_ID and FS_SECRET_ACCESS_KEY (or run in the project folder after `npm start` created .dev.vars)");
  }
  const local = isLoopback(endpoint);
  const s3Endpoint = env.FS_OFFLINE_S3_ENDPOINT ?? (local ? `${endpoint}/cdn-cgi/local/r2/s3` : undefined);
  const s3Key = env.FS_OFFLINE_S3_ACCESS_KEY_ID ?? (local ? LOCAL_S3_CREDENTIALS.accessKeyId : undefined);
  const s3Secret = env.FS_OFFLINE_S3_SECRET_ACCESS_KEY ?? (local ? LOCAL_S3_CREDENTIALS.secretAccessKey : undefined);
  const offlineS3 = s3Endpoint && s3Key && s3Secret ? { endpoint: s3Endpoint, region: env.FS_OFFLINE_S3_REGION ?? "auto", accessKeyId: s3Key, secretAccessKey: s3Secret } : null;
  // Input objects (s3://bucket/prefix): their own endpoint if given, else the offline bucket's.
  const inputS3: S3Settings = env.FS_INPUT_S3_ENDPOINT
    ? { endpoint: env.FS_INPUT_S3_ENDPOINT, region: env.FS_INPUT_S3_REGION ?? "auto", accessKeyId: env.FS_INPUT_S3_ACCESS_KEY_ID, secretAccessKey: env.FS_INPUT_S3_SECRET_ACCESS_KEY }
    : { ...(offlineS3 ?? {}), region: offlineS3?.region ?? "auto" };
  return { endpoint, accessKeyId, secretAccessKey, offlineS3, inputS3 };
}
