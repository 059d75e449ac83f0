// Offline files written in Node exactly as the worker writes them: the same
// Arrow columns (src/offline/offline-table.ts) and the same writer
// (parquet-wasm, ZSTD), so registered files cannot be told from the queue
// consumer's.
import { tableToIPC } from "apache-arrow";
import { Compression, Table as WasmTable, writeParquet, WriterPropertiesBuilder } from "parquet-wasm";
import { offlineTable } from "../../../src/offline/offline-table.ts";

/**
 * @param {{ name: string, type: string, collection?: unknown }[]} features
 * @param {{ values: Record<string, unknown> }[]} rows
 * @param {number} writeTimeMs write_time and api_invocation_time of every row
 */
export function encodeOfflineFile(features, rows, writeTimeMs) {
  const offlineRows = rows.map((row) => ({ values: row.values, writeTimeMs, apiInvocationTimeMs: writeTimeMs, isDeleted: false }));
  const properties = new WriterPropertiesBuilder().setCompression(Compression.ZSTD).build();
  return writeParquet(WasmTable.fromIPCStream(tableToIPC(offlineTable(features, offlineRows), "stream")), properties);
}
