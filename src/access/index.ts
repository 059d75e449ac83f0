export * from "./actions";
export * from "./policy";
export * from "./keys";
export * from "./audit";
export { admit, defaultRateLimit, RateLimiter, LEASE_MS, reserve, type NamedBucket, type RateLimitEnv, type Reservation } from "./rate-limit";
