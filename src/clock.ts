/**
 * The time the API worker and its Durable Objects go by: the system clock,
 * unless the env they were handed carries a test clock. Tests put one there
 * (in the env they pass to the worker's fetch handler, or on a Durable
 * Object instance through runInDurableObject) and move it by hand, so TTLs,
 * cache ages and rate-limit refills are tested without sleeping.
 *
 * Nothing a client sends reaches it: the env is the runtime's bindings,
 * which are never functions, and no header, query or body sets it.
 */
export type Clock = () => number;

export interface ClockEnv {
  /** Tests only: the clock to read instead of Date.now. Unset (and not settable) in any deployment. */
  TEST_CLOCK?: Clock;
}

/** The env's test clock, or Date.now. */
export function clockOf(env: ClockEnv): Clock {
  return typeof env.TEST_CLOCK === "function" ? env.TEST_CLOCK : Date.now;
}
