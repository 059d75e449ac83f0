import type { RecordShard } from "./online/shard";

/** The API worker's bindings, typed once. Contexts take only what they need. */
export interface Env {
  DB: D1Database;
  RECORD_SHARD: DurableObjectNamespace<RecordShard>;
  /** Root credential, from the worker's secrets (.dev.vars locally). */
  FS_ROOT_ACCESS_KEY_ID: string;
  FS_ROOT_SECRET_ACCESS_KEY: string;
  /** 12-digit account id for ARNs. */
  FS_ACCOUNT_ID: string;
  FS_REGION: string;
}
