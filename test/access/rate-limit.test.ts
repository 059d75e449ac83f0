import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { apiOnClock, setObjectClock, TestClock } from "../clock";
import { api, type ApiResponse } from "../helpers";
import { allowAll, as, createKey, type IssuedKey } from "./support";

/**
 * Requests as the key with the worker and the key's bucket on one test clock,
 * which stands still unless moved: a refill happens when the test says, not
 * when a slow machine lets time pass between two requests.
 */
async function onClock(key: IssuedKey, clock: TestClock): Promise<(method: string, path: string) => Promise<ApiResponse>> {
  await setObjectClock(env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(key.accessKeyId)), clock);
  const onClockApi = apiOnClock(clock);
  return (method, path) => onClockApi(method, path, undefined, { authorization: key.auth });
}

describe("per-key rate limits", () => {
  it("throttles a key over its limit with 429 and leaves other keys alone", async () => {
    const clock = new TestClock();
    const tiny = await createKey({ policy: allowAll, rateLimit: { perSecond: 1, burst: 2 } });
    const other = await createKey({ policy: allowAll, rateLimit: { perSecond: 1, burst: 2 } });
    const asTiny = await onClock(tiny, clock);
    const asOther = await onClock(other, clock);
    expect((await asTiny("GET", "/v1/health")).status).toBe(200);
    expect((await asTiny("GET", "/v1/health")).status).toBe(200);
    const throttled = await asTiny("GET", "/v1/health");
    expect(throttled.status).toBe(429);
    expect(throttled.body.error.code).toBe("throttled");
    expect(throttled.text).not.toContain(tiny.secretAccessKey);
    expect((await asOther("GET", "/v1/health")).status).toBe(200);
    expect((await api("GET", "/v1/health")).status).toBe(200);
  });

  it("admits concurrent requests within the burst, even when they all start with no lease", async () => {
    const key = await createKey({ policy: allowAll, rateLimit: { perSecond: 1000, burst: 1000 } });
    const statuses = await Promise.all(Array.from({ length: 50 }, () => as(key, "GET", "/v1/health").then((r) => r.status)));
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  });

  it("takes one lease for a burst that starts with none, leaving the rest of the limit to the key's other isolates", async () => {
    // A limit of 100,000/s: a lease is 10,000 tokens (100 ms worth). 100 requests at once used to take one lease each.
    const clock = new TestClock();
    const key = await createKey({ policy: allowAll, rateLimit: { perSecond: 100_000, burst: 100_000 } });
    const asKey = await onClock(key, clock);
    const statuses = await Promise.all(Array.from({ length: 100 }, () => asKey("GET", "/v1/health").then((r) => r.status)));
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    const bucket = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(key.accessKeyId));
    const left = await bucket.take(100_000, 100_000, 100_000);
    expect(left).toBeGreaterThanOrEqual(100_000 - 10_000 - 99);
  });

  it("refills at the key's rate", async () => {
    const clock = new TestClock();
    const key = await createKey({ policy: allowAll, rateLimit: { perSecond: 20, burst: 1 } });
    const asKey = await onClock(key, clock);
    expect((await asKey("GET", "/v1/health")).status).toBe(200);
    expect((await asKey("GET", "/v1/health")).status).toBe(429);
    clock.advance(120);
    expect((await asKey("GET", "/v1/health")).status).toBe(200);
  });

  it("answers SageMaker runtime calls over the limit with ThrottlingException", async () => {
    const key = await createKey({ policy: allowAll, rateLimit: { perSecond: 1, burst: 1 } });
    const asKey = await onClock(key, new TestClock());
    await asKey("GET", "/FeatureGroup/none?RecordIdentifierValueAsString=a");
    const res = await asKey("GET", "/FeatureGroup/none?RecordIdentifierValueAsString=a");
    expect(res.status).toBe(429);
    expect(res.body.__type).toBe("ThrottlingException");
  });
});
