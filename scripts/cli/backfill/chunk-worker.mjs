// Entry of a chunk worker thread (pool.mjs): runs chunk tasks and answers
// with their results, the Parquet bytes transferred, not copied. Module
// hooks of the main thread do not reach worker threads, so this one
// registers the resolver the project's TypeScript sources need itself.
import { register } from "node:module";
import { parentPort, workerData } from "node:worker_threads";

register("../ts-resolve.mjs", import.meta.url);
const { chunkWork } = await import("./chunk-work.mjs");
const work = chunkWork(workerData);

parentPort.on("message", ({ id, task }) => {
  try {
    const result = work(task);
    parentPort.postMessage({ id, result }, result.files.map((f) => f.bytes.buffer));
  } catch (error) {
    parentPort.postMessage({ id, error: { message: error?.message ?? String(error), stack: error?.stack } });
  }
});
