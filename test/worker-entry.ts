// The worker under test: the API worker as deployed, plus the query worker's
// entrypoint, so the QUERY service binding (pointed at this worker in
// vitest.config.ts) is exercised over real RPC within one test runtime.
export { default, RecordShard, RateLimiter, FeatureStore } from "../src/index";
export { QueryService } from "../src/query/worker";
