// An input cut into chunk tasks on the main thread, lazily, so only the
// chunks in flight are decoded at once. A chunk is --chunk-rows rows of the
// input in order (for CSV and NDJSON: non-blank records and lines), the
// same rows whatever the number of workers, so its files keep their keys.
// Parquet is read row group by row group into Arrow record batches (IPC
// bytes the workers map without copying); CSV and NDJSON text is cut at
// record boundaries and parsed by the workers.
import { ParquetFile, readParquet } from "parquet-wasm";
import type { ParquetPart } from "./batch";
import type { ChunkInput } from "./chunk-work";
import { csvRecordEnd, csvRecords, type InputFormat } from "./decode";
import { messageOf } from "../errors";

/** A chunk cut from an input; share: the part of the input's bytes it stands for (progress). */
export type SourceTask = { chunk: number; share: number; fatal?: undefined } & ChunkInput;

/** An input that cannot be read at all: its only report entry. */
export interface Unreadable {
  fatal: { row: number; rule: string };
}

async function* parquetTasks(bytes: Uint8Array, chunkRows: number): AsyncGenerator<SourceTask | Unreadable> {
  let rowGroups: number[];
  try {
    // Input bytes come from a file or an S3 object, never a SharedArrayBuffer (which Blob's type rules out).
    const file = await ParquetFile.fromFile(new Blob([bytes as Uint8Array<ArrayBuffer>]));
    rowGroups = file.metadata().rowGroups().map((g) => g.numRows());
    file.free();
  } catch (error) {
    yield { fatal: { row: 1, rule: `must be a readable Parquet file (${messageOf(error)})` } };
    return;
  }
  const total = rowGroups.reduce((a, b) => a + b, 0);
  let chunk = 0;
  let parts: ParquetPart[] = [];
  let inChunk = 0;
  let firstRow = 1;
  const task = (): SourceTask => ({ chunk, format: "parquet", parts, firstRow, share: inChunk / total });
  // parquet-wasm decodes a whole selection before returning any of it: a large row group is read in
  // two parts, its first two chunks' rows first, so two workers have work while the rest is decoded.
  const lead = 2 * chunkRows;
  const reads = rowGroups.flatMap((n, g) => (n > lead ? [{ rowGroups: [g], limit: lead }, { rowGroups: [g], offset: lead }] : [{ rowGroups: [g] }]));
  for (const read of reads) {
    const table = readParquet(bytes, { ...read, batchSize: chunkRows });
    const batches = table.numBatches;
    for (let b = 0; b < batches; b++) {
      // b < numBatches: the batch exists.
      const batch = table.recordBatch(b)!;
      const n = batch.numRows;
      const ipc = batch.intoIPCStream();
      for (let start = 0; start < n; ) {
        const take = Math.min(n - start, chunkRows - inChunk);
        parts.push({ ipc, start, end: start + take });
        inChunk += take;
        start += take;
        if (inChunk === chunkRows) {
          yield task();
          chunk += 1;
          firstRow += inChunk;
          parts = [];
          inChunk = 0;
        }
      }
    }
    table.free();
  }
  if (inChunk > 0) yield task();
}

function* csvTasks(text: string, chunkRows: number): Generator<SourceTask | Unreadable> {
  const n = text.length;
  let header: string[] | undefined;
  let i = 0;
  try {
    if (n > 0) {
      const first = csvRecordEnd(text, 0);
      header = csvRecords(text.slice(0, first.next))[0];
      i = first.next;
    }
    if (!header || (header.length === 1 && header[0] === "")) {
      // An unterminated quote anywhere is the first thing wrong with a file (as in decode.ts).
      for (let j = i; j < n; ) j = csvRecordEnd(text, j).next;
      yield { fatal: { row: 1, rule: "must have a header row" } };
      return;
    }
  } catch (error) {
    yield { fatal: { row: 1, rule: messageOf(error) } };
    return;
  }
  let chunk = 0;
  let record = 1;
  let chunkStart = i;
  let chunkFirst = 1;
  let count = 0;
  while (i < n) {
    let end: { next: number; blank: boolean };
    try {
      end = csvRecordEnd(text, i);
    } catch (error) {
      // As in decode.ts, an unterminated quote makes the whole file unreadable (chunks already out are discarded).
      yield { fatal: { row: 1, rule: messageOf(error) } };
      return;
    }
    if (!end.blank) count += 1;
    i = end.next;
    record += 1;
    if (count === chunkRows) {
      yield { chunk, format: "csv", text: text.slice(chunkStart, i), header, firstRecord: chunkFirst, share: (Math.min(i, n) - chunkStart) / n };
      chunk += 1;
      chunkStart = i;
      chunkFirst = record;
      count = 0;
    }
  }
  if (count > 0) yield { chunk, format: "csv", text: text.slice(chunkStart), header, firstRecord: chunkFirst, share: (n - chunkStart) / n };
}

function* ndjsonTasks(text: string, chunkRows: number): Generator<SourceTask> {
  const n = text.length;
  let chunk = 0;
  let line = 0;
  let count = 0;
  let chunkStart = 0;
  let chunkFirst = 1;
  for (let start = 0; start <= n; ) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = n;
    line += 1;
    if (text.slice(start, end).trim()) count += 1;
    start = end + 1;
    if (count === chunkRows) {
      yield { chunk, format: "ndjson", text: text.slice(chunkStart, end), firstLine: chunkFirst, share: (end - chunkStart) / Math.max(1, n) };
      chunk += 1;
      chunkStart = start;
      chunkFirst = line + 1;
      count = 0;
    }
  }
  if (count > 0) yield { chunk, format: "ndjson", text: text.slice(chunkStart), firstLine: chunkFirst, share: (n - chunkStart) / Math.max(1, n) };
}

/** An input's chunk tasks in order, or its one Unreadable entry (after which nothing more comes). */
export async function* chunkTasks(bytes: Uint8Array, format: InputFormat, chunkRows: number): AsyncGenerator<SourceTask | Unreadable> {
  if (format === "parquet") yield* parquetTasks(bytes, chunkRows);
  else {
    const text = new TextDecoder().decode(bytes);
    yield* format === "csv" ? csvTasks(text, chunkRows) : ndjsonTasks(text, chunkRows);
  }
}
