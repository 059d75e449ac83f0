export * from "./types";
export * from "./limits";
export { parseEventTime, isoFromEpochMs, type EventTime } from "./event-time";
export { parseFeatureValue, type ValueEncoding } from "./values";
export { validateRecord, parseRecordIdentifier, parseFeatureSubset } from "./validate";
export { parseTtl, expiresAtMs, ttlMs } from "./ttl";
