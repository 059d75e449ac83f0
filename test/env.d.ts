import type { D1Migration } from "cloudflare:test";
import type { Env as WorkerEnv } from "../src/env";
import type { JobMessage } from "../src/query/jobs";

declare global {
  namespace Cloudflare {
    // The generated Cloudflare.Env (src/worker-configuration.d.ts) types the
    // offline queue as Queue<unknown>; declared here so the two bases agree.
    interface Env extends WorkerEnv {
      OFFLINE_QUEUE: WorkerEnv["OFFLINE_QUEUE"];
      TEST_MIGRATIONS: D1Migration[];
      /** The query worker's producer (vitest.config.ts), for QueryService running in this project. */
      DATASET_JOBS: Queue<JobMessage>;
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
