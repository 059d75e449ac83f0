// The native API (/v1) over fetch with the bearer credential. Failures
// become CliErrors whose exit code follows the status; idempotent calls are
// retried on 429/5xx/network errors with a short backoff.
import { CliError, EXIT, exitCodeOfStatus } from "./errors.mjs";

const RETRIES = 3;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class Api {
  /** @param {{ endpoint: string, accessKeyId: string, secretAccessKey: string }} config */
  constructor(config) {
    this.endpoint = config.endpoint;
    // Kept out of messages and logs: only the access key id is ever shown.
    this.authorization = `Bearer ${config.accessKeyId}:${config.secretAccessKey}`;
  }

  /**
   * @param {string} method
   * @param {string} path below /v1
   * @param {{ json?: unknown, body?: BodyInit, contentType?: string, idempotent?: boolean, raw?: boolean }} [options]
   * @returns {Promise<any>} the parsed JSON body (or the Response when raw)
   */
  async request(method, path, options = {}) {
    const headers = { authorization: this.authorization };
    let body = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers["content-type"] = "application/json";
    } else if (options.contentType) headers["content-type"] = options.contentType;
    const idempotent = options.idempotent ?? (method === "GET" || method === "PUT" || method === "DELETE");
    for (let attempt = 1; ; attempt++) {
      let res;
      try {
        res = await fetch(`${this.endpoint}/v1${path}`, { method, headers, body, ...(body instanceof ReadableStream ? { duplex: "half" } : {}) });
      } catch (error) {
        if (idempotent && attempt < RETRIES) {
          await sleep(200 * attempt);
          continue;
        }
        throw new CliError(EXIT.UNAVAILABLE, `cannot reach ${this.endpoint} (${error.cause?.code ?? error.message}); is the service running? (FS_ENDPOINT)`);
      }
      if ((res.status === 429 || res.status >= 500) && idempotent && attempt < RETRIES) {
        await res.body?.cancel();
        await sleep(250 * attempt);
        continue;
      }
      if (res.ok) {
        if (options.raw) return res;
        if (res.status === 204) return null;
        const text = await res.text();
        return text ? JSON.parse(text) : null;
      }
      throw await apiError(method, path, res);
    }
  }
}

/** A CliError naming the call, the status, and the API's code and message (and a row report when there is one). */
async function apiError(method, path, res) {
  const text = await res.text();
  let detail = text.slice(0, 500);
  let parsed = null;
  try {
    parsed = JSON.parse(text);
    if (parsed?.error) detail = `${parsed.error.code}: ${parsed.error.message}`;
  } catch {
    // not JSON: keep the text
  }
  const error = new CliError(exitCodeOfStatus(res.status), `${method} /v1${path} failed with ${res.status} ${detail}`);
  error.body = parsed;
  return error;
}

/** Path segment encoding for names and ids. */
export const seg = (value) => encodeURIComponent(value);
