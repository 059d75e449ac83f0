import { createMiddleware } from "hono/factory";
import { FailureError } from "../failure";
import type { AppEnv } from "./context";
import { sageMakerApiOf } from "./sagemaker";

/**
 * CORS, denied by default: no Access-Control-* header is ever sent unless
 * the request's Origin is one of FS_CORS_ORIGINS (comma-separated exact
 * origins, e.g. "https://app.example.com,http://localhost:5173"). Browsers
 * then refuse cross-origin reads on their own.
 *
 * A preflight (OPTIONS with Origin and Access-Control-Request-Method) from
 * an allowed origin is answered here, before authentication, because
 * browsers never send credentials with it; from any other origin it gets a
 * 403 that names nothing configured. Wildcards are not supported on
 * purpose: every response may carry records, so each origin is named.
 */

/** How long a browser may cache a preflight answer, in seconds. */
export const CORS_MAX_AGE_SECONDS = 600;
const ALLOWED_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE";
/** Headers the SDKs and fetch callers send; a preflight may ask for no others. */
const ALLOWED_HEADERS = [
  "authorization",
  "content-type",
  "x-amz-date",
  "x-amz-content-sha256",
  "x-amz-target",
  "x-amz-user-agent",
  "x-amz-security-token",
  "amz-sdk-invocation-id",
  "amz-sdk-request",
];
/** Response headers scripts may read (request ids and the SDK error type). */
const EXPOSED_HEADERS = "x-request-id, x-amzn-RequestId, x-amzn-ErrorType";

/** The configured origins; blank items are ignored, so "" means none. */
export function corsOrigins(raw: string | undefined): ReadonlySet<string> {
  return new Set((raw ?? "").split(",").map((o) => o.trim()).filter((o) => o !== ""));
}

function isPreflight(request: Request): boolean {
  return request.method === "OPTIONS" && request.headers.has("origin") && request.headers.has("access-control-request-method");
}

export const cors = createMiddleware<AppEnv>(async (c, next) => {
  const origin = c.req.header("origin");
  const allowed = origin !== undefined && corsOrigins(c.env.FS_CORS_ORIGINS).has(origin);
  if (isPreflight(c.req.raw)) {
    if (!allowed) {
      // Rendered like any refusal of the addressed API; it names neither the configured origins nor whether any exist.
      const api = sageMakerApiOf(c.req.path);
      if (api) c.set("wire", { api });
      throw new FailureError({ reason: "access_denied", action: "cors:Preflight", resource: "this origin" });
    }
    return c.body(null, 204, {
      "access-control-allow-origin": origin,
      "access-control-allow-methods": ALLOWED_METHODS,
      "access-control-allow-headers": ALLOWED_HEADERS.join(", "),
      "access-control-max-age": String(CORS_MAX_AGE_SECONDS),
      vary: "Origin",
    });
  }
  await next();
  // The answer depends on Origin whenever CORS is configured at all, so caches must key on it.
  if (origin !== undefined) c.header("vary", "Origin", { append: true });
  if (allowed) {
    c.header("access-control-allow-origin", origin);
    c.header("access-control-expose-headers", EXPOSED_HEADERS);
  }
});
