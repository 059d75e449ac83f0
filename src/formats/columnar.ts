import { RecordBatchReader, tableFromIPC, type RecordBatch } from "apache-arrow";
import { ParquetFile, type RecordBatch as WasmRecordBatch } from "parquet-wasm/esm";
import { ensureParquetWasm } from "../offline/parquet";
import type { FeatureDefinition } from "../records";
import { rowsOfBatch } from "./arrow-rows";
import { MAX_PARQUET_ROW_GROUP_BYTES } from "../records/limits";
import { tooLarge, tooManyRows, unreadable, type ReadOptions, type SourceRow } from "./rows";

/**
 * The columnar readers: Arrow IPC (stream and file format) and Parquet.
 *
 * An Arrow IPC stream is decoded batch by batch as it arrives, so memory
 * holds one record batch, not the body. The Arrow file format and Parquet
 * keep their index at the end (footer), so those bodies are buffered,
 * within MAX_BUFFERED_BODY_BYTES checked before reading; Parquet is then
 * decoded one row group at a time.
 *
 * An input that cannot be decoded is unreadable whole (naming the row
 * where decoding stopped): a truncated file must not be half-loaded.
 * Rows are numbered 1, 2, 3… in file order.
 */
export const ARROW_STREAM_TYPE = "application/vnd.apache.arrow.stream";
export const ARROW_FILE_TYPE = "application/vnd.apache.arrow.file";
export const PARQUET_TYPE = "application/vnd.apache.parquet";

function malformed(field: string, format: string, nextRow: number, error: unknown): never {
  const detail = error instanceof Error ? error.message : String(error);
  return unreadable(field, `must be a valid ${format} (decoding failed at row ${nextRow}: ${detail.slice(0, 200)})`);
}

/** Counts bytes as they stream through and stops the stream past the limit. */
function byteLimit(limitBytes: number, exceeded: () => void): TransformStream<Uint8Array, Uint8Array> {
  let total = 0;
  return new TransformStream({
    transform(chunk, controller) {
      total += chunk.byteLength;
      if (total > limitBytes) {
        exceeded();
        controller.error(new Error("body too large"));
        return;
      }
      controller.enqueue(chunk);
    },
  });
}

async function* rowsOfBatches(batches: AsyncIterable<RecordBatch> | Iterable<RecordBatch>, features: ReadonlyMap<string, FeatureDefinition>, format: string, options: ReadOptions, exceeded: () => boolean): AsyncGenerator<SourceRow> {
  let next = 1;
  const iterator = Symbol.asyncIterator in batches ? batches[Symbol.asyncIterator]() : (batches as Iterable<RecordBatch>)[Symbol.iterator]();
  for (;;) {
    let step: IteratorResult<RecordBatch>;
    try {
      step = await iterator.next();
    } catch (error) {
      if (exceeded()) tooLarge(options.field, options.maxBytes ?? 0);
      malformed(options.field, format, next, error);
    }
    if (step.done) break;
    // Decoding is lazy: a batch whose buffers contradict its metadata fails here, row by row.
    const rows = rowsOfBatch(step.value, features, next);
    for (;;) {
      let row: IteratorResult<SourceRow>;
      try {
        row = rows.next();
      } catch (error) {
        malformed(options.field, format, next, error);
      }
      if (row.done) break;
      next = row.value.row + 1;
      if (options.maxRows !== undefined && row.value.row > options.maxRows) tooManyRows(options.field, options.maxRows);
      yield row.value;
    }
  }
  if (next === 1) unreadable(options.field, `must hold at least one row (the ${format} has none)`);
}

/** Rows of an Arrow IPC stream body, decoded record batch by record batch as it arrives. */
export async function* arrowStreamRows(body: ReadableStream<Uint8Array>, features: ReadonlyMap<string, FeatureDefinition>, options: ReadOptions): AsyncGenerator<SourceRow> {
  let exceeded = false;
  const counted = body.pipeThrough(byteLimit(options.maxBytes ?? Infinity, () => (exceeded = true)));
  let reader: AsyncIterable<RecordBatch>;
  try {
    reader = await RecordBatchReader.from(counted);
  } catch (error) {
    if (exceeded) tooLarge(options.field, options.maxBytes ?? 0);
    malformed(options.field, "Arrow IPC stream", 1, error);
  }
  yield* rowsOfBatches(reader, features, "Arrow IPC stream", options, () => exceeded);
}

/** Rows of a buffered Arrow IPC file (or stream) body. */
export function arrowFileRows(bytes: Uint8Array, features: ReadonlyMap<string, FeatureDefinition>, options: ReadOptions): AsyncGenerator<SourceRow> {
  if (options.maxBytes !== undefined && bytes.byteLength > options.maxBytes) tooLarge(options.field, options.maxBytes);
  let batches: Iterable<RecordBatch>;
  try {
    batches = tableFromIPC(bytes).batches;
  } catch (error) {
    malformed(options.field, "Arrow IPC file", 1, error);
  }
  return rowsOfBatches(batches, features, "Arrow IPC file", options, () => false);
}

/**
 * Rows decoded at a time from a Parquet body: the body's row groups can be
 * as large as its writer chose, and a whole decoded row group of a 16 MiB
 * ZSTD file can be several times the isolate's memory (docs/limits.md).
 */
const PARQUET_BATCH_ROWS = 2_048;

/**
 * One Parquet body is decoded at a time per isolate. A reader holds its row
 * group's compressed pages and one decompressed page per column in
 * WebAssembly memory, which never shrinks: three bodies decoded at once
 * measured 77 MiB of it (docs/limits.md). Decoding is CPU work on the
 * isolate's one thread anyway, so taking turns costs little. A turn not
 * handed back (a request whose reader is never resumed) is passed on after
 * PARQUET_TURN_MAX_WAIT_MS rather than blocking the isolate.
 */
let parquetTurn: Promise<void> = Promise.resolve();
const PARQUET_TURN_MAX_WAIT_MS = 60_000;

async function takeParquetTurn(): Promise<() => void> {
  const previous = parquetTurn;
  let release!: () => void;
  parquetTurn = new Promise<void>((resolve) => (release = resolve));
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([previous, new Promise<void>((resolve) => (timer = setTimeout(resolve, PARQUET_TURN_MAX_WAIT_MS)))]);
  clearTimeout(timer);
  return release;
}

/** Rows of a buffered Parquet body, decoded PARQUET_BATCH_ROWS at a time (parquet-wasm's async reader holds one row group's compressed pages). */
export async function* parquetRows(body: Blob, features: ReadonlyMap<string, FeatureDefinition>, options: ReadOptions): AsyncGenerator<SourceRow> {
  if (options.maxBytes !== undefined && body.size > options.maxBytes) tooLarge(options.field, options.maxBytes);
  const release = await takeParquetTurn();
  try {
    yield* parquetTurnRows(body, features, options);
  } finally {
    release();
  }
}

async function* parquetTurnRows(body: Blob, features: ReadonlyMap<string, FeatureDefinition>, options: ReadOptions): AsyncGenerator<SourceRow> {
  ensureParquetWasm();
  let file: ParquetFile;
  let large: { index: number; bytes: number; rows: number } | undefined;
  try {
    file = await ParquetFile.fromFile(body);
    file.metadata().rowGroups().forEach((group, index) => {
      if (!large && group.totalByteSize() > MAX_PARQUET_ROW_GROUP_BYTES) large = { index, bytes: group.totalByteSize(), rows: group.numRows() };
    });
  } catch (error) {
    malformed(options.field, "Parquet file", 1, error);
  }
  if (large) {
    file.free();
    unreadable(
      options.field,
      `must have row groups of at most ${MAX_PARQUET_ROW_GROUP_BYTES} bytes uncompressed (row group ${large.index} holds ${large.rows} rows in ${large.bytes} bytes; write smaller row groups)`,
    );
  }
  if (options.maxRows !== undefined && Number(file.metadata().fileMetadata().numRows()) > options.maxRows) {
    file.free();
    tooManyRows(options.field, options.maxRows);
  }
  async function* batches(): AsyncGenerator<RecordBatch> {
    const reader = (await file.stream({ batchSize: PARQUET_BATCH_ROWS, concurrency: 1 })).getReader() as ReadableStreamDefaultReader<WasmRecordBatch>;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield* tableFromIPC(value.intoIPCStream()).batches;
      }
    } finally {
      reader.releaseLock();
    }
  }
  try {
    yield* rowsOfBatches(batches(), features, "Parquet file", options, () => false);
  } finally {
    file.free();
  }
}
