import { reserve, type NamedBucket, type RateLimitEnv, type Reservation } from "../access";

/**
 * Throttling of failed sign-ins to the web catalog: a token bucket per
 * access key id tried and one per client address (the same RateLimiter
 * Durable Objects and bucket arithmetic as API rate limits). A sign-in
 * takes a token from both before its secret is checked, so concurrent
 * guesses cannot slip past together; a successful one gives them back, so
 * only failures count.
 *
 * The key id's bucket exists whether or not the key does, so a refusal
 * says nothing about which ids are real. Limits are per id and per
 * address, never global: a guesser can slow the sign-in of the key ids it
 * tries, never everyone's.
 */

/** Per access key id tried: 5 failures, then one more a minute. */
export const SIGN_IN_KEY_LIMIT = { perSecond: 1 / 60, burst: 5 } as const;
/** Per client address (an IPv6 /64): 20 failures, then one more every 15 s; higher than per key, as many people can share one address. */
export const SIGN_IN_ADDRESS_LIMIT = { perSecond: 1 / 15, burst: 20 } as const;
/** Addresses longer than this are no address; their bucket name is cut here. */
const MAX_ADDRESS_CHARS = 64;

const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const HEXTET = /^[0-9a-f]{1,4}$/;

/**
 * The part of a client address one person controls: an IPv4 address as it
 * is, an IPv6 address as its /64 (a single subscriber usually gets a whole
 * /64, so per-address limits on full IPv6 addresses would not hold), an
 * IPv4-mapped IPv6 address as its IPv4 address.
 */
export function addressBucketOf(raw: string): string {
  const text = raw.trim().toLowerCase().slice(0, MAX_ADDRESS_CHARS);
  if (IPV4.test(text)) return text;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  if (mapped) return mapped[1]!;
  const halves = text.split("::");
  if (!text.includes(":") || halves.length > 2) return text;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || (halves.length === 2 && missing < 1)) return text;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  if (!groups.every((g) => HEXTET.test(g))) return text;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}

async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The buckets a sign-in draws on. The key id is hashed: it is whatever the
 * form held (any length), and a bucket name with a prefix and a digest
 * never collides with an access key's own bucket. Without an address
 * (a local stack; Cloudflare always sets CF-Connecting-IP) only the key's.
 */
export async function signInBuckets(accessKeyId: string, clientAddress: string | undefined): Promise<NamedBucket[]> {
  const buckets: NamedBucket[] = [{ name: `ui-sign-in:key:${await sha256Hex(accessKeyId)}`, limit: SIGN_IN_KEY_LIMIT }];
  if (clientAddress) buckets.push({ name: `ui-sign-in:address:${addressBucketOf(clientAddress)}`, limit: SIGN_IN_ADDRESS_LIMIT });
  return buckets;
}

/** Reserves a sign-in attempt for this key id from this address. */
export async function reserveSignIn(env: Pick<RateLimitEnv, "RATE_LIMITER">, accessKeyId: string, clientAddress: string | undefined): Promise<Reservation> {
  return reserve(env, await signInBuckets(accessKeyId, clientAddress));
}
