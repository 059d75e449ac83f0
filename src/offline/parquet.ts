import { Bool, Field, Float64, Int64, List, Table, TimestampMillisecond, Utf8, tableFromIPC, tableToIPC, type DataType, type Vector } from "apache-arrow";
import { Compression, initSync, readParquet, Table as WasmTable, writeParquet, WriterPropertiesBuilder } from "parquet-wasm/esm";
import parquetWasm from "parquet-wasm/esm/parquet_wasm_bg.wasm";
import type { FeatureDefinition, FeatureType, FeatureValue } from "../records";
import { columnVector } from "./arrow-columns";

/**
 * Parquet encoding of offline rows: apache-arrow builds the columns,
 * parquet-wasm writes them ZSTD-compressed. Columns: every feature with its
 * declared type (Integral int64, Fractional double, String string,
 * collections as lists), then write_time and api_invocation_time (UTC
 * millisecond timestamps) and is_deleted (boolean).
 */
export interface OfflineRowValues {
  values: Record<string, FeatureValue>;
  writeTimeMs: number;
  apiInvocationTimeMs: number;
  isDeleted: boolean;
}

let wasmReady = false;
export function ensureParquetWasm(): void {
  ensureWasm();
}
function ensureWasm(): void {
  if (!wasmReady) {
    initSync({ module: parquetWasm });
    wasmReady = true;
  }
}

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
  return columnVector(arrowType(def), rows.map((row) => row.values[def.name] ?? null));
}

/** Builds the Arrow table of a file's rows. */
export function offlineTable(features: readonly FeatureDefinition[], rows: readonly OfflineRowValues[]): Table {
  const columns: Record<string, Vector> = {};
  for (const def of features) columns[def.name] = column(def, rows);
  columns.write_time = columnVector(new TimestampMillisecond("UTC"), rows.map((r) => r.writeTimeMs));
  columns.api_invocation_time = columnVector(new TimestampMillisecond("UTC"), rows.map((r) => r.apiInvocationTimeMs));
  columns.is_deleted = columnVector(new Bool(), rows.map((r) => r.isDeleted));
  return new Table(columns);
}

/** Writes an Arrow table as one ZSTD-compressed Parquet file. */
export function tableToParquet(table: Table): Uint8Array {
  ensureWasm();
  const properties = new WriterPropertiesBuilder().setCompression(Compression.ZSTD).build();
  return writeParquet(WasmTable.fromIPCStream(tableToIPC(table, "stream")), properties);
}

/** Writes offline rows as one ZSTD-compressed Parquet file. */
export function encodeParquet(features: readonly FeatureDefinition[], rows: readonly OfflineRowValues[]): Uint8Array {
  return tableToParquet(offlineTable(features, rows));
}

/** Reads a Parquet file back into an Arrow table. */
export function decodeParquet(bytes: Uint8Array): Table {
  ensureWasm();
  return tableFromIPC(readParquet(bytes).intoIPCStream());
}
