// Offline files written in Node exactly as the worker writes them: the same
// Arrow columns (src/offline/offline-table.ts) and the same writer
// (parquet-wasm, ZSTD), so registered files cannot be told from the queue
// consumer's.
import { type Table, tableToIPC } from "apache-arrow";
import { Compression, Encoding, Table as WasmTable, writeParquet, WriterPropertiesBuilder } from "parquet-wasm";

/** An Arrow table of the offline layout as one ZSTD Parquet file (write_sequence delta-encoded, as src/offline/parquet.ts writes it). */
export function writeOfflineTable(table: Table): Uint8Array {
  const properties = new WriterPropertiesBuilder()
    .setCompression(Compression.ZSTD)
    .setColumnDictionaryEnabled("write_sequence", false)
    .setColumnEncoding("write_sequence", Encoding.DELTA_BINARY_PACKED)
    .build();
  return writeParquet(WasmTable.fromIPCStream(tableToIPC(table, "stream")), properties);
}
