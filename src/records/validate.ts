import { fail, invalid, ok, type Result } from "../failure";
import { parseEventTime, type EventTime } from "./event-time";
import { MAX_RECORD_BYTES, MAX_RECORD_IDENTIFIER_BYTES } from "./limits";
import { parseFeatureValue, parseScalar, type ValueEncoding } from "./values";
import type { CanonicalRecord, FeatureValue, RecordSchema } from "./types";

const utf8 = new TextEncoder();

/**
 * Validates feature values given as name → raw value pairs and returns them
 * in canonical form. null counts as missing; a name may appear once.
 *
 * @param fieldOf how error messages name a feature's field ("age" → "record.age").
 */
export function validateFeatures(
  schema: RecordSchema,
  entries: Iterable<readonly [string, unknown]>,
  encoding: ValueEncoding,
  fieldOf: (feature: string) => string,
): Result<Record<string, FeatureValue>> {
  const values: Record<string, FeatureValue> = Object.create(null);
  for (const [name, raw] of entries) {
    const field = fieldOf(name);
    const def = schema.features.get(name);
    if (!def) return fail({ reason: "unknown_feature", featureGroup: schema.featureGroup, feature: name, field });
    if (raw === null || raw === undefined) continue;
    if (name in values) return invalid(field, "must appear only once in a record");
    const parsed = parseFeatureValue(def, field, raw, encoding);
    if (!parsed.ok) return parsed;
    values[name] = parsed.value;
  }
  return ok(values);
}

/** The event time of canonical values, when they carry one. */
export function eventTimeOf(schema: RecordSchema, values: Record<string, FeatureValue>, fieldOf: (feature: string) => string): Result<EventTime | null> {
  const timeName = schema.eventTimeFeature;
  const timeValue = values[timeName];
  const timeDef = schema.features.get(timeName);
  if (timeValue === undefined || !timeDef) return ok(null);
  return parseEventTime(fieldOf(timeName), timeDef.type, timeValue);
}

/**
 * UTF-8 length of well-formed text, counted without encoding it (bulk
 * ingest measures every record; an encoded copy per record cost more than
 * the count). A surrogate pair is two units and four bytes.
 */
export function utf8ByteLength(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) continue;
    if (unit < 0x800) bytes += 1;
    else if (unit < 0xd800 || unit > 0xdfff) bytes += 2;
    else if (unit <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 2;
      i += 1;
    } else bytes += 2; // a lone surrogate becomes U+FFFD, 3 bytes, as TextEncoder writes it
  }
  return bytes;
}

/** Serialises canonical values, enforcing the record size limit. */
export function encodeRecordBody(values: Record<string, FeatureValue>): Result<{ body: string; sizeBytes: number }> {
  const body = JSON.stringify(values);
  const sizeBytes = utf8ByteLength(body);
  if (sizeBytes > MAX_RECORD_BYTES) return fail({ reason: "payload_too_large", field: "record", limitBytes: MAX_RECORD_BYTES });
  return ok({ body, sizeBytes });
}

/** A record's validated values with its identifier and event time, before encoding. */
export interface ValidatedRecord {
  recordIdentifier: string;
  eventTime: EventTime;
  values: Record<string, FeatureValue>;
}

/**
 * Validates a whole record's values: every feature's type, and the
 * identifier and the event time, which are required. Missing features are
 * allowed (a put is a full overwrite, so they are simply absent afterwards).
 * The size limit applies when the record is encoded (validateRecord).
 */
export function validateRecordValues(
  schema: RecordSchema,
  entries: Iterable<readonly [string, unknown]>,
  encoding: ValueEncoding,
  fieldOf: (feature: string) => string,
): Result<ValidatedRecord> {
  const values = validateFeatures(schema, entries, encoding, fieldOf);
  if (!values.ok) return values;

  const idName = schema.recordIdentifierFeature;
  const idValue = values.value[idName];
  if (idValue === undefined) return invalid(fieldOf(idName), "is required (the record identifier feature)");
  const recordIdentifier = String(idValue);
  const idCheck = checkRecordIdentifier(fieldOf(idName), recordIdentifier);
  if (!idCheck.ok) return idCheck;

  const eventTime = eventTimeOf(schema, values.value, fieldOf);
  if (!eventTime.ok) return eventTime;
  if (!eventTime.value) return invalid(fieldOf(schema.eventTimeFeature), "is required (the event time feature)");
  return ok({ recordIdentifier, eventTime: eventTime.value, values: values.value });
}

/** Validates a whole record (validateRecordValues) and returns its canonical, size-checked form. */
export function validateRecord(
  schema: RecordSchema,
  entries: Iterable<readonly [string, unknown]>,
  encoding: ValueEncoding,
  fieldOf: (feature: string) => string,
): Result<CanonicalRecord> {
  const record = validateRecordValues(schema, entries, encoding, fieldOf);
  if (!record.ok) return record;
  const encoded = encodeRecordBody(record.value.values);
  if (!encoded.ok) return encoded;
  return ok({ recordIdentifier: record.value.recordIdentifier, eventKey: record.value.eventTime.key, eventTimeMs: record.value.eventTime.epochMs, ...encoded.value });
}

function checkRecordIdentifier(field: string, id: string): Result<string> {
  if (id.length === 0) return invalid(field, "must not be empty");
  // UTF-8 takes at most 3 bytes per UTF-16 unit: short identifiers need no encoding to be measured.
  if (id.length * 3 > MAX_RECORD_IDENTIFIER_BYTES && utf8.encode(id).byteLength > MAX_RECORD_IDENTIFIER_BYTES) {
    return invalid(field, `must be at most ${MAX_RECORD_IDENTIFIER_BYTES} bytes of UTF-8`);
  }
  return ok(id);
}

/**
 * Canonicalises a record identifier given out of band (a URL path segment or
 * a batch-get list), so "007" finds the Integral record 7.
 */
export function parseRecordIdentifier(schema: RecordSchema, field: string, raw: unknown): Result<string> {
  const def = schema.features.get(schema.recordIdentifierFeature);
  if (!def) return invalid(field, "has no identifier feature in the catalog");
  const encoding: ValueEncoding = typeof raw === "string" ? "strings" : "typed";
  const parsed = parseScalar(def, field, raw, encoding);
  if (!parsed.ok) return parsed;
  return checkRecordIdentifier(field, String(parsed.value));
}

/** Checks requested feature names against the schema, naming the first unknown one. */
export function parseFeatureSubset(schema: RecordSchema, field: string, names: readonly string[]): Result<string[] | undefined> {
  if (names.length === 0) return ok(undefined);
  for (const name of names) {
    if (!schema.features.has(name)) return fail({ reason: "unknown_feature", featureGroup: schema.featureGroup, feature: name, field });
  }
  return ok([...new Set(names)]);
}
