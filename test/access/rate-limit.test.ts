import { describe, expect, it } from "vitest";
import { api } from "../helpers";
import { allowAll, as, createKey } from "./support";

describe("per-key rate limits", () => {
  it("throttles a key over its limit with 429 and leaves other keys alone", async () => {
    const tiny = await createKey({ policy: allowAll, rateLimit: { perSecond: 1, burst: 2 } });
    const other = await createKey({ policy: allowAll, rateLimit: { perSecond: 1, burst: 2 } });
    expect((await as(tiny, "GET", "/v1/health")).status).toBe(200);
    expect((await as(tiny, "GET", "/v1/health")).status).toBe(200);
    const throttled = await as(tiny, "GET", "/v1/health");
    expect(throttled.status).toBe(429);
    expect(throttled.body.error.code).toBe("throttled");
    expect(throttled.text).not.toContain(tiny.secretAccessKey);
    expect((await as(other, "GET", "/v1/health")).status).toBe(200);
    expect((await api("GET", "/v1/health")).status).toBe(200);
  });

  it("admits concurrent requests within the burst, even when they all start with no lease", async () => {
    const key = await createKey({ policy: allowAll, rateLimit: { perSecond: 1000, burst: 1000 } });
    const statuses = await Promise.all(Array.from({ length: 50 }, () => as(key, "GET", "/v1/health").then((r) => r.status)));
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  });

  it("refills at the key's rate", async () => {
    const key = await createKey({ policy: allowAll, rateLimit: { perSecond: 20, burst: 1 } });
    expect((await as(key, "GET", "/v1/health")).status).toBe(200);
    expect((await as(key, "GET", "/v1/health")).status).toBe(429);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect((await as(key, "GET", "/v1/health")).status).toBe(200);
  });

  it("answers SageMaker runtime calls over the limit with ThrottlingException", async () => {
    const key = await createKey({ policy: allowAll, rateLimit: { perSecond: 1, burst: 1 } });
    await as(key, "GET", "/FeatureGroup/none?RecordIdentifierValueAsString=a");
    const res = await as(key, "GET", "/FeatureGroup/none?RecordIdentifierValueAsString=a");
    expect(res.status).toBe(429);
    expect(res.body.__type).toBe("ThrottlingException");
  });
});
