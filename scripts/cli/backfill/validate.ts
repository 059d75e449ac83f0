// Row validation with the service's own rules (src/records: types,
// required identifier and event time, int64 range, sizes), so a file the CLI
// accepts is one the API would accept, and a rejected file gets the same
// field/rule messages the API gives. Online ingest validates row by row
// here; the offline backfill validates column-wise (validate-batch.ts) and
// comes here for the report of each row it rejects.
import { encodeRecordBody, type FeatureDefinition, type FeatureValue, MAX_RECORD_BYTES, type RecordSchema, validateRecordValues } from "../../../src/records";
import type { Failure } from "../../../src/failure";
import type { DecodedInput } from "./decode";
import type { Problem } from "./views";

/** The parts of a group the validator needs, as GET /v1/feature-groups/{name} describes them. */
export interface GroupSchemaView {
  name: string;
  recordIdentifierFeature: string;
  eventTimeFeature: string;
  features: readonly FeatureDefinition[];
}

/** A valid row: its number, canonical values, event time and its sortable key. */
export interface ValidRow {
  row: number;
  values: Record<string, FeatureValue>;
  eventMs: number;
  eventKey: string;
}

/** The validator's view of a group as GET /v1/feature-groups/{name} describes it. */
export function recordSchemaOfView(group: GroupSchemaView): RecordSchema {
  return {
    featureGroup: group.name,
    recordIdentifierFeature: group.recordIdentifierFeature,
    eventTimeFeature: group.eventTimeFeature,
    features: new Map(group.features.map((f): [string, FeatureDefinition] => [f.name, { name: f.name, type: f.type, ...(f.collection ? { collection: f.collection } : {}) }])),
  };
}

/** A validation failure as a report entry's field and rule. */
export function ruleOf(failure: Failure): Omit<Problem, "row"> {
  switch (failure.reason) {
    case "invalid_field":
      return { field: failure.field, rule: failure.rule };
    case "unknown_feature":
      return { field: failure.field, rule: `is not a feature of ${failure.featureGroup}` };
    case "payload_too_large":
      return { field: failure.field, rule: `must be at most ${failure.limitBytes} bytes` };
    default:
      return { field: "row", rule: failure.reason };
  }
}

/**
 * A cheap bound first: a record whose feature texts are short cannot reach
 * the size limit (UTF-8 takes at most 3 bytes per UTF-16 unit, plus JSON
 * framing), so only large records pay for the exact encoding.
 */
export function withinSizeLimit(values: Record<string, FeatureValue>): boolean {
  let units = 2;
  for (const name in values) {
    const v = values[name]!;
    units += name.length + 4 + (typeof v === "string" ? v.length + 2 : Array.isArray(v) ? v.reduce<number>((n, x) => n + String(x).length + 3, 2) : 24);
  }
  return units * 3 + 64 < MAX_RECORD_BYTES;
}

/**
 * Validates every row. Returns the valid rows (their row number, canonical
 * values, event time and its key) and a report entry per invalid row.
 */
export function validateRows(schema: RecordSchema, input: DecodedInput): { valid: ValidRow[]; invalid: Problem[] } {
  const valid: ValidRow[] = [];
  const invalid: Problem[] = [];
  const fieldOf = (name: string) => name;
  input.each((row, entries, unreadable = "") => {
    if (!entries) {
      invalid.push({ row, field: "row", rule: unreadable });
      return;
    }
    const result = validateRecordValues(schema, entries, input.encoding, fieldOf);
    if (!result.ok) {
      invalid.push({ row, ...ruleOf(result.failure) });
      return;
    }
    const { values, eventTime } = result.value;
    if (!withinSizeLimit(values)) {
      const encoded = encodeRecordBody(values);
      if (!encoded.ok) {
        invalid.push({ row, ...ruleOf(encoded.failure) });
        return;
      }
    }
    valid.push({ row, values, eventMs: eventTime.epochMs, eventKey: eventTime.key });
  });
  return { valid, invalid };
}
