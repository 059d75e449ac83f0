import { createMiddleware } from "hono/factory";
import { parseBearer, verifySecret } from "../auth";
import { FailureError } from "../failure";
import { storeContext } from "../service";
import type { AppEnv } from "./context";

/** Gives every request an id (echoed in x-request-id and in errors) and its clock. */
export const requestContext = createMiddleware<AppEnv>(async (c, next) => {
  const requestId = crypto.randomUUID();
  c.set("requestId", requestId);
  c.set("store", storeContext(c.env, Date.now()));
  await next();
  c.header("x-request-id", requestId);
});

/** Authenticates every native route; nothing runs before it succeeds. */
export const authenticateBearer = createMiddleware<AppEnv>(async (c, next) => {
  const bearer = parseBearer(c.req.header("authorization"));
  if (!bearer.ok) throw new FailureError(bearer.failure);
  const principal = await verifySecret(c.env, bearer.value.accessKeyId, bearer.value.secret);
  if (!principal.ok) throw new FailureError(principal.failure);
  c.set("principal", principal.value);
  await next();
});
