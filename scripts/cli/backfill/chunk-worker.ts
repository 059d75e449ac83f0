// Entry of a chunk worker thread (pool.ts): runs chunk tasks and answers
// with their results, the Parquet bytes transferred, not copied. It runs as
// its own bundle (chunk-worker.mjs next to the CLI's, scripts/lib/ts-bundle.mjs),
// apache-arrow included, so a thread compiles one module at start.
import { parentPort, workerData } from "node:worker_threads";
import { type ChunkResult, type ChunkSetup, type ChunkTask, chunkWork } from "./chunk-work";

/** A message to a worker: one task. */
export interface TaskMessage {
  id: number;
  task: ChunkTask;
}

/** A worker's answer: the task's result, or what it threw. */
export type ResultMessage = { id: number; result: ChunkResult; error?: undefined } | { id: number; result?: undefined; error: { message: string; stack?: string } };

const port = parentPort;
if (!port) throw new Error("chunk-worker runs as a worker thread of the CLI's chunk pool");
const { setup } = workerData as { setup: ChunkSetup };
const work = chunkWork(setup);

port.on("message", ({ id, task }: TaskMessage) => {
  try {
    const result = work(task);
    const answer: ResultMessage = { id, result };
    port.postMessage(answer, result.files.map((f) => f.bytes.buffer as ArrayBuffer));
  } catch (error) {
    const answer: ResultMessage = { id, error: error instanceof Error ? { message: error.message, stack: error.stack } : { message: String(error) } };
    port.postMessage(answer);
  }
});
