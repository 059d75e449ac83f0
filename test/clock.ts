import { createExecutionContext, env, runInDurableObject } from "cloudflare:test";
import { app } from "../src/http/app";
import type { Clock } from "../src/clock";
import type { Env } from "../src/env";
import { apiVia, type Api } from "./helpers";

/**
 * A clock for the worker and its Durable Objects (src/clock.ts) that stands
 * still until a test moves it. It starts at the real time, so credentials,
 * signatures and event times near "now" mean what they would in production.
 */
export class TestClock {
  #at: number;

  constructor(start = Date.now()) {
    this.#at = start;
  }

  readonly now: Clock = () => this.#at;

  advance(ms: number): void {
    this.#at += ms;
  }

  /** The current instant as an ISO event time. */
  iso(): string {
    return new Date(this.#at).toISOString();
  }
}

/** The API on the test clock: requests go to the worker's app with the clock in its env (as tests of FS_CORS_ORIGINS pass theirs). */
export function apiOnClock(clock: TestClock): Api {
  return apiVia(async (url, init) => app.fetch(new Request(url, init), { ...env, TEST_CLOCK: clock.now }, createExecutionContext()));
}

/**
 * Has a Durable Object instance read the test clock, the way the offline
 * harness swaps a shard's queue: through its `env` property. Lasts until the
 * object is evicted; call it before swapping anything else in its env.
 *
 * Alarms still fire by the real clock. Tests of expiry use TTLs of an hour
 * and move the test clock past them, so no expiry alarm fires on its own
 * mid-test (one that did would find nothing expired yet by the test clock,
 * and re-arm for an instant already past, over and over).
 */
export async function setObjectClock(stub: DurableObjectStub<Rpc.DurableObjectBranded>, clock: TestClock): Promise<void> {
  await runInDurableObject(stub, (instance) => {
    const object = instance as unknown as { env: Env };
    object.env = Object.assign(Object.create(object.env) as Env, { TEST_CLOCK: clock.now });
  });
}
