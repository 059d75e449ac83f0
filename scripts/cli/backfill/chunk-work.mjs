// The work on one chunk, wherever it runs (a chunk worker thread, or the
// main thread with --workers 0): the batch from what the main thread sent,
// validated column-wise, and, when the chunk is to be written and all its
// rows are valid, encoded as the chunk's offline files.
import { csvBatch, ndjsonBatch, parquetBatch } from "./batch.mjs";
import { encodeBatch } from "./encode-batch.mjs";
import { validateBatch } from "./validate-batch.mjs";
import { recordSchemaOfView } from "./validate.mjs";

/**
 * @typedef {{ group: { name: string, recordIdentifierFeature: string, eventTimeFeature: string, features: { name: string, type: string, collection?: unknown }[] }, prefix: string, writeTimeMs: number, availability: import("../../../src/records/order.ts").Availability, registered: string[] }} ChunkSetup
 * @typedef {{ identity: string, chunk: number, encode: boolean } & ({ format: "parquet", parts: { ipc: Uint8Array, start: number, end: number }[], firstRow: number } | { format: "csv", text: string, header: string[], firstRecord: number } | { format: "ndjson", text: string, firstLine: number })} ChunkTask
 * @typedef {{ chunk: number, rows: number, invalid: { row: number, field: string, rule: string }[], files: { key: string, fileId: string, partition: string, rows: number, bytes: Uint8Array, minEventTime: number, maxEventTime: number }[], skipped: number }} ChunkResult
 */

/** @param {ChunkSetup} setup @returns {(task: ChunkTask) => ChunkResult} */
export function chunkWork(setup) {
  const schema = recordSchemaOfView(setup.group);
  const registered = new Set(setup.registered);
  return (task) => {
    const batch = task.format === "parquet" ? parquetBatch(task.parts, task.firstRow) : task.format === "csv" ? csvBatch(task.text, task.header, task.firstRecord) : ndjsonBatch(task.text, task.firstLine);
    const rows = batch.length + batch.unreadable.length;
    const valid = validateBatch(schema, batch);
    if (valid.invalid.length > 0 || !task.encode) return { chunk: task.chunk, rows, invalid: valid.invalid, files: [], skipped: 0 };
    const target = { features: setup.group.features, prefix: setup.prefix, identity: task.identity, chunk: task.chunk, writeTimeMs: setup.writeTimeMs, availability: setup.availability, registered };
    return { chunk: task.chunk, rows, invalid: [], ...encodeBatch(target, valid, batch.length, batch.rowNumbers) };
  };
}
