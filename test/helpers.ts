import { exports } from "cloudflare:workers";

/** Drives the worker's real fetch handler (Hono app, D1, Durable Objects) inside workerd. */

export const ROOT_AUTH = "Bearer AKTESTROOT:test-root-secret";
const ORIGIN = "http://feature-store.test";

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** Sends a request to a worker's fetch handler. */
export type WorkerFetch = (url: string, init: RequestInit) => Promise<Response>;

/** A request as the root key (or with the given authorization header), answered with its parsed JSON body. */
export type Api = <T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<ApiResponse<T>>;

/** The API through `fetch`: the worker's own export, or the app on a test clock (test/clock.ts). */
export function apiVia(fetch: WorkerFetch): Api {
  return async <T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> => {
    const init: RequestInit = { method, headers: { authorization: ROOT_AUTH, ...headers } };
    if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
    const res = await fetch(`${ORIGIN}${path}`, init);
    const text = await res.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, body: parsed as T, text };
  };
}

export const api: Api = apiVia((url, init) => exports.default.fetch(url, init));

let counter = 0;
/** Names unique within a test file (storage is isolated per file). */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

export interface GroupOptions {
  name?: string;
  features?: { name: string; type: string; collection?: unknown }[];
  ttl?: { unit: string; value: number };
  shardCount?: number;
  eventTimeType?: "String" | "Fractional";
  identifierType?: "String" | "Integral";
  offline?: boolean;
  online?: boolean;
}

/** Creates a feature group with an identifier `id`, an event time `ts` and the given features. */
export async function createGroup(options: GroupOptions = {}): Promise<string> {
  const name = options.name ?? uniqueName("fg");
  const res = await api("POST", "/v1/feature-groups", {
    name,
    recordIdentifierFeature: "id",
    eventTimeFeature: "ts",
    features: [
      { name: "id", type: options.identifierType ?? "String" },
      { name: "ts", type: options.eventTimeType ?? "String" },
      ...(options.features ?? [
        { name: "age", type: "Integral" },
        { name: "score", type: "Fractional" },
        { name: "city", type: "String" },
      ]),
    ],
    onlineStore: { enabled: options.online ?? true, ...(options.ttl ? { ttl: options.ttl } : {}) },
    offlineStore: { enabled: options.offline ?? false },
    ...(options.shardCount ? { shardCount: options.shardCount } : {}),
  });
  if (res.status !== 201) throw new Error(`createGroup failed: ${res.status} ${res.text}`);
  return name;
}

export function putRecord(group: string, record: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return api("PUT", `/v1/feature-groups/${encodeURIComponent(group)}/records`, { record, ...extra });
}

export function getRecord(group: string, id: string, query = "") {
  return api("GET", `/v1/feature-groups/${encodeURIComponent(group)}/records/${encodeURIComponent(id)}${query}`);
}

/** An ISO event time `seconds` after a fixed base, so tests control ordering. */
export function at(seconds: number): string {
  return new Date(Date.UTC(2026, 0, 1) + seconds * 1000).toISOString();
}
