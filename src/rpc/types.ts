import type { Failure } from "../failure";
import type { featureGroupView } from "../http/native/views";
import type { DeletionMode } from "../online";
import type { FeatureValue, TtlDuration } from "../records";
import type { DeleteRecordResult, EncryptionView, StoreTarget } from "../service";

/**
 * The shapes of the FeatureStore RPC binding (entrypoint.ts): what a calling
 * Worker sends and gets back. They follow the native JSON API (docs/api.md)
 * field for field; calling Workers import them with `import type`.
 *
 * Integral values: outputs follow the native API's rule, a number within
 * ±9,007,199,254,740,991 and a decimal string beyond, so every int64 stays
 * exact. Inputs take those, and also a `bigint` (RPC carries it exactly).
 */

/** What the caller's service binding carries in `props` (its wrangler.toml); the store reads it as `this.ctx.props`. */
export interface FeatureStoreProps {
  /** The access key the binding acts as: its policy, rate limit and audit entries apply. */
  accessKeyId?: string;
}

export type InputScalar = number | string | bigint;
/** A feature value as a caller may send it; `null` means absent. */
export type InputValue = InputScalar | InputScalar[] | null;
export type RecordIdentifierInput = string | number | bigint;

/** The native API's error, as data: RPC keeps only a thrown Error's message and name, so failures are returned, not thrown. */
export interface FeatureStoreError {
  /** The native API's error code (docs/api.md#errors); `internal_error` for the unexpected. */
  code: Failure["reason"] | "internal_error";
  /** The HTTP status the native API answers for this code. */
  status: number;
  message: string;
  /** The input field the error is about, when it is about one. */
  field?: string;
  /** Names the call in the store's logs and audit log. */
  requestId: string;
}

export type FeatureStoreResult<T> = { ok: true; value: T } | { ok: false; error: FeatureStoreError };

/** A stored record: feature name → value. */
export type FeatureRecord = Record<string, FeatureValue>;

export interface GetRecordInput {
  featureGroup: string;
  recordIdentifier: RecordIdentifierInput;
  /** Only these features (default: all). */
  features?: string[];
  /** How stale the answer may be, in ms (0–300,000); absent or 0: strongly consistent. */
  maxStalenessMs?: number;
}

export interface GetRecordOutput {
  record: FeatureRecord;
  /** ISO-8601, when the record expires by its TTL. */
  expiresAt?: string;
  /** The age of what was served: 0 when read from its shard by this call, else how long ago the colo cache's copy was read. */
  ageMs: number;
}

export interface BatchGetRecordInput {
  requests: { featureGroup: string; recordIdentifiers: RecordIdentifierInput[]; features?: string[] }[];
  maxStalenessMs?: number;
}

export interface BatchGetRecordOutput {
  records: { featureGroup: string; recordIdentifier: string; record: FeatureRecord; expiresAt?: string; ageMs: number }[];
  misses: { featureGroup: string; recordIdentifier: string }[];
  errors: { featureGroup: string; recordIdentifier?: string; error: Omit<FeatureStoreError, "status" | "requestId"> }[];
  /** Requests to send again (they did not fit this call's subrequest budget). */
  unprocessed: { featureGroup: string; recordIdentifiers: string[]; features?: string[] }[];
}

export interface PutRecordInput {
  featureGroup: string;
  record: Record<string, InputValue>;
  targetStores?: StoreTarget[];
  ttl?: TtlDuration;
}

export interface PutRecordOutput {
  online: "written" | "older_event_time_ignored" | "not_targeted";
  offline: "queued" | "not_targeted";
  expiresAt?: string;
}

export interface DeleteRecordInput {
  featureGroup: string;
  recordIdentifier: RecordIdentifierInput;
  /** The deletion's event time: ISO-8601 for a String event-time feature, epoch seconds for a Fractional one. */
  eventTime: string | number;
  mode?: DeletionMode;
  targetStores?: StoreTarget[];
}

export type DeleteRecordOutput = DeleteRecordResult;

export interface DescribeFeatureGroupInput {
  featureGroup: string;
}

export type DescribeFeatureGroupOutput = ReturnType<typeof featureGroupView> & { encryption: EncryptionView };
