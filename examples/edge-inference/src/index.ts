import type { FeatureStore } from "../../../src/rpc";
import { churnProbability, MODEL, MODEL_FEATURES } from "./model";

/**
 * Edge inference: answers `POST /score {"userId": "u1"}` with the user's
 * churn probability. The features come from the feature store through its
 * Workers RPC binding (no HTTP, no credentials in code: the binding acts as
 * the access key its props name, see wrangler.toml), read from the colo
 * cache when a copy is at most MAX_STALENESS_MS old.
 */
export interface Env {
  FEATURE_STORE: Service<FeatureStore>;
}

/** How stale the features of one score may be: a second old is fresh enough for this model. */
const MAX_STALENESS_MS = 1_000;

const json = (body: unknown, status = 200) => Response.json(body, { status });

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (request.method !== "POST" || url.pathname !== "/score") return json({ error: "POST /score {\"userId\": \"…\"}" }, 404);
    const body: unknown = await request.json().catch(() => null);
    const userId = typeof body === "object" && body !== null ? (body as { userId?: unknown }).userId : undefined;
    if (typeof userId !== "string" || userId === "") return json({ error: "userId must be a non-empty string" }, 400);

    const read = await env.FEATURE_STORE.getRecord({ featureGroup: MODEL.featureGroup, recordIdentifier: userId, features: MODEL_FEATURES, maxStalenessMs: MAX_STALENESS_MS });
    if (!read.ok) {
      // Failures are data with the store's own code and status; pass the ones the client can act on.
      const status = read.error.code === "record_not_found" ? 404 : read.error.status >= 500 ? 502 : read.error.status;
      return json({ error: read.error.code, message: read.error.message, requestId: read.error.requestId }, status);
    }
    return json({ userId, model: MODEL.version, churnProbability: churnProbability(read.value.record), featuresAgeMs: read.value.ageMs });
  },
} satisfies ExportedHandler<Env>;
