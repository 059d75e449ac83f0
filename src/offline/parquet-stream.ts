import { tableFromIPC, tableToIPC, type Table } from "apache-arrow";
import { Compression, Encoding, ParquetFile, Table as WasmTable, transformParquetStream, WriterPropertiesBuilder, type RecordBatch as WasmRecordBatch } from "parquet-wasm/esm";
import { ensureParquetWasm } from "./parquet";

/**
 * Parquet in bounded memory, for files too large to build at once
 * (compaction, dataset job results): read a file a few thousand rows at a
 * time, write one as a stream of row groups, and put it to R2 in parts.
 * parquet-wasm's linear memory never shrinks once grown, and the isolate
 * has 128 MB for everything (docs/limits.md), so no step may hold a file's
 * decoded rows at once.
 */

/** Rows decoded at a time (each batch is copied into WebAssembly memory again to be written). */
export const READ_BATCH_ROWS = 1_024;
/** Most rows per row group written: the writer buffers one row group's pages; readers decode one at a time. */
export const WRITE_ROW_GROUP_ROWS = 8_192;
/** Fewest rows per row group, however wide the rows. */
export const MIN_ROW_GROUP_ROWS = 512;
/**
 * Compressed bytes a written row group should hold: the writer keeps them
 * (and each column's open pages) in WebAssembly memory until the group is
 * closed. 8,192 rows of 3.5 KB took 128 MiB (docs/limits.md).
 */
export const ROW_GROUP_TARGET_BYTES = 4 * 1024 * 1024;

/** Rows per written row group for rows of about `bytesPerRow` compressed bytes. */
export function rowGroupRows(bytesPerRow: number): number {
  const rows = Math.floor(ROW_GROUP_TARGET_BYTES / Math.max(1, bytesPerRow));
  return Math.max(MIN_ROW_GROUP_ROWS, Math.min(WRITE_ROW_GROUP_ROWS, rows));
}
/** Bytes per R2 part (R2 wants at least 5 MiB for every part but the last). */
export const PART_BYTES = 8 * 1024 * 1024;

/** The file's rows as Arrow tables of at most READ_BATCH_ROWS rows (parquet-wasm's async reader holds one row group's compressed pages). */
export async function* parquetBatches(bytes: Uint8Array): AsyncGenerator<Table> {
  ensureParquetWasm();
  const file = await ParquetFile.fromFile(new Blob([bytes]));
  try {
    const reader = (await file.stream({ batchSize: READ_BATCH_ROWS, concurrency: 1 })).getReader() as ReadableStreamDefaultReader<WasmRecordBatch>;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield tableFromIPC(value.intoIPCStream());
      }
    } finally {
      reader.releaseLock();
    }
  } finally {
    file.free();
  }
}

/** How parquetStream lays a file out. */
export interface StreamLayout {
  /** Most rows per row group. */
  rowsPerGroup: number;
  /**
   * Dataset results: no dictionaries (mostly distinct values: the pass costs
   * time and makes the file larger, see datasets/encode.ts) and no settings for
   * offline columns, which a result may not have.
   */
  dataset?: boolean;
}

/**
 * Encodes tables as one ZSTD Parquet file, as a byte stream: each table is
 * handed to parquet-wasm's streaming writer as it is produced, and row
 * groups leave as they fill. Offline files get encodeParquet's properties
 * (write_sequence delta-encoded).
 */
export async function parquetStream(tables: AsyncIterable<Table>, layout: StreamLayout = { rowsPerGroup: WRITE_ROW_GROUP_ROWS }): Promise<ReadableStream<Uint8Array>> {
  ensureParquetWasm();
  const source = tables[Symbol.asyncIterator]();
  const batches = new ReadableStream<WasmRecordBatch>(
    {
      async pull(controller) {
        const next = await source.next();
        if (next.done) return controller.close();
        const table = WasmTable.fromIPCStream(tableToIPC(next.value, "stream"));
        for (const batch of table.recordBatches()) controller.enqueue(batch);
      },
      async cancel() {
        await source.return?.();
      },
    },
    { highWaterMark: 0 },
  );
  const builder = new WriterPropertiesBuilder().setCompression(Compression.ZSTD).setMaxRowGroupSize(layout.rowsPerGroup);
  const properties = layout.dataset
    ? builder.setDictionaryEnabled(false).build()
    : builder.setColumnDictionaryEnabled("write_sequence", false).setColumnEncoding("write_sequence", Encoding.DELTA_BINARY_PACKED).build();
  return (await transformParquetStream(batches, properties)) as ReadableStream<Uint8Array>;
}

/**
 * Puts a byte stream of unknown length as one object: a single put when it
 * fits one part, else a multipart upload of parts of exactly PART_BYTES
 * (R2 wants every part but the last of one size), aborted on failure.
 * Returns the object's size.
 */
export async function putInParts(bucket: R2Bucket, key: string, stream: ReadableStream<Uint8Array>, options: { ssecKey?: ArrayBuffer | string }): Promise<number> {
  const reader = stream.getReader();
  const pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let total = 0;
  let upload: R2MultipartUpload | undefined;
  const uploaded: R2UploadedPart[] = [];
  /** The first `size` pending bytes as one array. */
  const take = (size: number): Uint8Array => {
    const out = new Uint8Array(size);
    for (let filled = 0; filled < size; ) {
      const head = pending[0]!;
      const n = Math.min(head.byteLength, size - filled);
      out.set(head.subarray(0, n), filled);
      filled += n;
      if (n === head.byteLength) pending.shift();
      else pending[0] = head.subarray(n);
    }
    pendingBytes -= size;
    return out;
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      pending.push(value);
      pendingBytes += value.byteLength;
      total += value.byteLength;
      while (pendingBytes >= PART_BYTES) {
        upload ??= await bucket.createMultipartUpload(key, options);
        uploaded.push(await upload.uploadPart(uploaded.length + 1, take(PART_BYTES), options));
      }
    }
    if (!upload) {
      await bucket.put(key, take(pendingBytes), options);
      return total;
    }
    if (pendingBytes > 0) uploaded.push(await upload.uploadPart(uploaded.length + 1, take(pendingBytes), options));
    await upload.complete(uploaded);
    return total;
  } catch (error) {
    await upload?.abort().catch(() => undefined);
    throw error;
  } finally {
    reader.releaseLock();
  }
}
