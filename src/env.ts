import type { OfflineMessage } from "./offline/message";
import type { ClockEnv } from "./clock";

/**
 * The workers' secrets: set with `wrangler secret put`, locally in .dev.vars
 * (created by npm start). They are not in the wrangler configs, so
 * `wrangler types` cannot type them; this is the one place that does.
 */
export interface Secrets {
  /** Root credential. */
  FS_ROOT_ACCESS_KEY_ID: string;
  FS_ROOT_SECRET_ACCESS_KEY: string;
  /** Master keyring (src/crypto/keyring.ts): seals access-key secrets and data keys. Both workers read it. */
  FS_MASTER_KEYS?: string;
}

/**
 * The API worker's bindings, typed once. WranglerEnv is generated from
 * wrangler.toml (src/worker-configuration.d.ts, `npm run types`): every
 * binding and var is declared there. Added here only what a config cannot
 * say: the secrets, the offline queue's message type, and TEST_CLOCK (tests
 * only, from ClockEnv). Contexts take only what they need.
 */
export interface Env extends WranglerEnv, Secrets, ClockEnv {
  /** Outbox batches on their way to the offline writer. */
  OFFLINE_QUEUE: Queue<OfflineMessage>;
}
