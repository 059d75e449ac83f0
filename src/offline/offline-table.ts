import { Bool, Field, Float64, Int64, List, Table, TimestampMillisecond, Utf8, type DataType, type Vector } from "apache-arrow";
import type { FeatureDefinition, FeatureType, FeatureValue } from "../records";
import { columnVector } from "./arrow-columns";

/**
 * The Arrow shape of offline rows, free of the Parquet writer (and its
 * WebAssembly) so the CLI's offline backfill builds exactly the same
 * columns in Node: every feature with its declared type (Integral int64,
 * Fractional double, String string, collections as lists), then write_time
 * and api_invocation_time (UTC millisecond timestamps), is_deleted
 * (boolean), write_sequence (int64: the version order after event time,
 * records/order.ts) and available_time (UTC millisecond timestamp: the
 * row's knowledge time).
 */
export interface OfflineRowValues {
  values: Record<string, FeatureValue>;
  writeTimeMs: number;
  apiInvocationTimeMs: number;
  isDeleted: boolean;
  writeSequence: number;
  availableTimeMs: number;
}

/** The offline columns after the features, in file order. Files written before the last two existed lack them. */
export const OFFLINE_COLUMNS = ["write_time", "api_invocation_time", "is_deleted", "write_sequence", "available_time"] as const;
/** The offline columns a file written before write sequences existed has. */
export const LEGACY_OFFLINE_COLUMNS = OFFLINE_COLUMNS.slice(0, 3);

function scalarType(type: FeatureType): DataType {
  switch (type) {
    case "Integral":
      return new Int64();
    case "Fractional":
      return new Float64();
    case "String":
      return new Utf8();
  }
}

/** Arrow type of a feature; list elements are named "element" as the Parquet LIST spec and Hive expect. */
export function arrowType(def: FeatureDefinition): DataType {
  const scalar = scalarType(def.type);
  return def.collection ? new List(new Field("element", scalar, true)) : scalar;
}

function column(def: FeatureDefinition, rows: readonly OfflineRowValues[]): Vector {
  // Own properties only: values parsed from a record body (bulk-files.ts) inherit from Object.prototype, and a feature named "constructor" that a row lacks must read as null.
  return columnVector(arrowType(def), rows.map((row) => (Object.hasOwn(row.values, def.name) ? (row.values[def.name] ?? null) : null)));
}

/** Builds the Arrow table of a file's rows. */
export function offlineTable(features: readonly FeatureDefinition[], rows: readonly OfflineRowValues[]): Table {
  const columns: Record<string, Vector> = {};
  for (const def of features) columns[def.name] = column(def, rows);
  columns.write_time = columnVector(new TimestampMillisecond("UTC"), rows.map((r) => r.writeTimeMs));
  columns.api_invocation_time = columnVector(new TimestampMillisecond("UTC"), rows.map((r) => r.apiInvocationTimeMs));
  columns.is_deleted = columnVector(new Bool(), rows.map((r) => r.isDeleted));
  columns.write_sequence = columnVector(new Int64(), rows.map((r) => r.writeSequence));
  columns.available_time = columnVector(new TimestampMillisecond("UTC"), rows.map((r) => r.availableTimeMs));
  return new Table(columns);
}
