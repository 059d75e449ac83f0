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

/** The bucket: state in memory only. If the object is evicted, the bucket starts full again, which only errs towards admitting. */
export class RateLimiter extends DurableObject<ClockEnv> {
  #tokens = 0;
  #updatedAt = 0;
  #started = false;

  /** Takes up to `wanted` tokens from a bucket refilled at `perSecond` up to `burst`; returns how many it gave. */
  async take(wanted: number, perSecond: number, burst: number): Promise<number> {
    const now = clockOf(this.env)();
    if (!this.#started) {
      this.#tokens = burst;
      this.#started = true;
    } else {
      this.#tokens = Math.min(burst, this.#tokens + ((now - this.#updatedAt) * perSecond) / 1000);
    }
    this.#updatedAt = now;
    const granted = Math.min(wanted, Math.floor(this.#tokens));
    this.#tokens -= granted;
    return granted;
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
