import { DurableObject } from "cloudflare:workers";
import { clockOf, type ClockEnv } from "../clock";
import { fail, ok, type Result } from "../failure";
import type { RateLimit } from "./keys";

/**
 * Per-key rate limits: a token bucket per access key in a Durable Object
 * (one object per key, so the limit holds across every isolate and colo),
 * spent from short leases held by each isolate so the hot path does not
 * pay a round trip per request.
 *
 * An isolate asks the key's bucket for a lease of up to LEASE_MS worth of
 * tokens and spends it locally; tokens unspent LEASE_MS after the last
 * lease are dropped (never returned), so the total admitted never exceeds
 * what the bucket granted. The cost is under-admission by at most one pool
 * per isolate, which matters only for tiny limits, where leases are a
 * single token anyway.
 *
 * Workers Rate Limiting (`[[ratelimits]]`) was not chosen: its limits are
 * fixed per namespace in wrangler.toml (period 10 s or 60 s), not
 * configurable per key at runtime, and are approximate per location.
 */
export const LEASE_MS = 100;

/** A token bucket's state: tokens left (fractional while refilling) at a time. */
interface Bucket {
  tokens: number;
  updatedAt: number;
}

/** The bucket refilled up to `now`: a new bucket starts full, and tokens never exceed `burst`. */
export function refilled(bucket: Bucket | null, now: number, perSecond: number, burst: number): Bucket {
  if (bucket === null) return { tokens: burst, updatedAt: now };
  return { tokens: Math.min(burst, bucket.tokens + (Math.max(0, now - bucket.updatedAt) * perSecond) / 1000), updatedAt: now };
}

/** What an attempt on a bucket got: a token, or how long until the bucket holds one. */
export type Attempt = { admitted: true } | { admitted: false; retryAfterMs: number };

/**
 * The bucket. For API keys (`take`) state is in memory only: if the object
 * is evicted, the bucket starts full again, which only errs towards
 * admitting. Buckets used through `attempt` / `refund` (failed sign-ins)
 * are also saved in the object's SQLite: they see a few calls a minute, and
 * a guesser who pauses until the object is evicted must not find it full.
 */
export class RateLimiter extends DurableObject<ClockEnv> {
  #bucket: Bucket | null = null;
  #persisted = false;

  /** Takes up to `wanted` tokens from a bucket refilled at `perSecond` up to `burst`; returns how many it gave. */
  async take(wanted: number, perSecond: number, burst: number): Promise<number> {
    this.#bucket = refilled(this.#bucket, clockOf(this.env)(), perSecond, burst);
    const granted = Math.min(wanted, Math.floor(this.#bucket.tokens));
    this.#bucket.tokens -= granted;
    return granted;
  }

  /** Takes one token if there is one; otherwise takes nothing and says when one will be there. */
  async attempt(perSecond: number, burst: number): Promise<Attempt> {
    const bucket = refilled(this.#saved(), clockOf(this.env)(), perSecond, burst);
    const admitted = bucket.tokens >= 1;
    if (admitted) bucket.tokens -= 1;
    this.#save(bucket);
    return admitted ? { admitted } : { admitted, retryAfterMs: Math.ceil(((1 - bucket.tokens) * 1000) / perSecond) };
  }

  /** Gives back a token taken by `attempt` (the attempt turned out not to count), up to `burst`. */
  async refund(perSecond: number, burst: number): Promise<void> {
    const bucket = refilled(this.#saved(), clockOf(this.env)(), perSecond, burst);
    this.#save({ ...bucket, tokens: Math.min(burst, bucket.tokens + 1) });
  }

  /** The saved bucket, read once per object lifetime (the object is its only writer). */
  #saved(): Bucket | null {
    if (this.#persisted) return this.#bucket;
    const sql = this.ctx.storage.sql;
    sql.exec("CREATE TABLE IF NOT EXISTS bucket (id INTEGER PRIMARY KEY CHECK (id = 1), tokens REAL NOT NULL, updated_at INTEGER NOT NULL)");
    const row = sql.exec<{ tokens: number; updated_at: number }>("SELECT tokens, updated_at FROM bucket WHERE id = 1").toArray()[0];
    this.#bucket = row ? { tokens: row.tokens, updatedAt: row.updated_at } : null;
    this.#persisted = true;
    return this.#bucket;
  }

  #save(bucket: Bucket): void {
    this.#bucket = bucket;
    this.ctx.storage.sql.exec("INSERT INTO bucket (id, tokens, updated_at) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at", bucket.tokens, bucket.updatedAt);
  }
}

export interface RateLimitEnv {
  RATE_LIMITER: DurableObjectNamespace<RateLimiter>;
  /** Default limit for keys without their own: requests per second and burst (FS_RATE_LIMIT_RPS, FS_RATE_LIMIT_BURST). */
  FS_RATE_LIMIT_RPS?: string;
  FS_RATE_LIMIT_BURST?: string;
}

export const DEFAULT_RATE_PER_SECOND = 1_000;

/** The worker's default limit from env, with the built-in default when unset or malformed. */
export function defaultRateLimit(env: Pick<RateLimitEnv, "FS_RATE_LIMIT_RPS" | "FS_RATE_LIMIT_BURST">): RateLimit {
  const positive = (raw: string | undefined) => (raw !== undefined && /^\d+$/.test(raw) && Number(raw) >= 1 ? Number(raw) : undefined);
  const perSecond = positive(env.FS_RATE_LIMIT_RPS) ?? DEFAULT_RATE_PER_SECOND;
  return { perSecond, burst: positive(env.FS_RATE_LIMIT_BURST) ?? perSecond };
}

interface Lease {
  tokens: number;
  expiresAt: number;
}

const leases = new Map<string, Lease>();
/** Asks of each key's bucket this isolate is waiting on. */
const asking = new Map<string, number>();

function leaseSize(limit: RateLimit): number {
  return Math.max(1, Math.min(limit.burst, Math.floor((limit.perSecond * LEASE_MS) / 1000)));
}

function spend(accessKeyId: string, at: number): boolean {
  const lease = leases.get(accessKeyId);
  if (!lease || lease.tokens < 1 || at >= lease.expiresAt) return false;
  lease.tokens -= 1;
  return true;
}

/**
 * Spends one request of the key's limit; `throttled` when the bucket is empty.
 * Concurrent requests that find no tokens each ask the bucket (promises are
 * not shared across requests in Workers), but only the first asks for a
 * whole lease: the others ask for the one token each needs. A burst of N
 * requests arriving with no lease would otherwise take N leases, drain the
 * key's bucket for every other isolate and colo, and drop most of it unspent
 * when the leases expire. Grants add to the isolate's pool, so none is
 * wasted, and a request granted nothing still spends from what the others
 * brought back. Leases are timed by the wall clock when they arrive, not by
 * the request's start: requests of one isolate overlap, and an older start
 * would date a fresh lease back and drop it early.
 */
export async function admit(env: RateLimitEnv, accessKeyId: string, limit: RateLimit, clock: () => number = Date.now): Promise<Result<void>> {
  if (spend(accessKeyId, clock())) return ok(undefined);
  const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(accessKeyId));
  const inFlight = asking.get(accessKeyId) ?? 0;
  asking.set(accessKeyId, inFlight + 1);
  let granted: number;
  try {
    granted = await stub.take(inFlight === 0 ? leaseSize(limit) : 1, limit.perSecond, limit.burst);
  } finally {
    const left = (asking.get(accessKeyId) ?? 1) - 1;
    if (left > 0) asking.set(accessKeyId, left);
    else asking.delete(accessKeyId);
  }
  const at = clock();
  const current = leases.get(accessKeyId);
  const live = current !== undefined && at < current.expiresAt;
  leases.set(accessKeyId, { tokens: (live ? current.tokens : 0) + granted, expiresAt: at + LEASE_MS });
  if (spend(accessKeyId, at)) return ok(undefined);
  return fail({ reason: "throttled", detail: `access key ${accessKeyId} is over its limit of ${limit.perSecond} requests per second (burst ${limit.burst}); retry with backoff` });
}

/** A bucket by name (in the same RateLimiter namespace as the keys' buckets; names never look like an access key id) and its limit. */
export interface NamedBucket {
  name: string;
  limit: RateLimit;
}

/** What `reserve` got: either one token of every bucket, with a way to give them back, or how long until all would admit. */
export type Reservation = { ok: true; release: () => Promise<void> } | { ok: false; retryAfterMs: number };

/**
 * Takes one token from each bucket, exactly (a Durable Object call per
 * bucket, no isolate lease: these are for rare, costly attempts such as
 * sign-ins, where a lease would let each isolate add its own burst). All or
 * nothing: when a bucket is empty, the tokens taken from the others are
 * given back and the longest wait is reported. `release` gives every token
 * back, for an attempt that turned out not to count (a successful sign-in).
 */
export async function reserve(env: Pick<RateLimitEnv, "RATE_LIMITER">, buckets: readonly NamedBucket[]): Promise<Reservation> {
  const stubs = buckets.map((b) => ({ ...b, stub: env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(b.name)) }));
  const release = async (which: typeof stubs) => {
    await Promise.all(which.map((b) => b.stub.refund(b.limit.perSecond, b.limit.burst)));
  };
  const attempts = await Promise.all(stubs.map((b) => b.stub.attempt(b.limit.perSecond, b.limit.burst)));
  const refused = attempts.flatMap((a) => (a.admitted ? [] : [a.retryAfterMs]));
  if (refused.length === 0) return { ok: true, release: () => release(stubs) };
  await release(stubs.filter((_, i) => attempts[i]!.admitted));
  return { ok: false, retryAfterMs: Math.max(...refused) };
}
