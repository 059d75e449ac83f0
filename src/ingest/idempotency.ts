import { invalid, ok, type Result } from "../failure";
import { sha256Hex } from "../offline/layout";

/**
 * The identity of a bulk request's offline rows, so a client retry never
 * writes them twice. With an `Idempotency-Key` header the key is the
 * identity (the client promises a retry carries the same rows); without one
 * it is the content: the canonical rows in input order, so resending the
 * same body is recognised while any other body is new.
 */
export const IDEMPOTENCY_KEY_HEADER = "idempotency-key";
export const MAX_IDEMPOTENCY_KEY_CHARS = 255;
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;

/** Parses the optional header value; undefined when absent. */
export function parseIdempotencyKey(raw: string | null | undefined): Result<string | undefined> {
  if (raw === null || raw === undefined) return ok(undefined);
  if (raw.length === 0 || raw.length > MAX_IDEMPOTENCY_KEY_CHARS || !PRINTABLE_ASCII.test(raw)) {
    return invalid("Idempotency-Key", `must be 1-${MAX_IDEMPOTENCY_KEY_CHARS} printable ASCII characters without spaces`);
  }
  return ok(raw);
}

/** A 32-hex-digit digest naming the request's offline batches. */
export async function offlineKeyDigest(key: string | undefined, canonicalBodies: readonly string[]): Promise<string> {
  const identity = key !== undefined ? `key\n${key}` : `content\n${canonicalBodies.join("\n")}`;
  return (await sha256Hex(identity)).slice(0, 32);
}
