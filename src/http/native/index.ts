import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../context";
import { authenticate } from "../middleware";
import { requireDeclaration } from "../authorize";
import { openApiDocument } from "../openapi";
import { RouteGroup, type DocumentedRoute } from "../route";
import { accessKeyRoutes, auditRoutes } from "./admin";
import { adminKeyRoutes } from "./admin-keys";
import { featureGroupRoutes } from "./feature-groups";
import { jobRoutes } from "./jobs";
import { bulkRoutes } from "./bulk";
import { datasetRoutes } from "./datasets";
import { offlineFileRoutes, offlineRoutes } from "./offline";
import { parityRoutes } from "./parity";
import { recordRoutes } from "./records";
import { tagRoutes } from "./tags";
import { timeTravelRoutes } from "./time-travel";
import { uploadRoutes } from "./uploads";
import { errorResponse, named } from "./schemas/common";

/**
 * The native JSON API, mounted at /v1. Every route authenticates, and every
 * route declares its action through RouteGroup.add (src/http/route.ts);
 * a route that does not is denied to every key but the root.
 */
export const nativeApi = new Hono<AppEnv>();
export const NATIVE_BASE = "/v1";

/** The API's own routes: liveness, and the document describing every route. */
const apiRoutes = new RouteGroup("/");

/** Mount order matters where paths overlap: the first match answers. */
const groups: readonly RouteGroup[] = [
  apiRoutes,
  accessKeyRoutes,
  auditRoutes,
  featureGroupRoutes,
  tagRoutes,
  adminKeyRoutes,
  offlineRoutes,
  datasetRoutes,
  uploadRoutes,
  timeTravelRoutes,
  bulkRoutes,
  jobRoutes,
  parityRoutes,
  offlineFileRoutes,
  recordRoutes,
];

/** Every native route with its full path, in mount order. */
export function nativeRoutes(): DocumentedRoute[] {
  return groups.flatMap((group) => group.documented(NATIVE_BASE));
}

let document: Record<string, unknown> | undefined;

apiRoutes.add(
  {
    method: "get",
    path: "/health",
    operationId: "health",
    summary: "Liveness, for any authenticated key",
    tag: "API",
    action: "authenticated",
    responses: [{ status: 200, description: "The API answers.", schema: named("Health", z.object({ status: z.literal("ok") })) }],
    example: {},
  },
  (c) => c.json({ status: "ok" }),
);

apiRoutes.add(
  {
    method: "get",
    path: "/openapi.json",
    operationId: "openApiDocument",
    summary: "This API's OpenAPI 3.1 document, generated from the routes' declarations",
    description: "Any authenticated key may read it, as /v1/health: it describes the API, not data a policy guards.",
    tag: "API",
    action: "authenticated",
    responses: [{ status: 200, description: "The document.", schema: named("OpenApiDocument", z.object({ openapi: z.string(), paths: z.record(z.string(), z.unknown()) })) }],
    example: {},
  },
  // Built once per isolate: the routes do not change while it runs.
  (c) => c.json((document ??= openApiDocument(nativeRoutes(), { title: "Edge Feature Store", version: "1", error: errorResponse }))),
);

nativeApi.use("*", authenticate);
nativeApi.use("*", requireDeclaration);
for (const group of groups) nativeApi.route(group.prefix, group.app);
