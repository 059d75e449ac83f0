// Chunk work spread over worker threads (chunk-worker.ts), one task at a
// time per thread, in submission order; or, with no threads, on the main
// thread. The main thread meanwhile reads inputs, uploads and registers.
import { Worker } from "node:worker_threads";
import type { ChunkResult, ChunkSetup, ChunkTask } from "./chunk-work";
import type { ResultMessage, TaskMessage } from "./chunk-worker";

/**
 * The worker threads' code: the chunk-worker bundle, which the bundle build
 * (scripts/lib/ts-bundle.mjs) writes next to this module's own bundle.
 */
const WORKER_URL = new URL("./chunk-worker.mjs", import.meta.url);

interface Job {
  id: number;
  task: ChunkTask;
  resolve: (result: ChunkResult) => void;
  reject: (error: Error) => void;
}

export class ChunkPool {
  readonly #threads: number;
  readonly #local: ((task: ChunkTask) => ChunkResult) | null;
  readonly #workers: Worker[];
  #idle: Worker[] = [];
  #queue: Job[] = [];
  readonly #pending = new Map<number, Job & { worker: Worker }>();
  #nextId = 0;
  #failure: Error | null = null;
  #closing = false;

  /** threads 0: the work runs on the main thread. */
  static async start(threads: number, setup: ChunkSetup): Promise<ChunkPool> {
    if (threads === 0) return new ChunkPool(0, setup, (await import("./chunk-work")).chunkWork(setup));
    return new ChunkPool(threads, setup, null);
  }

  private constructor(threads: number, setup: ChunkSetup, local: ((task: ChunkTask) => ChunkResult) | null) {
    this.#threads = threads;
    this.#local = local;
    this.#workers = Array.from({ length: threads }, () => {
      const worker = new Worker(WORKER_URL, { workerData: { setup } });
      worker.on("message", (message: ResultMessage) => this.#settle(worker, message));
      // A thread that dies fails everything it was given and everything after.
      worker.on("error", (error) => this.#fail(error instanceof Error ? error : new Error(String(error))));
      worker.on("exit", (code) => {
        if (code !== 0 && !this.#closing) this.#fail(new Error(`a chunk worker exited with code ${code}`));
      });
      this.#idle.push(worker);
      return worker;
    });
  }

  /** Tasks a caller may keep submitted at once: one running and one waiting per thread. */
  get capacity(): number {
    return Math.max(1, 2 * this.#threads);
  }

  run(task: ChunkTask): Promise<ChunkResult> {
    const local = this.#local;
    if (local) return new Promise((resolve) => setImmediate(resolve)).then(() => local(task));
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, task, resolve, reject });
      this.#dispatch();
    });
  }

  #dispatch(): void {
    while (this.#idle.length > 0 && this.#queue.length > 0) {
      const worker = this.#idle.pop()!;
      const job = this.#queue.shift()!;
      this.#pending.set(job.id, { ...job, worker });
      const message: TaskMessage = { id: job.id, task: job.task };
      worker.postMessage(message);
    }
  }

  #settle(worker: Worker, message: ResultMessage): void {
    const job = this.#pending.get(message.id);
    this.#pending.delete(message.id);
    this.#idle.push(worker);
    this.#dispatch();
    if (!job) return;
    if (message.error) {
      const failure = new Error(`chunk ${job.task.chunk}: ${message.error.message}`);
      failure.stack = message.error.stack;
      job.reject(failure);
    } else job.resolve(message.result);
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const job of [...this.#pending.values(), ...this.#queue]) job.reject(error);
    this.#pending.clear();
    this.#queue = [];
  }

  async close(): Promise<void> {
    this.#closing = true;
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}
