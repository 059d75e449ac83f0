// The work on one chunk, wherever it runs (a chunk worker thread, or the
// main thread with --workers 0): the batch from what the main thread sent,
// validated column-wise, and, when the chunk is to be written and all its
// rows are valid, encoded as the chunk's offline files.
import type { Availability } from "../../../src/records";
import { csvBatch, ndjsonBatch, type ParquetPart, parquetBatch } from "./batch";
import { encodeBatch, type OfflineFile } from "./encode-batch";
import { validateBatch } from "./validate-batch";
import { type GroupSchemaView, recordSchemaOfView } from "./validate";
import type { Problem } from "./views";

/** What every chunk of a backfill shares; sent to each worker thread once. */
export interface ChunkSetup {
  group: GroupSchemaView;
  prefix: string;
  writeTimeMs: number;
  availability: Availability;
  /** Keys already registered under the group's prefix. */
  registered: string[];
}

/** A chunk's rows as chunk-source.ts cuts them: Arrow IPC parts of a Parquet input, the text of whole CSV records or the bytes of whole NDJSON lines. */
export type ChunkInput =
  | { format: "parquet"; parts: ParquetPart[]; firstRow: number }
  | { format: "csv"; text: string; header: string[]; firstLine: number }
  | { format: "ndjson"; bytes: Uint8Array; firstLine: number };

/** One chunk to validate, and to encode when `encode` (the checkpoint does not hold it yet and its input is valid so far). */
export type ChunkTask = { identity: string; chunk: number; encode: boolean } & ChunkInput;

export interface ChunkResult {
  chunk: number;
  rows: number;
  invalid: Problem[];
  files: OfflineFile[];
  /** Files not written because their key is registered already. */
  skipped: number;
}

/** The work function of one backfill: the schema and registered keys prepared once, then one call per chunk. */
export function chunkWork(setup: ChunkSetup): (task: ChunkTask) => ChunkResult {
  const schema = recordSchemaOfView(setup.group);
  const registered = new Set(setup.registered);
  return (task) => {
    const batch = task.format === "parquet" ? parquetBatch(task.parts, task.firstRow) : task.format === "csv" ? csvBatch(task.text, task.header, task.firstLine) : ndjsonBatch(task.bytes, task.firstLine);
    const rows = batch.length + batch.unreadable.length;
    const valid = validateBatch(schema, batch);
    if (valid.invalid.length > 0 || !task.encode) return { chunk: task.chunk, rows, invalid: valid.invalid, files: [], skipped: 0 };
    const target = { features: setup.group.features, prefix: setup.prefix, identity: task.identity, chunk: task.chunk, writeTimeMs: setup.writeTimeMs, availability: setup.availability, registered };
    return { chunk: task.chunk, rows, invalid: [], ...encodeBatch(target, valid, batch.length, batch.rowNumbers) };
  };
}
