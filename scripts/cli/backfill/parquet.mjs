// Offline files written in Node exactly as the worker writes them: the same
// Arrow columns (src/offline/offline-table.ts) and the same writer
// (parquet-wasm, ZSTD), so registered files cannot be told from the queue
// consumer's.
import { tableToIPC } from "apache-arrow";
import { Compression, Table as WasmTable, writeParquet, WriterPropertiesBuilder } from "parquet-wasm";

/** An Arrow table of the offline layout as one ZSTD Parquet file. */
export function writeOfflineTable(table) {
  const properties = new WriterPropertiesBuilder().setCompression(Compression.ZSTD).build();
  return writeParquet(WasmTable.fromIPCStream(tableToIPC(table, "stream")), properties);
}
