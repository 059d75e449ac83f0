import { createMiddleware } from "hono/factory";
import { admit, defaultRateLimit } from "../access";
import { clockOf } from "../clock";
import { isSigV4, parseBearer, principalOf, secretLookup, verifySecret, verifySigV4, type Principal } from "../auth";
import { orThrow, type Result } from "../failure";
import { MAX_SIGNED_BODY_BYTES } from "../records";
import { readBodyBytes } from "./body";
import { storeContext } from "../service";
import type { AppContext, AppEnv } from "./context";

/** Gives every request an id (echoed in x-request-id and in errors) and its clock. */
export const requestContext = createMiddleware<AppEnv>(async (c, next) => {
  const requestId = crypto.randomUUID();
  c.set("requestId", requestId);
  c.set("store", storeContext(c.env, clockOf(c.env)()));
  await next();
  c.header("x-request-id", requestId);
  c.header("x-amzn-RequestId", requestId);
});


async function authenticateRequest(c: AppContext): Promise<Result<Principal>> {
  if (isSigV4(c.req.raw.headers)) {
    // The raw URL keeps the client's percent-encoding, which the signature covers.
    const body = await readBodyBytes(c.req.raw.clone(), MAX_SIGNED_BODY_BYTES);
    if (!body.ok) return body;
    const now = c.get("store").now;
    const identity = await verifySigV4({ method: c.req.method, url: c.req.raw.url, headers: c.req.raw.headers, body: body.value }, secretLookup(c.env, now), now);
    return identity.ok ? principalOf(c.env, identity.value.accessKeyId, identity.value.region, now) : identity;
  }
  const bearer = parseBearer(c.req.header("authorization"));
  if (!bearer.ok) return bearer;
  return verifySecret(c.env, bearer.value.accessKeyId, bearer.value.secret, c.get("store").now);
}

/**
 * Authenticates a request by SigV4 (as the AWS SDKs sign) or a bearer
 * credential, then spends one request of the key's rate limit (the root key
 * has none); nothing runs before both succeed. Authorization follows per
 * route (src/http/authorize.ts).
 */
export const authenticate = createMiddleware<AppEnv>(async (c, next) => {
  const principal = orThrow(await authenticateRequest(c));
  c.set("principal", principal);
  if (!principal.root) orThrow(await admit(c.env, principal.accessKeyId, principal.rateLimit ?? defaultRateLimit(c.env), clockOf(c.env)));
  await next();
});
