/** Idempotent bulk ingest: the request header and its parser. */
export { IDEMPOTENCY_KEY_HEADER, parseIdempotencyKey } from "./idempotency";
