import { tableFromIPC, tableToIPC, type Table } from "apache-arrow";
import { Compression, Encoding, ParquetFile, Table as WasmTable, transformParquetStream, WriterPropertiesBuilder, type RecordBatch as WasmRecordBatch } from "parquet-wasm/esm";
import { ensureParquetWasm } from "./parquet";

/**
 * Parquet in bounded memory, for rewrites of whole files (compaction): read
 * a file a few thousand rows at a time, write one as a stream of row groups,
 * and put it to R2 in parts. parquet-wasm's linear memory never shrinks once
 * grown, and the isolate has 128 MB for everything (docs/limits.md), so no
 * step may hold a file's decoded rows at once.
 */

/** Rows decoded at a time. */
export const READ_BATCH_ROWS = 4_096;
/** Rows per row group written: the writer buffers one row group's pages; readers decode one at a time. */
export const WRITE_ROW_GROUP_ROWS = 8_192;
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

/**
 * Encodes tables as one ZSTD Parquet file, as a byte stream: each table is
 * handed to parquet-wasm's streaming writer as it is produced, and row
 * groups leave as they fill. Properties as encodeParquet's (write_sequence
 * delta-encoded).
 */
export async function parquetStream(tables: AsyncIterable<Table>): Promise<ReadableStream<Uint8Array>> {
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
  const properties = new WriterPropertiesBuilder()
    .setCompression(Compression.ZSTD)
    .setMaxRowGroupSize(WRITE_ROW_GROUP_ROWS)
    .setColumnDictionaryEnabled("write_sequence", false)
    .setColumnEncoding("write_sequence", Encoding.DELTA_BINARY_PACKED)
    .build();
  return (await transformParquetStream(batches, properties)) as ReadableStream<Uint8Array>;
}

/**
 * Puts a byte stream of unknown length as one object: a single put when it
 * fits one part, else a multipart upload of PART_BYTES parts (aborted on
 * failure). Returns the object's size.
 */
export async function putInParts(bucket: R2Bucket, key: string, stream: ReadableStream<Uint8Array>, options: { ssecKey?: ArrayBuffer | string }): Promise<number> {
  const reader = stream.getReader();
  let parts: Uint8Array[] = [];
  let partBytes = 0;
  let total = 0;
  let upload: R2MultipartUpload | undefined;
  const uploaded: R2UploadedPart[] = [];
  const join = () => {
    const out = new Uint8Array(partBytes);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.byteLength;
    }
    parts = [];
    partBytes = 0;
    return out;
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      partBytes += value.byteLength;
      total += value.byteLength;
      if (partBytes >= PART_BYTES) {
        upload ??= await bucket.createMultipartUpload(key, options);
        uploaded.push(await upload.uploadPart(uploaded.length + 1, join(), options));
      }
    }
    if (!upload) {
      await bucket.put(key, join(), options);
      return total;
    }
    if (partBytes > 0) uploaded.push(await upload.uploadPart(uploaded.length + 1, join(), options));
    await upload.complete(uploaded);
    return total;
  } catch (error) {
    await upload?.abort().catch(() => undefined);
    throw error;
  } finally {
    reader.releaseLock();
  }
}

