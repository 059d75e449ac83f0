// Chunk work spread over worker threads (chunk-worker.mjs), one task at a
// time per thread, in submission order; or, with no threads, on the main
// thread. The main thread meanwhile reads inputs, uploads and registers.
import { Worker } from "node:worker_threads";
import { bundledChunkWork } from "./worker-bundle.mjs";

export class ChunkPool {
  /** @param {number} threads 0 = on the main thread @param {import("./chunk-work.mjs").ChunkSetup} setup */
  static async start(threads, setup) {
    if (threads === 0) return new ChunkPool(0, setup, null, (await import("./chunk-work.mjs")).chunkWork(setup));
    return new ChunkPool(threads, setup, await bundledChunkWork(), null);
  }

  constructor(threads, setup, bundle, local) {
    this.threads = threads;
    this.local = local;
    this.idle = [];
    this.queue = [];
    this.pending = new Map();
    this.nextId = 0;
    this.failure = null;
    this.workers = Array.from({ length: threads }, () => {
      const worker = new Worker(new URL("./chunk-worker.mjs", import.meta.url), { workerData: { bundle, setup } });
      worker.on("message", (message) => this.settle(worker, message));
      // A thread that dies fails everything it was given and everything after.
      worker.on("error", (error) => this.fail(error));
      worker.on("exit", (code) => {
        if (code !== 0 && !this.closing) this.fail(new Error(`a chunk worker exited with code ${code}`));
      });
      this.idle.push(worker);
      return worker;
    });
  }

  /** Tasks a caller may keep submitted at once: one running and one waiting per thread. */
  get capacity() {
    return Math.max(1, 2 * this.threads);
  }

  /** @param {import("./chunk-work.mjs").ChunkTask} task @returns {Promise<import("./chunk-work.mjs").ChunkResult>} */
  run(task) {
    if (this.local) return new Promise((resolve) => setImmediate(resolve)).then(() => this.local(task));
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, task, resolve, reject });
      this.dispatch();
    });
  }

  dispatch() {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop();
      const job = this.queue.shift();
      this.pending.set(job.id, { ...job, worker });
      worker.postMessage({ id: job.id, task: job.task });
    }
  }

  settle(worker, { id, result, error }) {
    const job = this.pending.get(id);
    this.pending.delete(id);
    this.idle.push(worker);
    this.dispatch();
    if (!job) return;
    if (error) {
      const failure = new Error(`chunk ${job.task.chunk}: ${error.message}`);
      failure.stack = error.stack;
      job.reject(failure);
    } else job.resolve(result);
  }

  fail(error) {
    this.failure ??= error;
    for (const job of [...this.pending.values(), ...this.queue]) job.reject(error);
    this.pending.clear();
    this.queue = [];
  }

  async close() {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
