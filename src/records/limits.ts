/** Named limits with their units. Values follow SageMaker where it defines one. */
export const MAX_RECORD_BYTES = 350 * 1024;
export const MAX_RECORD_IDENTIFIER_BYTES = 2 * 1024;
export const MAX_STRING_VALUE_CHARS = 358_400;
export const MAX_FEATURES_PER_GROUP = 2_500;
export const MAX_FEATURE_ADDITIONS_PER_UPDATE = 100;
export const MAX_VECTOR_DIMENSION = 8_192;
export const MAX_BATCH_GET_GROUPS = 100;
export const MAX_BATCH_GET_IDENTIFIERS = 100;
export const DEFAULT_SHARD_COUNT = 16;
/** Catalog changes call every shard; Workers allow 1,000 subrequests per invocation. */
export const MAX_SHARD_COUNT = 256;

// Request bodies, per route. docs/api.md's limits table is generated from
// these (src/http/limits-table.ts), so they live here, in one place.

/** A put body carries one record plus JSON escaping overhead. */
export const MAX_PUT_BODY_BYTES = 2 * 1024 * 1024;
export const MAX_CONTROL_BODY_BYTES = 4 * 1024 * 1024;
export const MAX_BATCH_GET_BODY_BYTES = 4 * 1024 * 1024;
/** SigV4 covers the body hash, so a signed body is read whole before authentication: at most this. */
export const MAX_SIGNED_BODY_BYTES = 4 * 1024 * 1024;
/** Bulk bodies read as a stream (NDJSON, CSV, Arrow IPC stream). */
export const MAX_BULK_BODY_BYTES = 64 * 1024 * 1024;
/** Bodies read whole before decoding (Arrow file, Parquet): their decoded rows must also fit the isolate. */
export const MAX_BUFFERED_BODY_BYTES = 32 * 1024 * 1024;
export const MAX_BULK_ROWS = 100_000;
/** One NDJSON line holds one record (at most 350 KB canonical); room for whitespace and escapes. */
export const MAX_NDJSON_LINE_BYTES = 2 * 1024 * 1024;
/** Dataset requests: entities may arrive inline (rows or one CSV string). */
export const MAX_DATASET_BODY_BYTES = 16 * 1024 * 1024;
/** Entity rows a synchronous dataset request may join; more go to an asynchronous job ("async": true). */
export const MAX_ENTITY_ROWS = 100_000;
/** An uploaded entity object a synchronous dataset request may read whole. */
export const MAX_SYNC_ENTITY_OBJECT_BYTES = 16 * 1024 * 1024;
/** An uploaded entity list (PUT /v1/uploads/{name}), streamed to R2. */
export const MAX_UPLOAD_BYTES = 100 * 1024 * 1024;
export const MAX_ADMIN_BODY_BYTES = 64 * 1024;
export const MAX_REGISTRATION_BODY_BYTES = 16 * 1024;
export const MAX_REPLAY_BODY_BYTES = 16 * 1024;
