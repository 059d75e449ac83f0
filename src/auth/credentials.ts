import { usableKey, type AccessEnv, type Policy, type RateLimit } from "../access";
import { fail, FailureError, ok, type Result } from "../failure";

/**
 * Credentials: an access key id and a secret. The root credential comes
 * from the worker's secrets and may do everything; other keys live in D1
 * (src/access/keys.ts) with a policy and a rate limit.
 */
export interface Principal {
  accessKeyId: string;
  root: boolean;
  /** The region a SigV4 request was signed for; ARNs in responses use it. */
  region?: string;
  /** For non-root keys: the inline policy (null allows nothing) and the key's own limit (null: the default). */
  policy?: Policy | null;
  rateLimit?: RateLimit | null;
}

export interface RootCredential {
  FS_ROOT_ACCESS_KEY_ID: string;
  FS_ROOT_SECRET_ACCESS_KEY: string;
}

export type CredentialEnv = RootCredential & AccessEnv;

const utf8 = new TextEncoder();

/** The root secret's digest, computed once per isolate (the root secret does not change while it lives). */
let rootDigest: { secret: string; digest: Promise<ArrayBuffer> } | undefined;

function digestOf(secret: string, root: boolean): Promise<ArrayBuffer> {
  if (!root) return crypto.subtle.digest("SHA-256", utf8.encode(secret));
  if (rootDigest?.secret !== secret) rootDigest = { secret, digest: crypto.subtle.digest("SHA-256", utf8.encode(secret)) };
  return rootDigest.digest;
}

/**
 * Compares secrets in constant time. Digesting first gives equal lengths,
 * so neither the content nor the length of the expected secret leaks.
 */
async function secretsEqual(presented: string, expected: string, root: boolean): Promise<boolean> {
  const [a, b] = await Promise.all([crypto.subtle.digest("SHA-256", utf8.encode(presented)), digestOf(expected, root)]);
  return crypto.subtle.timingSafeEqual(a, b);
}

// Compared against when the key is unknown, so both paths do the same work.
const UNKNOWN_KEY_SECRET = "unknown-access-key-placeholder";
const NOT_VALID = "the access key id or secret is not valid";

function rootConfigured(env: RootCredential): boolean {
  return Boolean(env.FS_ROOT_ACCESS_KEY_ID && env.FS_ROOT_SECRET_ACCESS_KEY);
}

/**
 * Checks an access key id and secret (root or a stored key); the failure
 * never repeats either and reads the same for an unknown, disabled or
 * expired key as for a wrong secret.
 */
export async function verifySecret(env: CredentialEnv, accessKeyId: string, secret: string, now: number): Promise<Result<Principal>> {
  if (!rootConfigured(env)) {
    return fail({ reason: "unavailable", detail: "the worker has no root credential configured (FS_ROOT_ACCESS_KEY_ID, FS_ROOT_SECRET_ACCESS_KEY)" });
  }
  if (accessKeyId === env.FS_ROOT_ACCESS_KEY_ID) {
    if (!(await secretsEqual(secret, env.FS_ROOT_SECRET_ACCESS_KEY, true))) return fail({ reason: "unauthenticated", detail: NOT_VALID });
    return ok({ accessKeyId, root: true });
  }
  const key = await usableKey(env, accessKeyId, now);
  if (!key.ok) return key;
  const matches = await secretsEqual(secret, key.value?.secret ?? UNKNOWN_KEY_SECRET, false);
  if (!key.value || !matches) return fail({ reason: "unauthenticated", detail: NOT_VALID });
  return ok({ accessKeyId, root: false, policy: key.value.policy, rateLimit: key.value.rateLimit });
}

/**
 * Looks up a secret by access key id (for SigV4, which needs the secret
 * itself): null for unknown, disabled and expired keys alike. `principalOf`
 * then gives the verified caller's policy from the same cached lookup.
 */
export function secretLookup(env: CredentialEnv, now: number): (accessKeyId: string) => Promise<string | null> {
  return async (accessKeyId) => {
    if (rootConfigured(env) && accessKeyId === env.FS_ROOT_ACCESS_KEY_ID) return env.FS_ROOT_SECRET_ACCESS_KEY;
    const key = await usableKey(env, accessKeyId, now);
    // The keyring or D1 is unavailable: say so, rather than pretend the key is unknown.
    if (!key.ok) throw new FailureError(key.failure);
    return key.value?.secret ?? null;
  };
}

/** The principal of a key whose signature verified (the lookup is cached, so this costs no second read). */
export async function principalOf(env: CredentialEnv, accessKeyId: string, region: string, now: number): Promise<Result<Principal>> {
  if (rootConfigured(env) && accessKeyId === env.FS_ROOT_ACCESS_KEY_ID) return ok({ accessKeyId, root: true, region });
  const key = await usableKey(env, accessKeyId, now);
  if (!key.ok) return key;
  if (!key.value) return fail({ reason: "unauthenticated", detail: NOT_VALID });
  return ok({ accessKeyId, root: false, region, policy: key.value.policy, rateLimit: key.value.rateLimit });
}
