import { exports } from "cloudflare:workers";
import { SignatureV4 } from "@smithy/signature-v4";
import { describe, expect, inject, it } from "vitest";
import { parseQuery, WebCryptoSha256 } from "../../src/auth/sigv4-canonical";
import { api, createGroup, putRecord, ROOT_AUTH } from "../helpers";
import { drainShards, settle } from "../offline/support";
import { hostileString } from "./hostile";
import { Prng } from "./prng";
import { ROUTES, shapeOf, type Fixture, type FuzzRequest, type FuzzRoute } from "./routes";
import { snapshotStores } from "./snapshot";

/**
 * Hostile requests across every route (./routes.ts), generated from one
 * seed. Asserted: no 5xx; every 4xx in the documented shape of the API the
 * path addresses; no mutating route accepts its (always broken) input; and
 * D1, every shard of the fixture groups, R2 and the queue's delivered state
 * are byte-for-byte what they were before. A failure prints the seed and the
 * requests; FUZZ_SEED and FUZZ_REQUESTS (environment) replay or scale a run.
 */

const SEED = Number(inject("fuzzSeed") || 20261125);
const REQUESTS = Number(inject("fuzzRequests") || 10_000);
/** Requests in flight at once: enough to interleave, few enough for 2 contended cores. */
const CONCURRENCY = 8;
const ORIGIN = "http://feature-store.test";
const KEY_ID = "AKTESTROOT";
const SECRET = "test-root-secret";

type AuthMode = "bearer" | "sigv4" | "none" | "malformed-bearer" | "wrong-secret" | "bogus-sigv4" | "expired-sigv4" | "replayed-sigv4" | "unknown-key-sigv4";
const AUTH_MODES: readonly [AuthMode, number][] = [
  ["bearer", 0.7],
  ["sigv4", 0.1],
  ["none", 0.03],
  ["malformed-bearer", 0.04],
  ["wrong-secret", 0.02],
  ["bogus-sigv4", 0.04],
  ["expired-sigv4", 0.025],
  ["replayed-sigv4", 0.025],
  ["unknown-key-sigv4", 0.02],
];

function authMode(r: Prng): AuthMode {
  let x = r.next();
  for (const [mode, weight] of AUTH_MODES) {
    if ((x -= weight) < 0) return mode;
  }
  return "bearer";
}

const MALFORMED_BEARERS = ["Bearer", "Bearer ", "Bearer :", `Bearer ${KEY_ID}`, `Bearer ${KEY_ID}:`, `Bearer :${SECRET}`, `bearer  ${KEY_ID}:${SECRET} extra`, `Basic ${btoa(`${KEY_ID}:${SECRET}`)}`, `Bearer ${"A".repeat(8000)}:${"s".repeat(8000)}`, "Bearer AKTESTROOT:test-root-secret:again"];
const BOGUS_SIGV4 = [
  "AWS4-HMAC-SHA256",
  "AWS4-HMAC-SHA256 ",
  "AWS4-HMAC-SHA256 Credential=, SignedHeaders=, Signature=",
  `AWS4-HMAC-SHA256 Credential=${KEY_ID}/20261125/us-east-1/sagemaker/aws4_request, SignedHeaders=host;x-amz-date, Signature=${"0".repeat(64)}`,
  `AWS4-HMAC-SHA256 Credential=${KEY_ID}/20261125/us-east-1/sagemaker/aws4_request, SignedHeaders=host, Signature=zz`,
  `AWS4-HMAC-SHA256 Credential=${KEY_ID}/2026/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=${"a".repeat(64)}`,
  `AWS4-HMAC-SHA256 Credential=${KEY_ID}/20261125/us-east-1/sagemaker/aws4_request, Credential=x, Signature=${"a".repeat(64)}`,
  `AWS4-HMAC-SHA256 Credential=${"/".repeat(500)}, SignedHeaders=${"a;".repeat(2000)}, Signature=${"a".repeat(64)}`,
];

function amzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

async function signed(req: FuzzRequest, options: { date: Date; keyId?: string; secret?: string }): Promise<Record<string, string>> {
  const url = new URL(`${ORIGIN}${req.path}`);
  const signer = new SignatureV4({
    service: "sagemaker",
    region: "us-east-1",
    credentials: { accessKeyId: options.keyId ?? KEY_ID, secretAccessKey: options.secret ?? SECRET },
    sha256: WebCryptoSha256,
    uriEscapePath: true,
    applyChecksum: false,
  });
  const request = await signer.sign(
    { method: req.method, protocol: url.protocol, hostname: url.hostname, path: url.pathname, query: parseQuery(url.search.slice(1)) ?? {}, headers: { host: url.host, ...req.headers }, body: req.body ?? "" },
    { signingDate: options.date },
  );
  const { host: _host, ...headers } = request.headers;
  return headers;
}

/** The request's credentials, good or bad, as headers. */
async function authHeaders(r: Prng, mode: AuthMode, req: FuzzRequest): Promise<Record<string, string>> {
  const now = new Date();
  try {
    switch (mode) {
      case "bearer":
        return { authorization: ROOT_AUTH };
      case "none":
        return {};
      case "malformed-bearer":
        return { authorization: r.pick(MALFORMED_BEARERS) };
      case "wrong-secret":
        return { authorization: `Bearer ${KEY_ID}:${hostileString(r).replace(/[^\x21-\x39\x3b-\x7e]/g, "").slice(0, 100) || "x"}` };
      case "bogus-sigv4":
        return { authorization: r.pick(BOGUS_SIGV4), "x-amz-date": r.pick([amzDate(now), "20261325T250000Z", "", "yesterday"]) };
      case "sigv4":
        return await signed(req, { date: now });
      case "expired-sigv4":
        return await signed(req, { date: new Date(now.getTime() - r.pick([16, 60, 60 * 24 * 30]) * 60_000) });
      case "unknown-key-sigv4":
        return await signed(req, { date: now, keyId: "AKUNKNOWN", secret: SECRET });
      case "replayed-sigv4":
        // A signature captured from another request, sent with this one.
        return await signed({ ...req, path: "/FeatureGroup/captured?RecordIdentifierValueAsString=1", body: '{"captured":true}' }, { date: now });
    }
  } catch {
    // The SDK signer refuses some hostile paths; such a request goes unsigned.
    return {};
  }
}

const WRONG_CONTENT_TYPES = ["text/plain", "application/xml", "", "application/json; charset=utf-16", "multipart/form-data", "application/x-www-form-urlencoded", "application/x-ndjson", "text/csv"];
let oversized: string | undefined;

/** Byte sequences no UTF-8 decoder may accept: overlong "/" and ".", an encoded surrogate, a stray continuation, a truncated sequence. */
const INVALID_UTF8: readonly number[][] = [[0xc0, 0xaf], [0xe0, 0x80, 0xae], [0xed, 0xa0, 0x80], [0x80], [0xf0, 0x9f], [0xff], [0xfe, 0xff]];

/** The body's UTF-8 with an invalid sequence spliced in at a random point. */
function withInvalidUtf8(r: Prng, text: string): Uint8Array {
  const bytes = new TextEncoder().encode(text);
  const at = r.int(0, bytes.length);
  const bad = r.pick(INVALID_UTF8);
  const out = new Uint8Array(bytes.length + bad.length);
  out.set(bytes.subarray(0, at));
  out.set(bad, at);
  out.set(bytes.subarray(at), at + bad.length);
  return out;
}

interface Outcome {
  index: number;
  route: string;
  auth: AuthMode;
  request: FuzzRequest;
  status: number;
  problems: string[];
  response: string;
  ms: number;
}

function shapeProblems(req: FuzzRequest, res: Response, text: string): string[] {
  if (req.method === "HEAD") return [];
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return [`4xx body is not JSON`];
  }
  const requestId = res.headers.get("x-request-id");
  if (shapeOf(req.path) === "native") {
    const error = (body as { error?: Record<string, unknown> }).error;
    if (!error || typeof error.code !== "string" || typeof error.message !== "string") return ["native 4xx without {error:{code,message}}"];
    if (error.requestId !== requestId) return ["native 4xx whose requestId differs from x-request-id"];
    return [];
  }
  const type = res.headers.get("x-amzn-ErrorType");
  const wire = body as { __type?: unknown; Message?: unknown };
  if (!type) return ["SageMaker 4xx without x-amzn-ErrorType"];
  if (wire.__type !== type || typeof wire.Message !== "string") return ["SageMaker 4xx without {__type, Message} matching x-amzn-ErrorType"];
  return [];
}

async function fire(index: number, r: Prng, route: FuzzRoute, fx: Fixture): Promise<Outcome> {
  const req = route.build(r, fx);
  if (req.body !== undefined && r.chance(0.003)) req.body = oversized ??= `{"record":"${"o".repeat(5 * 1024 * 1024)}"}`;
  if (typeof req.body === "string" && r.chance(0.04)) req.body = withInvalidUtf8(r, req.body);
  if (req.body !== undefined && r.chance(0.08)) req.headers = { ...req.headers, "content-type": r.pick(WRONG_CONTENT_TYPES) };
  if (r.chance(0.03)) req.headers = { ...req.headers, origin: r.pick(["https://evil.test", "null", hostileString(r).replace(/[^\x20-\x7e]/g, "").slice(0, 50) || "x"]) };
  const auth = authMode(r);
  const started = Date.now();
  const headers = { ...req.headers, ...(await authHeaders(r, auth, req)) };
  const problems: string[] = [];
  let status = 0;
  let text = "";
  try {
    const res = await exports.default.fetch(`${ORIGIN}${req.path}`, { method: req.method, headers, ...(req.body !== undefined && req.method !== "GET" && req.method !== "HEAD" ? { body: req.body } : {}) });
    status = res.status;
    text = await res.text();
    if (status >= 500) problems.push(`answered ${status}`);
    if (!res.headers.get("x-request-id")) problems.push("no x-request-id");
    if (res.headers.get("x-content-type-options") !== "nosniff") problems.push("no x-content-type-options: nosniff");
    if (status >= 200 && status < 300 && route.mutating && !route.partial) problems.push("a mutating route accepted broken input");
    if (status >= 400 && status < 500) problems.push(...shapeProblems(req, res, text));
  } catch (error) {
    problems.push(`fetch threw ${String(error)}`);
  }
  return { index, route: route.name, auth, request: req, status, problems, response: text.slice(0, 300), ms: Date.now() - started };
}

function describeOutcome(o: Outcome): string {
  const text = typeof o.request.body === "string" ? o.request.body : o.request.body === undefined ? "" : new TextDecoder().decode(o.request.body);
  const body = o.request.body === undefined ? "" : ` body(${typeof o.request.body === "string" ? "text" : "bytes"}, ${text.length})=${JSON.stringify(text.slice(0, 200))}`;
  return `#${o.index} [${o.route}, auth=${o.auth}] ${o.request.method} ${o.request.path.slice(0, 300)} headers=${JSON.stringify(o.request.headers ?? {})}${body}\n  → ${o.status} ${o.problems.join("; ")}: ${o.response}`;
}

async function setUpFixture(): Promise<{ fx: Fixture; groups: { generation: string; shardCount: number }[] }> {
  const online = await createGroup({ name: "fuzz-online", shardCount: 2, features: [{ name: "age", type: "Integral" }, { name: "score", type: "Fractional" }, { name: "city", type: "String" }, { name: "tags", type: "String", collection: { type: "List" } }] });
  const offline = await createGroup({ name: "fuzz-offline", shardCount: 1, offline: true });
  const ids = ["u1", "ü-2", "3", "שלום"];
  for (const [i, id] of ids.entries()) {
    for (const group of [online, offline]) {
      const res = await putRecord(group, { id, ts: `2026-0${i + 1}-01T00:00:00Z`, age: i, city: `c${i}`, ...(group === online ? { tags: ["a", "b"] } : {}) });
      if (res.status !== 200) throw new Error(`fixture put: ${res.status} ${res.text}`);
    }
  }
  const numeric = await createGroup({ name: "fuzz-numeric", shardCount: 2, offline: true, identifierType: "Integral", eventTimeType: "Fractional", features: [{ name: "age", type: "Integral" }, { name: "embedding", type: "Fractional", collection: { type: "Vector", dimension: 2 } }] });
  for (const [i, id] of [7, 9007199254740993n, -3].entries()) {
    const res = await api("PUT", `/v1/feature-groups/${numeric}/records`, `{"record":{"id":${typeof id === "bigint" ? `"${id}"` : id},"ts":${1767225600 + i},"age":${i},"embedding":[0.5,-1]}}`);
    if (res.status !== 200) throw new Error(`fixture put: ${res.status} ${res.text}`);
  }
  await drainShards(online);
  await settle(offline, ids.length);
  await settle(numeric, 3);
  const groups = [];
  for (const name of [online, offline, numeric]) {
    const { generation, shardCount } = (await api("GET", `/v1/feature-groups/${name}`)).body as { generation: string; shardCount: number };
    groups.push({ generation, shardCount });
  }
  return { fx: { online, offline, numeric, ids, features: ["id", "ts", "age", "score", "city", "tags"], accountId: "000000000000" }, groups };
}

describe("hostile requests", () => {
  it(`never answer 5xx, always answer 4xx in the documented shape, and change nothing (seed ${SEED}, ${REQUESTS} requests)`, async () => {
    const { fx, groups } = await setUpFixture();
    const before = await snapshotStores(groups);
    const r = new Prng(SEED);
    const started = Date.now();
    const failures: Outcome[] = [];
    const statuses = new Map<number, number>();
    const routeMs = new Map<string, number>();
    for (let i = 0; i < REQUESTS; i += CONCURRENCY) {
      // Requests are generated in order before any is sent, so the seed alone fixes them.
      const batch: Promise<Outcome>[] = [];
      for (let j = i; j < Math.min(i + CONCURRENCY, REQUESTS); j++) batch.push(fire(j, r, r.pick(ROUTES), fx));
      for (const outcome of await Promise.all(batch)) {
        statuses.set(outcome.status, (statuses.get(outcome.status) ?? 0) + 1);
        routeMs.set(outcome.route, (routeMs.get(outcome.route) ?? 0) + outcome.ms);
        if (outcome.problems.length) failures.push(outcome);
      }
    }
    const durationMs = Date.now() - started;
    // Anything queued by mistake would be delivered within the 1 s batch timeout (vitest.config.ts).
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const after = await snapshotStores(groups);
    console.log(`fuzz: seed ${SEED}, ${REQUESTS} requests over ${ROUTES.length} routes in ${durationMs} ms; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}; ${failures.length} failing`);
    console.log(`fuzz: slowest routes (summed ms in flight) ${JSON.stringify([...routeMs].sort(([, a], [, b]) => b - a).slice(0, 6))}`);
    if (failures.length) console.log(`fuzz failures (seed ${SEED}):\n${failures.slice(0, 20).map(describeOutcome).join("\n")}`);
    expect(failures.map((f) => `#${f.index} ${f.route}: ${f.problems.join("; ")}`), `seed ${SEED}; first failing request:\n${failures[0] ? describeOutcome(failures[0]) : ""}`).toEqual([]);
    expect(after, `seed ${SEED}: the stores changed`).toEqual(before);
  }, 240_000);
});
