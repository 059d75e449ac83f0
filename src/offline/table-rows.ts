import type { Table } from "apache-arrow";
import { legacySequence, type FeatureDefinition, type FeatureValue, type ScalarValue } from "../records";
import type { OfflineRowValues } from "./parquet";

/**
 * Reads offline rows back out of an Arrow table (compaction rewrites them).
 * int64 comes back as BigInt and is returned to canonical form: a number when
 * safe, a decimal string beyond ±(2^53−1).
 */
function canonicalScalar(value: unknown): ScalarValue {
  if (typeof value === "bigint") {
    const asNumber = Number(value);
    return Number.isSafeInteger(asNumber) ? asNumber : value.toString();
  }
  return value as ScalarValue;
}

/** A cell as a canonical feature value (undefined for null). */
export const canonicalFeatureValue = (value: unknown): FeatureValue | undefined => canonical(value);

function canonical(value: unknown): FeatureValue | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === "object" && value !== null && Symbol.iterator in value && typeof value !== "string") {
    return Array.from(value as Iterable<unknown>, canonicalScalar);
  }
  return canonicalScalar(value);
}

const toMs = (value: unknown): number => (value instanceof Date ? value.getTime() : typeof value === "bigint" ? Number(value) : Number(value));

export function rowsFromTable(table: Table, features: readonly FeatureDefinition[]): OfflineRowValues[] {
  const present = features.filter((f) => table.schema.fields.some((field) => field.name === f.name));
  const columns = present.map((f) => ({ name: f.name, vector: table.getChild(f.name)! }));
  const writeTime = table.getChild("write_time");
  const invocation = table.getChild("api_invocation_time");
  const deleted = table.getChild("is_deleted");
  if (!writeTime || !invocation || !deleted) throw new Error("offline file lacks write_time, api_invocation_time or is_deleted");
  // Files written before write sequences existed lack the last two columns: their rows rank and become known by write_time.
  const sequence = table.getChild("write_sequence");
  const available = table.getChild("available_time");
  const rows: OfflineRowValues[] = [];
  for (let i = 0; i < table.numRows; i++) {
    const values: Record<string, FeatureValue> = {};
    for (const { name, vector } of columns) {
      const value = canonical(vector.get(i));
      if (value !== undefined) values[name] = value;
    }
    const writeTimeMs = toMs(writeTime.get(i));
    const seq: unknown = sequence?.get(i);
    const known: unknown = available?.get(i);
    rows.push({
      values,
      writeTimeMs,
      apiInvocationTimeMs: toMs(invocation.get(i)),
      isDeleted: deleted.get(i) === true,
      writeSequence: seq === null || seq === undefined ? legacySequence(writeTimeMs) : toMs(seq),
      availableTimeMs: known === null || known === undefined ? writeTimeMs : toMs(known),
    });
  }
  return rows;
}

