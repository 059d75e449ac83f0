import { Hono } from "hono";
import { FailureError } from "../failure";
import type { AppEnv } from "./context";
import { requestContext } from "./middleware";
import { nativeApi } from "./native";
import { renderNativeFailure } from "./render";

/** The API worker's HTTP surface. */
export const app = new Hono<AppEnv>();

app.use("*", requestContext);
app.route("/v1", nativeApi);

app.notFound((c) => renderNativeFailure(c, { reason: "route_not_found", method: c.req.method, path: new URL(c.req.url).pathname }));

app.onError((error, c) => {
  if (error instanceof FailureError) return renderNativeFailure(c, error.failure);
  // Unexpected: log the shape of the failure, never request bodies or headers.
  console.error("unhandled error", { requestId: c.get("requestId"), method: c.req.method, path: new URL(c.req.url).pathname, error: error instanceof Error ? error.stack ?? error.message : String(error) });
  return c.json({ error: { code: "internal_error", message: "internal error; the request id identifies it in the logs", requestId: c.get("requestId") } }, 500);
});
