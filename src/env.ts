import type { OfflineMessage } from "./offline/message";
import type { RecordShard } from "./online/shard";
import type { QueryService } from "./query/worker";
import type { RateLimiter } from "./access/rate-limit";
import type { ClockEnv } from "./clock";

/** The API worker's bindings, typed once. Contexts take only what they need. TEST_CLOCK (tests only) comes from ClockEnv. */
export interface Env extends ClockEnv {
  DB: D1Database;
  RECORD_SHARD: DurableObjectNamespace<RecordShard>;
  /** Root credential, from the worker's secrets (.dev.vars locally). */
  FS_ROOT_ACCESS_KEY_ID: string;
  FS_ROOT_SECRET_ACCESS_KEY: string;
  /** Master keyring (src/crypto/keyring.ts), from the worker's secrets: seals access-key secrets and data keys. */
  FS_MASTER_KEYS?: string;
  /** Browser origins allowed to call the API (comma-separated exact origins); unset or empty: none (src/http/cors.ts). */
  FS_CORS_ORIGINS?: string;
  /** 12-digit account id for ARNs. */
  FS_ACCOUNT_ID: string;
  FS_REGION: string;
  /** Offline store: Parquet objects and staged oversized batches. */
  OFFLINE_BUCKET: R2Bucket;
  /** Landing bucket that ingest jobs read source files from (src/jobs, docs/jobs.md). */
  INGEST_BUCKET: R2Bucket;
  /** The time-travel query worker (service binding, RPC). */
  QUERY: Service<QueryService>;
  /** Outbox batches on their way to the offline writer. */
  OFFLINE_QUEUE: Queue<OfflineMessage>;
  /** Key prefix inside the bucket (default "offline-store"). */
  OFFLINE_PREFIX?: string;
  /** The bucket's name, for s3:// locations handed to external engines. */
  OFFLINE_BUCKET_NAME?: string;
  /** Flush policy of the shard outboxes (see src/online/drain.ts). */
  OFFLINE_FLUSH_ROWS?: string;
  OFFLINE_FLUSH_BYTES?: string;
  OFFLINE_FLUSH_MS?: string;
  /** A sent outbox batch not registered this long after its send is sent again (doubling per send, at most 15 min). */
  OFFLINE_REDELIVER_MS?: string;
  /** Per-access-key token buckets (src/access/rate-limit.ts). */
  RATE_LIMITER: DurableObjectNamespace<RateLimiter>;
  /** Default rate limit of access keys without their own: requests per second, and burst (default: the rate). */
  FS_RATE_LIMIT_RPS?: string;
  FS_RATE_LIMIT_BURST?: string;
  /** Days the audit log keeps entries (default 90); the cron sweeps older ones. */
  FS_AUDIT_RETENTION_DAYS?: string;
}
