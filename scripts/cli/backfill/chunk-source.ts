// An input cut into chunk tasks on the main thread, lazily, so only the
// chunks in flight are decoded at once. A chunk is --chunk-rows rows of the
// input in order (for CSV and NDJSON: non-blank records and lines), the
// same rows whatever the number of workers, so its files keep their keys.
// Parquet is read row group by row group into Arrow record batches (IPC
// bytes the workers map without copying); CSV text and NDJSON bytes are cut
// at record boundaries (with the line each chunk starts on) and parsed by
// the workers with the store's readers (src/formats).
import { ParquetFile, readParquet } from "parquet-wasm";
import type { ParquetPart } from "./batch";
import type { ChunkInput } from "./chunk-work";
import { csvHeader } from "../../../src/formats/csv";
import { CsvRecordEnds } from "../../../src/formats/csv-scan";
import type { InputFormat } from "./decode";
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

function* csvTasks(bytes: Uint8Array, chunkRows: number): Generator<SourceTask | Unreadable> {
  let text: string;
  try {
    // The whole file is decoded here (a byte order mark dropped), so a file that is not UTF-8 is refused before any chunk.
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    yield { fatal: { row: 1, rule: "must be UTF-8 text" } };
    return;
  }
  const n = text.length;
  // Line numbers as the reader counts them (src/formats/rows.ts): physical lines, blank ones included.
  let line = 1;
  let i = 0;
  let header: string[] | null = null;
  const ends = new CsvRecordEnds(text);
  while (i < n && !header) {
    const end = ends.from(i);
    if (!end) break;
    if (!end.blank) header = csvHeader(text.slice(i, end.next));
    i = end.next;
    line += end.lines;
  }
  if (!header) {
    // An unterminated quote anywhere is the first thing wrong with a file, as the reader finds it.
    let j = i;
    for (let end = ends.from(j); j < n && end; end = ends.from(j)) j = end.next;
    yield { fatal: { row: 1, rule: j < n ? "has an unterminated quoted field" : "must have a header row" } };
    return;
  }
  let chunk = 0;
  let chunkStart = i;
  let chunkFirst = line;
  let count = 0;
  while (i < n) {
    const end = ends.from(i);
    if (!end) {
      // As the reader, an unterminated quote makes the whole file unreadable (chunks already out are discarded).
      yield { fatal: { row: 1, rule: "has an unterminated quoted field" } };
      return;
    }
    if (!end.blank) count += 1;
    i = end.next;
    line += end.lines;
    if (count === chunkRows) {
      yield { chunk, format: "csv", text: text.slice(chunkStart, i), header, firstLine: chunkFirst, share: (Math.min(i, n) - chunkStart) / n };
      chunk += 1;
      chunkStart = i;
      chunkFirst = line;
      count = 0;
    }
  }
  if (count > 0) yield { chunk, format: "csv", text: text.slice(chunkStart), header, firstLine: chunkFirst, share: (n - chunkStart) / n };
}

const LF = 0x0a;

/** Whether a line's bytes are blank as the NDJSON reader sees them: ASCII white space and byte order marks only. */
function blankLine(bytes: Uint8Array, start: number, end: number): boolean {
  for (let k = start; k < end; k++) {
    const b = bytes[k]!;
    if (b === 0x20 || b === 0x09 || b === 0x0d) continue;
    if (b === 0xef && bytes[k + 1] === 0xbb && bytes[k + 2] === 0xbf) {
      k += 2;
      continue;
    }
    return false;
  }
  return true;
}

/** NDJSON cut at LF bytes into chunks of chunkRows non-blank lines; each chunk's bytes are copied so a worker receives only them. */
function* ndjsonTasks(bytes: Uint8Array, chunkRows: number): Generator<SourceTask> {
  const n = bytes.byteLength;
  let chunk = 0;
  let line = 0;
  let count = 0;
  let chunkStart = 0;
  let chunkFirst = 1;
  for (let start = 0; start < n; ) {
    let end = bytes.indexOf(LF, start);
    if (end < 0) end = n;
    line += 1;
    if (!blankLine(bytes, start, end)) count += 1;
    start = end + 1;
    if (count === chunkRows) {
      yield { chunk, format: "ndjson", bytes: bytes.slice(chunkStart, Math.min(start, n)), firstLine: chunkFirst, share: (Math.min(start, n) - chunkStart) / Math.max(1, n) };
      chunk += 1;
      chunkStart = start;
      chunkFirst = line + 1;
      count = 0;
    }
  }
  if (count > 0) yield { chunk, format: "ndjson", bytes: bytes.slice(chunkStart), firstLine: chunkFirst, share: (n - chunkStart) / Math.max(1, n) };
}

/** An input's chunk tasks in order, or its one Unreadable entry (after which nothing more comes). */
export async function* chunkTasks(bytes: Uint8Array, format: InputFormat, chunkRows: number): AsyncGenerator<SourceTask | Unreadable> {
  if (format === "parquet") yield* parquetTasks(bytes, chunkRows);
  else yield* format === "csv" ? csvTasks(bytes, chunkRows) : ndjsonTasks(bytes, chunkRows);
}
