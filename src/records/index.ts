export * from "./types";
export * from "./limits";
export { parseEventTime, isoFromEpochMs, epochMsOfKey, eventKeyFromEpochMs, type EventTime } from "./event-time";
export { parseFeatureValue, type ValueEncoding } from "./values";
export { validateRecord, validateRecordValues, validateFeatures, eventTimeOf, encodeRecordBody, parseRecordIdentifier, parseFeatureSubset, type ValidatedRecord } from "./validate";
export { compareIdentifiers } from "./identifier-order";
export { parseTtl, expiresAtMs, ttlMs, ttlDurationSchema, MAX_TTL_MS } from "./ttl";
export {
  SEQUENCE_PER_MS,
  nextSequence,
  bulkSequence,
  legacySequence,
  availableTimeMs,
  parseAvailability,
  parseAvailabilityText,
  availabilityJson,
  ACCEPTED,
  DELAY_TEXT_RULE,
  type Availability,
} from "./order";
