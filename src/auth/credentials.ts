import { fail, ok, type Result } from "../failure";

/**
 * Credentials: an access key id and a secret. For now the only credential
 * is the root one from the worker's secrets.
 */
export interface Principal {
  accessKeyId: string;
  root: boolean;
  /** The region a SigV4 request was signed for; ARNs in responses use it. */
  region?: string;
}

export interface RootCredential {
  FS_ROOT_ACCESS_KEY_ID: string;
  FS_ROOT_SECRET_ACCESS_KEY: string;
}

const utf8 = new TextEncoder();

/** The expected secret's digest, computed once per isolate (the root secret does not change while it lives). */
let expectedDigest: { secret: string; digest: Promise<ArrayBuffer> } | undefined;

/**
 * Compares secrets in constant time. Digesting first gives equal lengths,
 * so neither the content nor the length of the expected secret leaks.
 */
async function secretsEqual(presented: string, expected: string): Promise<boolean> {
  if (expectedDigest?.secret !== expected) expectedDigest = { secret: expected, digest: crypto.subtle.digest("SHA-256", utf8.encode(expected)) };
  const [a, b] = await Promise.all([crypto.subtle.digest("SHA-256", utf8.encode(presented)), expectedDigest.digest]);
  return crypto.subtle.timingSafeEqual(a, b);
}

/** Checks an access key id and secret; the failure never repeats either. */
export async function verifySecret(root: RootCredential, accessKeyId: string, secret: string): Promise<Result<Principal>> {
  if (!root.FS_ROOT_ACCESS_KEY_ID || !root.FS_ROOT_SECRET_ACCESS_KEY) {
    return fail({ reason: "unavailable", detail: "the worker has no root credential configured (FS_ROOT_ACCESS_KEY_ID, FS_ROOT_SECRET_ACCESS_KEY)" });
  }
  const idMatches = accessKeyId === root.FS_ROOT_ACCESS_KEY_ID;
  const secretMatches = await secretsEqual(secret, root.FS_ROOT_SECRET_ACCESS_KEY);
  if (!idMatches || !secretMatches) return fail({ reason: "unauthenticated", detail: "the access key id or secret is not valid" });
  return ok({ accessKeyId, root: true });
}

/** Looks up a secret by access key id (for SigV4, which needs the secret itself). */
export function secretLookup(root: RootCredential): (accessKeyId: string) => Promise<string | null> {
  return async (accessKeyId) =>
    root.FS_ROOT_ACCESS_KEY_ID && accessKeyId === root.FS_ROOT_ACCESS_KEY_ID ? root.FS_ROOT_SECRET_ACCESS_KEY : null;
}
