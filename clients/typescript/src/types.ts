// The native API's shapes (docs/api.md) as the client sends and receives
// them. Feature values, definitions, TTLs, tags and error codes are the
// server's own types (import type: they vanish from the bundle). The
// server declares the other shapes in modules that need the Workers
// runtime's types (D1, R2), which a browser or Node build cannot load, so
// they are declared here; test/client/wire-types.test.ts checks at compile
// time that each is the server's type (src/rpc/types.ts, src/query,
// src/service), so the two cannot drift apart.
import type { FeatureGroupStatus, Tag } from "../../../src/catalog/model";
import type { NativeErrorCode } from "../../../src/http/error-codes";
import type { Collection, FeatureDefinition, FeatureType, FeatureValue, TtlDuration, TtlUnit } from "../../../src/records/types";

export type { Collection, FeatureDefinition, FeatureGroupStatus, FeatureType, FeatureValue, NativeErrorCode, Tag, TtlDuration, TtlUnit };

/** A stored record: feature name → value. Integral beyond ±(2^53−1) is a decimal string. */
export type FeatureRecord = Record<string, FeatureValue>;

/** A value as the client takes it: a bigint is sent as its decimal string (exact for every int64); null means absent. */
export type InputScalar = number | string | bigint;
export type InputValue = InputScalar | InputScalar[] | null;
export type RecordIdentifierInput = string | number | bigint;

/** An instant: ISO-8601 text as is, a Date, or epoch seconds (as the API takes them). */
export type Instant = string | number | Date;

export type StoreTarget = "online" | "offline";
export type DeletionMode = "soft" | "hard";

// ---- feature groups -------------------------------------------------------------------------

export interface CreateFeatureGroupInput {
  name: string;
  recordIdentifierFeature: string;
  eventTimeFeature: string;
  features: FeatureDefinition[];
  onlineStore?: { enabled?: boolean; ttl?: TtlDuration };
  offlineStore?: { enabled?: boolean };
  description?: string;
  tags?: Tag[];
  shardCount?: number;
  encryption?: { online?: boolean; offline?: boolean };
}

export interface UpdateFeatureGroupInput {
  addFeatures?: FeatureDefinition[];
  /** `ttl: null` removes the group's TTL. */
  onlineStore?: { ttl: TtlDuration | null };
  description?: string;
}

export interface StoreEncryptionView {
  enabled: boolean;
  activeKeyVersion?: number;
}

/** `GET /v1/feature-groups/{name}`; the same as RPC describeFeatureGroup's value. */
/** `GET /v1/feature-groups/{name}/freshness`: how current each store is (timestamps as ISO 8601). */
export interface GroupFreshness {
  featureGroup: string;
  online: { lastWriteAt: string | null };
  /** Absent for a group without an offline store. */
  offline?: {
    lastFileWriteAt: string | null;
    pending: { rows: number; sealedBatches: number; sentBatches: number; resentBatches: number; maxAttempts: number; maxSends: number; oldestAt: string | null; oldestSentAt: string | null };
    lagMs: number;
  };
}

export interface FeatureGroupView {
  name: string;
  arn: string;
  generation: string;
  recordIdentifierFeature: string;
  eventTimeFeature: string;
  features: FeatureDefinition[];
  onlineStore: { enabled: boolean; ttl?: TtlDuration };
  offlineStore: { enabled: boolean };
  description?: string;
  tags: Tag[];
  status: FeatureGroupStatus;
  shardCount: number;
  createdAt: string;
  updatedAt: string;
  encryption: { online: StoreEncryptionView; offline: StoreEncryptionView };
}

export interface FeatureGroupSummary {
  name: string;
  arn: string;
  status: FeatureGroupStatus;
  onlineStore: { enabled: boolean };
  offlineStore: { enabled: boolean };
  createdAt: string;
}

export interface ListFeatureGroupsOptions {
  nameContains?: string;
  tagKey?: string;
  tagValue?: string;
  /** 1–100, default 50. */
  limit?: number;
  nextToken?: string;
}

export interface FeatureGroupPage {
  featureGroups: FeatureGroupSummary[];
  nextToken?: string;
}

// ---- records --------------------------------------------------------------------------------

export interface PutRecordOptions {
  targetStores?: StoreTarget[];
  /** Overrides the group's TTL for this record. */
  ttl?: TtlDuration;
}

export interface PutRecordOutput {
  online: "written" | "older_event_time_ignored" | "not_targeted";
  offline: "queued" | "not_targeted";
  expiresAt?: string;
}

export interface ReadOptions {
  /** Only these features (default: all). */
  features?: string[];
  /** How stale the answer may be, in ms (0–300,000); absent or 0: strongly consistent (docs/api.md#bounded-staleness-reads). */
  maxStalenessMs?: number;
}

/** The same as RPC getRecord's value. */
export interface GetRecordOutput {
  record: FeatureRecord;
  /** ISO-8601, when the record expires by its TTL. */
  expiresAt?: string;
  /** The age of what was served: 0 when this call read it from its shard. */
  ageMs: number;
}

export interface DeleteRecordOptions {
  /** The deletion's event time: ISO-8601 for a String event-time feature, epoch seconds for a Fractional one. */
  eventTime: string | number | Date;
  mode?: DeletionMode;
  targetStores?: StoreTarget[];
}

export interface DeleteRecordOutput {
  online: "deleted" | "older_event_time_unchanged" | "not_targeted";
  offline: "queued" | "not_targeted";
}

export interface BatchGetRequest {
  featureGroup: string;
  recordIdentifiers: RecordIdentifierInput[];
  features?: string[];
}

export interface BatchGetRecordInput {
  /** 1–100 requests of 1–100 identifiers each. */
  requests: BatchGetRequest[];
  maxStalenessMs?: number;
}

/** The same as RPC batchGetRecord's value (`ageMs` is 0 for reads without a staleness bound). */
export interface BatchGetRecordOutput {
  records: { featureGroup: string; recordIdentifier: string; record: FeatureRecord; expiresAt?: string; ageMs: number }[];
  misses: { featureGroup: string; recordIdentifier: string }[];
  errors: { featureGroup: string; recordIdentifier?: string; error: { code: NativeErrorCode; message: string; field?: string } }[];
  /** Requests to send again (past one answer's size limit). */
  unprocessed: { featureGroup: string; recordIdentifiers: string[]; features?: string[] }[];
}

// ---- bulk ingest ----------------------------------------------------------------------------

export type BulkFormat = "ndjson" | "csv" | "arrow-stream" | "arrow-file" | "parquet";

export interface BulkIngestOptions {
  /** The body's format when it is not an array of records (sent as NDJSON). */
  format?: BulkFormat;
  targetStores?: StoreTarget[];
  /** reject (default): one invalid row rejects the request (InvalidRowsError); skip: the valid rows are written. */
  onInvalid?: "reject" | "skip";
  availableFrom?: "accepted" | "eventTime";
  /** e.g. 90m, 2h, 1d. */
  availableDelay?: string;
  /** The server writes a key's offline rows once; default: a random key per call, so the client's own retries never duplicate rows. */
  idempotencyKey?: string;
}

/** The codes of expected failures (src/failure.ts): every native code but the two no Failure carries. */
export type FailureCode = Exclude<NativeErrorCode, "invalid_rows" | "internal_error">;

export interface RowProblem {
  row: number;
  code: FailureCode;
  field?: string;
  rule: string;
}

export interface BulkIngestReport {
  rows: number;
  written: number;
  online: { written: number; olderEventTimeIgnored: number };
  offline: { written: number; alreadyWritten: number };
  invalidRows: number;
  invalid: RowProblem[];
  notWritten: number;
  /** Present on a 207: a shard failed part-way; retry with the same idempotency key to complete the online store. */
  error?: { code: NativeErrorCode; message: string };
}

// ---- time travel ----------------------------------------------------------------------------

/** What a query read of the offline store (`stats` of as-of, history and datasets). */
export interface ReadStats {
  filesInManifest: number;
  filesRead: number;
  bytesRead: number;
  rowsRead: number;
  rowGroupsRead: number;
  rowGroupsSkipped: number;
}

export interface AsOfOptions {
  /** Latest event time included (default: no bound). */
  eventTime?: Instant;
  /** Only what the offline store held by then (write time). */
  knownAt?: Instant;
  /** Only what was available by then (knowledge time). */
  availableAt?: Instant;
  features?: string[];
  /** At most 1,000 identifiers. */
  ids?: RecordIdentifierInput[];
  /** The previous page's nextAfter. */
  after?: string;
  /** 1–2,500 records a page, default 1,000. */
  limit?: number;
}

/** One version of a record as the offline store holds it. */
export interface VersionView {
  recordIdentifier: string;
  record: FeatureRecord;
  isDeleted: boolean;
  writeTime: string;
  apiInvocationTime: string;
  writeSequence: number;
  availableTime: string;
}

export interface AsOfPage {
  records: VersionView[];
  /** Present when more records may follow: pass it as `after`. */
  nextAfter?: string;
  stats: ReadStats;
}

export interface HistoryOptions {
  from?: Instant;
  to?: Instant;
}

export interface HistoryResult {
  versions: VersionView[];
  stats: ReadStats;
}

// ---- datasets -------------------------------------------------------------------------------

export type DatasetFormat = "json" | "ndjson" | "csv" | "parquet" | "arrow";

export interface DatasetRequest {
  entities: { rows: Record<string, unknown>[] } | { csv: string } | { object: string; format?: "csv" | "parquet" };
  timestampColumn: string;
  featureGroups: { name: string; entityColumn: string; features?: string[]; prefix?: string; lookback?: TtlDuration }[];
  eventTimeOnly?: boolean;
  includeDeleted?: boolean;
  includeDuplicates?: boolean;
  mostRecent?: number;
  format?: DatasetFormat;
}

export interface KnowledgeReport {
  rowsWithExcludedVersions: number;
  rowsEmptied: number;
}

/** A synchronous JSON dataset. */
export interface DatasetResult {
  columns: string[];
  rows: Record<string, unknown>[];
  stats: ReadStats;
  knowledgeTime: KnowledgeReport;
  warnings: string[];
}

export type DatasetJobState = "queued" | "running" | "succeeded" | "failed" | "cancelled";

/** `GET /v1/datasets/jobs/{id}`. */
export interface DatasetJob {
  id: string;
  state: DatasetJobState;
  format: Exclude<DatasetFormat, "json">;
  progress: {
    chunksTotal: number | null;
    chunksDone: number;
    /** Steps (result parts) written: a wide chunk is joined in several. */
    stepsDone: number;
    entitiesTotal: number | null;
    entitiesProcessed: number;
    filesRead: number;
    bytesRead: number;
    rowsWritten: number;
  };
  knowledgeTime: KnowledgeReport;
  warnings?: string[];
  result?: { key: string; bytes: number; contentType: string; bucket: string; uri: string };
  error?: string;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
}

export interface Upload {
  name: string;
  key: string;
  bytes: number;
  etag: string;
  uri: string;
}
