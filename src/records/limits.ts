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
/**
 * Bulk bodies read as a stream (NDJSON, CSV, Arrow IPC stream). Rows are
 * held a chunk at a time, but parsing text leaves garbage and costs CPU in
 * proportion: three 64 MiB CSV bodies at once took 103 % of the isolate's
 * memory and 88 % of 30 s CPU each (docs/limits.md).
 */
export const MAX_BULK_BODY_BYTES = 32 * 1024 * 1024;
/**
 * Bodies read whole before decoding (Arrow file, Parquet). Three such
 * requests at once in one isolate hold three bodies, parquet-wasm's copy of
 * the row group being decoded (WebAssembly memory, which never shrinks) and
 * their chunks of decoded rows, within 128 MB (docs/limits.md: 16 MiB
 * measured 111 %).
 */
export const MAX_BUFFERED_BODY_BYTES = 8 * 1024 * 1024;
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

/**
 * Characters of JSON rows a synchronous dataset may answer. The rows cross
 * the service binding as one RPC result (at most 32 MiB, two bytes a
 * character at worst): 100,000 entity rows of a 48-feature group made
 * 86 MB and failed (docs/limits.md). Jobs write their result to R2 instead.
 */
export const MAX_SYNC_RESULT_CHARS = 16 * 1024 * 1024;

/**
 * Uncompressed bytes of one row group of a Parquet body. The reader holds
 * a row group's pages, compressed and (one page per column) decompressed,
 * in WebAssembly memory; a writer's default row group can be a whole file
 * of any size once decompressed (a 7.4 MiB body of 80,000 wide rows in one
 * row group took 77 MiB: docs/limits.md). Writers choose the size
 * (pyarrow `row_group_size`, DuckDB `ROW_GROUP_SIZE`).
 */
export const MAX_PARQUET_ROW_GROUP_BYTES = 8 * 1024 * 1024;

/**
 * Records one as-of page may hold. The query worker keeps up to twice the
 * page's candidates while it scans, and the page crosses the service
 * binding whole: two pages of 10,000 wide records at once took 165 % of the
 * isolate's 128 MB (docs/limits.md).
 */
export const MAX_AS_OF_LIMIT = 2_500;

/**
 * Characters of record JSON one BatchGetRecord answers at most. Each
 * record's text is held as the shard's reply, in the response being built
 * and as its bytes; two maximal requests at once then stay within the
 * isolate's 128 MB (docs/limits.md: 100 records of 350 KB made 151 MiB per
 * request, an 8 MiB budget 52 MiB). Identifiers past it are returned
 * unprocessed, for the client to send again, as SageMaker does.
 */
export const MAX_BATCH_GET_REPLY_CHARS = 6 * 1024 * 1024;
