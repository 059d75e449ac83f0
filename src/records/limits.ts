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
/** A put body carries one record plus JSON escaping overhead. */
export const MAX_PUT_BODY_BYTES = 2 * 1024 * 1024;
export const MAX_CONTROL_BODY_BYTES = 4 * 1024 * 1024;
export const MAX_BATCH_GET_BODY_BYTES = 4 * 1024 * 1024;
