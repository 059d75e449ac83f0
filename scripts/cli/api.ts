// The native API (/v1) over fetch with the bearer credential. Failures
// become CliErrors whose exit code follows the status; idempotent calls are
// retried on 429/5xx/network errors with a short backoff.
import { CliError, codeOf, EXIT, exitCodeOfStatus, messageOf } from "./errors";

const RETRIES = 3;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface RequestOptions {
  /** A body sent as JSON. */
  json?: unknown;
  body?: RequestInit["body"];
  contentType?: string;
  /** Retried on 429, 5xx and network errors; by default GET, PUT and DELETE are. */
  idempotent?: boolean;
}

export class Api {
  readonly endpoint: string;
  // Kept out of messages and logs: only the access key id is ever shown.
  readonly #authorization: string;

  constructor(config: { endpoint: string; accessKeyId: string; secretAccessKey: string }) {
    this.endpoint = config.endpoint;
    this.#authorization = `Bearer ${config.accessKeyId}:${config.secretAccessKey}`;
  }

  /**
   * The parsed JSON answer (null for an empty one). T is the shape the API
   * documents for the route (docs/api.md): the API is this project's own, so
   * its answers are taken as declared rather than parsed a second time here.
   * @param path below /v1
   */
  async request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const res = await this.response(method, path, options);
    if (res.status === 204) return null as T;
    const text = await res.text();
    return (text ? JSON.parse(text) : null) as T;
  }

  /** The successful Response itself, its body unread (a dataset streamed to a file). */
  async response(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { authorization: this.#authorization };
    let body = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers["content-type"] = "application/json";
    } else if (options.contentType) headers["content-type"] = options.contentType;
    const idempotent = options.idempotent ?? (method === "GET" || method === "PUT" || method === "DELETE");
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        // duplex: Node's fetch requires it for a streamed body (the DOM's RequestInit does not declare it).
        const init: RequestInit & { duplex?: "half" } = { method, headers, body, ...(body instanceof ReadableStream ? { duplex: "half" } : {}) };
        res = await fetch(`${this.endpoint}/v1${path}`, init);
      } catch (error) {
        if (idempotent && attempt < RETRIES) {
          await sleep(200 * attempt);
          continue;
        }
        const cause = error instanceof Error ? error.cause : undefined;
        throw new CliError(EXIT.UNAVAILABLE, `cannot reach ${this.endpoint} (${codeOf(cause) ?? messageOf(error)}); is the service running? (FS_ENDPOINT)`);
      }
      if ((res.status === 429 || res.status >= 500) && idempotent && attempt < RETRIES) {
        await res.body?.cancel();
        await sleep(250 * attempt);
        continue;
      }
      if (res.ok) return res;
      throw await apiError(method, path, res);
    }
  }
}

/** A CliError naming the call, the status, and the API's code and message (and a row report when there is one). */
async function apiError(method: string, path: string, res: Response): Promise<CliError> {
  const text = await res.text();
  let detail = text.slice(0, 500);
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(text);
    const error = typeof parsed === "object" && parsed !== null && "error" in parsed ? (parsed.error as { code?: string; message?: string } | null) : null;
    if (error) detail = `${error.code}: ${error.message}`;
  } catch {
    // not JSON: keep the text
  }
  const error = new CliError(exitCodeOfStatus(res.status), `${method} /v1${path} failed with ${res.status} ${detail}`);
  error.body = parsed;
  return error;
}

/** Path segment encoding for names and ids. */
export const seg = (value: string): string => encodeURIComponent(value);
