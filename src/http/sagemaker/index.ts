import { Hono } from "hono";
import type { AppEnv } from "../context";
import { authenticate } from "../middleware";
import { requireDeclaration } from "../authorize";
import { controlApi } from "./control";
import { runtimeApi } from "./runtime";

/** Which SageMaker API a path addresses, or null for the native API's /v1 paths. */
export function sageMakerApiOf(path: string): "control" | "runtime" | null {
  if (path === "/v1" || path.startsWith("/v1/")) return null;
  return path === "/" ? "control" : "runtime";
}

/** The SageMaker-compatible API at the worker's origin, signed with SigV4 as the AWS SDKs do. */
export const sageMakerApi = new Hono<AppEnv>();

// Decided before authentication, so even a bad signature is answered in the
// shape the SDK parses: the control plane is POST /, the runtime the rest.
// Paths under /v1 belong to the native API, which authenticates them itself.
sageMakerApi.use("*", async (c, next) => {
  const api = sageMakerApiOf(c.req.path);
  if (!api) return next();
  c.set("wire", { api });
  return authenticate(c, async () => {
    await requireDeclaration(c, next);
  });
});
sageMakerApi.route("/", runtimeApi);
sageMakerApi.route("/", controlApi);

export { renderSageMakerFailure } from "./errors";
