import { Hono } from "hono";
import type { AppEnv } from "../context";
import { authenticate } from "../middleware";
import { featureGroupRoutes } from "./feature-groups";
import { bulkRoutes } from "./bulk";
import { datasetRoutes } from "./datasets";
import { offlineRoutes } from "./offline";
import { recordRoutes } from "./records";
import { timeTravelRoutes } from "./time-travel";
import { uploadRoutes } from "./uploads";

/** The native JSON API, mounted at /v1. Every route authenticates. */
export const nativeApi = new Hono<AppEnv>();

nativeApi.use("*", authenticate);
nativeApi.get("/health", (c) => c.json({ status: "ok" }));
nativeApi.route("/feature-groups", featureGroupRoutes);
nativeApi.route("/offline", offlineRoutes);
nativeApi.route("/datasets", datasetRoutes);
nativeApi.route("/uploads", uploadRoutes);
nativeApi.route("/", timeTravelRoutes);
nativeApi.route("/", bulkRoutes);
nativeApi.route("/", recordRoutes);
