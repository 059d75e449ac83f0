export * from "./actions";
export * from "./policy";
export * from "./keys";
export * from "./audit";
export { admit, defaultRateLimit, RateLimiter, LEASE_MS, type RateLimitEnv } from "./rate-limit";
