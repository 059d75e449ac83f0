// One HTTP transport: bearer authentication, per-attempt timeouts, retries
// with exponential backoff and jitter, typed errors. The retry policy is the
// Python client's (clients/python/edge_feature_store/_http.py):
//
// - 429 `throttled` and 503 `unavailable` are always retried: the server
//   answers them before changing anything, so even a create or a put may go
//   again. A Retry-After header (seconds or an HTTP date) is honoured as the
//   least delay.
// - Connection failures, timeouts, 502 and 504 (from a proxy) are retried
//   only for requests that are safe to repeat (`idempotent`): reads, deletes,
//   batch gets, bulk ingest with its Idempotency-Key.
// - A delay is backoff × 2^(attempt−1) × (0.5 + random), at least
//   Retry-After, at most 30 s; maxRetries (default 5) retries, then the error.
//
// A body that is a ReadableStream can be sent only once, so its request is
// never retried. The credential goes in the Authorization header only; no
// error message or property carries it.
import { ConnectionError, errorFromResponse, RequestTimeoutError } from "./errors";

/** The fetch the client calls: the global one, or another (a service binding's, a test's). */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface TransportOptions {
  /** The store's origin, e.g. https://features.example.com (no /v1). */
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  fetch?: FetchLike;
  /** Per attempt, until the answer's headers (and, for JSON answers, its body) arrived. Default 300,000 (the Python client's 300 s). */
  timeoutMs?: number;
  /** Retries after the first attempt. Default 5. */
  maxRetries?: number;
  /** The first retry's mean delay. Default 500 ms. */
  backoffMs?: number;
  /** No delay is longer, Retry-After included. Default 30,000 ms. */
  maxBackoffMs?: number;
}

export type QueryValue = string | number | boolean | readonly (string | number)[] | undefined;

export interface SendOptions {
  query?: Readonly<Record<string, QueryValue>>;
  /** Sent as JSON (bigints as decimal strings). */
  json?: unknown;
  body?: RequestInit["body"];
  contentType?: string;
  headers?: Readonly<Record<string, string>>;
  /** May go again after the server may have seen it (see the header). Default: GET, HEAD, PUT and DELETE. */
  idempotent?: boolean;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export const DEFAULTS = { timeoutMs: 300_000, maxRetries: 5, backoffMs: 500, maxBackoffMs: 30_000 } as const;

const ALWAYS_RETRIED = new Set([429, 503]);
const RETRIED_WHEN_IDEMPOTENT = new Set([502, 504]);
const IDEMPOTENT_METHODS = new Set(["GET", "HEAD", "PUT", "DELETE"]);

/** JSON with bigints as decimal strings: the API's spelling of an Integral beyond ±(2^53−1). */
export const toJson = (value: unknown): string => JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v));

/** The query string of defined values; arrays are comma-joined, as the API's list parameters take them. */
export function queryString(query: Readonly<Record<string, QueryValue>> = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined) continue;
    params.set(name, Array.isArray(value) ? value.join(",") : String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** Retry-After in ms: delta-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, nowMs: number): number | undefined {
  if (!header) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** The delay before retry `attempt` (1-based): exponential, jittered, at least Retry-After, capped. */
export function backoffDelayMs(attempt: number, options: { backoffMs: number; maxBackoffMs: number }, retryAfter: number | undefined, random: number): number {
  const delay = options.backoffMs * 2 ** (attempt - 1) * (0.5 + random);
  return Math.min(Math.max(delay, retryAfter ?? 0), options.maxBackoffMs);
}

/** Waits ms, or rejects with the signal's reason when it aborts first. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** What one attempt ended with, when it did not end with an answer. */
type AttemptFailure = { kind: "timeout" } | { kind: "network"; error: unknown };

export class Transport {
  readonly endpoint: string;
  readonly #authorization: string;
  readonly #fetch: FetchLike;
  readonly #timeoutMs: number;
  readonly #maxRetries: number;
  readonly #backoff: { backoffMs: number; maxBackoffMs: number };

  constructor(options: TransportOptions) {
    this.endpoint = options.endpoint.replace(/\/+$/, "");
    this.#authorization = `Bearer ${options.accessKeyId}:${options.secretAccessKey}`;
    // Called unbound: Workers' global fetch throws "Illegal invocation" when called as a method of another object.
    const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
    this.#fetch = fetchImpl;
    this.#timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
    this.#maxRetries = options.maxRetries ?? DEFAULTS.maxRetries;
    this.#backoff = { backoffMs: options.backoffMs ?? DEFAULTS.backoffMs, maxBackoffMs: options.maxBackoffMs ?? DEFAULTS.maxBackoffMs };
  }

  /** A 2xx answer (its body unread, for streaming) or a typed error. `path` is below the endpoint, e.g. /v1/health. */
  async send(method: string, path: string, options: SendOptions = {}): Promise<Response> {
    return (await this.#exchange(method, path, options, false)).response;
  }

  /** The parsed JSON of a 2xx answer (null for an empty one), with the answer's status and headers. */
  async json<T>(method: string, path: string, options: SendOptions = {}): Promise<{ value: T; response: Response }> {
    const { response, text } = await this.#exchange(method, path, options, true);
    return { value: (text ? JSON.parse(text) : null) as T, response };
  }

  async #exchange(method: string, path: string, options: SendOptions, readBody: boolean): Promise<{ response: Response; text: string }> {
    const target = path + queryString(options.query);
    const headers: Record<string, string> = { ...options.headers, authorization: this.#authorization };
    let body = options.body;
    if (options.json !== undefined) {
      body = toJson(options.json);
      headers["content-type"] = "application/json";
    } else if (options.contentType) headers["content-type"] = options.contentType;
    const resendable = !(typeof ReadableStream !== "undefined" && body instanceof ReadableStream);
    const idempotent = resendable && (options.idempotent ?? IDEMPOTENT_METHODS.has(method));
    const init: RequestInit & { duplex?: "half" } = { method, headers, ...(body !== undefined && body !== null ? { body } : {}), ...(resendable ? {} : { duplex: "half" }) };
    const call = { method, path: target };
    for (let attempt = 1; ; attempt++) {
      const canRetry = attempt <= this.#maxRetries;
      const outcome = await this.#attempt(`${this.endpoint}${target}`, init, options, readBody);
      if ("failure" in outcome) {
        if (idempotent && canRetry) {
          await sleep(backoffDelayMs(attempt, this.#backoff, undefined, Math.random()), options.signal);
          continue;
        }
        const failure = outcome.failure;
        if (failure.kind === "timeout") throw new RequestTimeoutError(`${method} ${target}: no answer within ${options.timeoutMs ?? this.#timeoutMs} ms`, { code: "timeout", ...call });
        const reason = failure.error instanceof Error ? failure.error.message : String(failure.error);
        throw new ConnectionError(`${method} ${target}: cannot reach ${this.endpoint} (${reason})`, { code: "connection_error", ...call, cause: failure.error });
      }
      const { response, text } = outcome;
      if (response.ok) return { response, text: text ?? "" };
      const status = response.status;
      if (canRetry && resendable && (ALWAYS_RETRIED.has(status) || (idempotent && RETRIED_WHEN_IDEMPOTENT.has(status)))) {
        await sleep(backoffDelayMs(attempt, this.#backoff, retryAfterMs(response.headers.get("retry-after"), Date.now()), Math.random()), options.signal);
        continue;
      }
      throw errorFromResponse(status, text ?? "", response.headers.get("x-request-id"), call);
    }
  }

  /** One request under its own timeout; the caller's abort is rethrown as is (never retried). */
  async #attempt(url: string, init: RequestInit, options: SendOptions, readBody: boolean): Promise<{ response: Response; text: string | undefined } | { failure: AttemptFailure }> {
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), options.timeoutMs ?? this.#timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout.signal]) : timeout.signal;
    try {
      const response = await this.#fetch(url, { ...init, signal });
      // An error answer is read whole here, under the timeout; text undefined: the body is the caller's to stream.
      const text = readBody || !response.ok ? await response.text() : undefined;
      return { response, text };
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      return { failure: timeout.signal.aborted ? { kind: "timeout" } : { kind: "network", error } };
    } finally {
      clearTimeout(timer);
    }
  }
}
