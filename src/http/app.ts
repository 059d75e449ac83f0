import { Hono } from "hono";
import { FailureError, type Failure } from "../failure";
import type { AppContext, AppEnv } from "./context";
import { cors } from "./cors";
import { NATIVE_ERROR_CODES, type NativeErrorCode } from "./error-codes";
import { requestContext } from "./middleware";
import { securityHeaders } from "./security-headers";
import { NATIVE_BASE, nativeApi } from "./native";
import { renderNativeFailure } from "./render";
import { renderSageMakerFailure, sageMakerApi } from "./sagemaker";
import { uiApp } from "../ui";

/** The API worker's HTTP surface. */
export const app = new Hono<AppEnv>();

app.use("*", requestContext);
app.use("*", securityHeaders);
// Before authentication: preflights carry no credentials.
app.use("*", cors);
app.route(NATIVE_BASE, nativeApi);
// The web catalog: pages for people, signed in with a session cookie (src/ui).
app.route("/ui", uiApp);
app.route("/", sageMakerApi);

/** Renders in the shape of the API the request addressed. */
function renderFailure(c: AppContext, failure: Failure): Response {
  const wire = c.get("wire");
  return wire ? renderSageMakerFailure(c, failure, wire.api, wire.operation) : renderNativeFailure(c, failure);
}

app.notFound((c) => renderFailure(c, { reason: "route_not_found", method: c.req.method, path: new URL(c.req.url).pathname }));

app.onError((error, c) => {
  if (error instanceof FailureError) return renderFailure(c, error.failure);
  // Unexpected: log the shape of the failure, never request bodies or headers.
  console.error("unhandled error", { requestId: c.get("requestId"), method: c.req.method, path: new URL(c.req.url).pathname, error: error instanceof Error ? error.stack ?? error.message : String(error) });
  const message = "internal error; the request id identifies it in the logs";
  if (c.get("wire")) {
    return c.json({ __type: "InternalFailure", Message: message }, 500, { "x-amzn-ErrorType": "InternalFailure", "x-amzn-RequestId": c.get("requestId") });
  }
  return c.json({ error: { code: "internal_error" satisfies NativeErrorCode, message, requestId: c.get("requestId") } }, NATIVE_ERROR_CODES.internal_error.status);
});
