import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createKey } from "../access/support";
import { setObjectClock, TestClock } from "../clock";
import { addressBucketOf, signInBuckets, SIGN_IN_ADDRESS_LIMIT, SIGN_IN_KEY_LIMIT } from "../../src/ui/sign-in-throttle";
import { Browser } from "./support";

/** Failed sign-ins are throttled per access key id and per client address; successful ones are not counted. */

/** An IPv6 address in a /64 no other test uses (files share one runtime, and with it the buckets). */
const v6 = () => `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}:${Math.floor(Math.random() * 0xffff).toString(16)}::1`;

async function failTimes(times: number, accessKeyId: string, address?: string): Promise<void> {
  for (let i = 0; i < times; i++) {
    const res = await new Browser(address).signIn(accessKeyId, "not-the-secret");
    expect(res.status).toBe(401);
  }
}

describe("sign-in throttling", () => {
  it("refuses the 6th failed sign-in of one key id with 429 and Retry-After, even with the right secret, while another key signs in", async () => {
    const [key, other] = await Promise.all([createKey({ name: "throttled" }), createKey({ name: "bystander" })]);
    await failTimes(SIGN_IN_KEY_LIMIT.burst, key.accessKeyId, v6());
    const refused = await new Browser(v6()).signIn(key.accessKeyId, "still-wrong");
    expect(refused.status).toBe(429);
    const wait = Number(refused.headers.get("retry-after"));
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(60);
    expect(refused.html).toContain("Too many failed sign-ins with this access key id or from your network.");
    expect(refused.headers.get("set-cookie")).toBeNull();
    // The right secret does not get through either until the bucket refills: a guess that happened to be right would otherwise be told so.
    const rightButThrottled = new Browser(v6());
    expect((await rightButThrottled.signIn(key.accessKeyId, key.secretAccessKey)).status).toBe(429);
    expect(rightButThrottled.cookie).toBeUndefined();
    // Another key, even from the same network, is not affected.
    const bystander = new Browser(v6());
    expect((await bystander.signIn(other.accessKeyId, other.secretAccessKey)).status).toBe(303);
    expect(bystander.cookie).toBeDefined();
  });

  it("answers an unknown key id exactly as a real one once throttled, so the refusal says nothing about which ids exist", async () => {
    const key = await createKey({ name: "real" });
    const unknown = `FSAK${crypto.randomUUID().replace(/-/g, "").slice(0, 16).toUpperCase()}`;
    await failTimes(SIGN_IN_KEY_LIMIT.burst, key.accessKeyId);
    await failTimes(SIGN_IN_KEY_LIMIT.burst, unknown);
    const [real, made] = await Promise.all([new Browser().signIn(key.accessKeyId, "x"), new Browser().signIn(unknown, "x")]);
    expect(made.status).toBe(429);
    expect(real.status).toBe(429);
    expect(made.html).toBe(real.html);
  });

  it("lets the throttled key sign in again once Retry-After has passed", async () => {
    const key = await createKey({ name: "waits" });
    await failTimes(SIGN_IN_KEY_LIMIT.burst, key.accessKeyId);
    const [bucket] = await signInBuckets(key.accessKeyId, undefined);
    const clock = new TestClock();
    await setObjectClock(env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(bucket!.name)), clock);
    const refused = await new Browser().signIn(key.accessKeyId, key.secretAccessKey);
    expect(refused.status).toBe(429);
    clock.advance(Number(refused.headers.get("retry-after")) * 1000);
    expect((await new Browser().signIn(key.accessKeyId, key.secretAccessKey)).status).toBe(303);
  });

  it("does not count successful sign-ins", async () => {
    const key = await createKey({ name: "busy" });
    const address = v6();
    for (let i = 0; i < SIGN_IN_KEY_LIMIT.burst + 2; i++) expect((await new Browser(address).signIn(key.accessKeyId, key.secretAccessKey)).status).toBe(303);
    // The failures allowed are all still there.
    await failTimes(SIGN_IN_KEY_LIMIT.burst, key.accessKeyId, address);
  });

  it("throttles one address trying many key ids, and only that address (IPv6 by its /64)", async () => {
    const key = await createKey({ name: "victim of a shared network" });
    const prefix = `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}:7`;
    for (let i = 0; i < SIGN_IN_ADDRESS_LIMIT.burst; i++) {
      const res = await new Browser(`${prefix}::${(i + 1).toString(16)}`).signIn(`FSAKGUESS${prefix}${i}`, "guess");
      expect(res.status).toBe(401);
    }
    const sameNetwork = await new Browser(`${prefix}:0:0:0:ffff`).signIn(key.accessKeyId, key.secretAccessKey);
    expect(sameNetwork.status).toBe(429);
    expect(Number(sameNetwork.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect((await new Browser(v6()).signIn(key.accessKeyId, key.secretAccessKey)).status).toBe(303);
  });

  it("buckets IPv4 addresses as they are, IPv6 addresses by their /64 and IPv4-mapped ones as IPv4", () => {
    expect(addressBucketOf("203.0.113.9")).toBe("203.0.113.9");
    expect(addressBucketOf("2001:DB8:0:1:aaaa::1")).toBe("2001:db8:0:1::/64");
    expect(addressBucketOf("2001:db8:0:1:bbbb:cccc:dddd:eeee")).toBe("2001:db8:0:1::/64");
    expect(addressBucketOf("2001:db8::")).toBe("2001:db8:0:0::/64");
    expect(addressBucketOf("::1")).toBe("0:0:0:0::/64");
    expect(addressBucketOf("::ffff:198.51.100.7")).toBe("198.51.100.7");
    expect(addressBucketOf("not an address")).toBe("not an address");
    expect(addressBucketOf("1:2:3")).toBe("1:2:3");
  });
});
