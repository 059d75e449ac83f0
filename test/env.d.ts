import type { D1Migration } from "cloudflare:test";
import type { Env as WorkerEnv } from "../src/env";
import type { JobMessage } from "../src/datasets/dataset-jobs";

declare global {
  namespace Cloudflare {
    // The generated Cloudflare.Env (src/worker-configuration.d.ts) types the
    // offline queue as Queue<unknown>; declared here so the two bases agree.
    interface Env extends WorkerEnv {
      OFFLINE_QUEUE: WorkerEnv["OFFLINE_QUEUE"];
      TEST_MIGRATIONS: D1Migration[];
      /** The query worker's producer (vitest.config.ts), for QueryService running in this project. */
      DATASET_JOBS: Queue<JobMessage>;
      /** The edge-inference example Worker (vitest.config.ts), which calls this one through the FeatureStore RPC binding. */
      EDGE_INFERENCE: Fetcher;
      /** The access key id the example's binding names in its props (examples/edge-inference/wrangler.toml). */
      EDGE_INFERENCE_ACCESS_KEY_ID: string;
    }
    interface GlobalProps {
      mainModule: typeof import("../src/index");
    }
  }
}

declare module "vitest" {
  export interface ProvidedContext {
    fuzzSeed: string;
    fuzzRequests: string;
  }
}
