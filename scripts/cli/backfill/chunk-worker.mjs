// Entry of a chunk worker thread (pool.mjs): runs chunk tasks and answers
// with their results, the Parquet bytes transferred, not copied. The work is
// the bundle worker-bundle.mjs built, when there is one; otherwise the
// sources, through the resolver the project's TypeScript needs (module
// hooks of the main thread do not reach worker threads).
import { register } from "node:module";
import { parentPort, workerData } from "node:worker_threads";

const { bundle, setup } = workerData;
if (!bundle) register("../ts-resolve.mjs", import.meta.url);
const { chunkWork } = await import(bundle ?? "./chunk-work.mjs");
const work = chunkWork(setup);

parentPort.on("message", ({ id, task }) => {
  try {
    const result = work(task);
    parentPort.postMessage({ id, result }, result.files.map((f) => f.bytes.buffer));
  } catch (error) {
    parentPort.postMessage({ id, error: { message: error?.message ?? String(error), stack: error?.stack } });
  }
});
