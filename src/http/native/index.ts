import { Hono } from "hono";
import type { AppEnv } from "../context";
import { authenticate } from "../middleware";
import { authenticatedOnly, requireDeclaration } from "../authorize";
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

/**
 * The native JSON API, mounted at /v1. Every route authenticates, and every
 * route declares its action with authorize() (src/http/authorize.ts); one
 * that does not is denied to every key but the root.
 */
export const nativeApi = new Hono<AppEnv>();

nativeApi.use("*", authenticate);
nativeApi.use("*", requireDeclaration);
nativeApi.get("/health", authenticatedOnly(), (c) => c.json({ status: "ok" }));
nativeApi.route("/admin/access-keys", accessKeyRoutes);
nativeApi.route("/admin/audit", auditRoutes);
nativeApi.route("/feature-groups", featureGroupRoutes);
nativeApi.route("/feature-groups", tagRoutes);
nativeApi.route("/admin", adminKeyRoutes);
nativeApi.route("/offline", offlineRoutes);
nativeApi.route("/datasets", datasetRoutes);
nativeApi.route("/uploads", uploadRoutes);
nativeApi.route("/", timeTravelRoutes);
nativeApi.route("/", bulkRoutes);
nativeApi.route("/", jobRoutes);
nativeApi.route("/", parityRoutes);
nativeApi.route("/", offlineFileRoutes);
nativeApi.route("/", recordRoutes);
