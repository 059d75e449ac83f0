// Offline-only backfill: validated rows written as Parquet in the offline
// store's layout straight to the offline bucket (S3 API), each file then
// registered through POST /v1/feature-groups/{name}/offline-store/files.
//
// An input goes through two phases. First every chunk is validated and
// encoded by the chunk pool (worker threads) while the main thread reads
// the next chunks; the encoded files (ZSTD Parquet, a few bytes a row) wait
// in memory, up to a budget, because nothing of an input with an invalid
// row may be written. Then the files are uploaded and registered, a few
// chunks at a time (chunks past the budget encoded again on the way), and
// each finished chunk is recorded in the checkpoint.
//
// Idempotence: a file's key and fileId derive from (input identity, chunk,
// partition), and its bytes from the rows, the checkpoint's write time and
// its availability (the knowledge time rule, fixed when the checkpoint starts),
// so a re-run rewrites the same objects and re-registers the same files (a
// no-op); keys already in the manifest are not even encoded again.
import type { S3Client } from "@aws-sdk/client-s3";
import { type Api, seg } from "../api";
import type { Config } from "../config";
import { CliError, EXIT } from "../errors";
import type { Checkpoint } from "./checkpoint";
import { chunkTasks } from "./chunk-source";
import type { ChunkResult } from "./chunk-work";
import type { OfflineFile } from "./encode-batch";
import type { Input } from "./inputs";
import { ChunkPool } from "./pool";
import type { Progress } from "./progress";
import { putObjectBytes, s3Client } from "./s3";
import type { GroupView, OfflineStoreView, Problem } from "./views";

/** A chunk's result, and whether its files were encoded (false: validated only, encoded again on upload). */
type ProcessedChunk = ChunkResult & { encoded: boolean };

/** An input after process: its rows and problems, and per chunk its result (null once handed to write). */
export interface ProcessedInput {
  rows: number;
  invalid: Problem[];
  results: (ProcessedChunk | null)[];
  input: Input;
  bytes: Uint8Array;
}

export interface OfflineWriterDeps {
  api: Api;
  group: GroupView;
  store: OfflineStoreView;
  offlineS3: Config["offlineS3"];
  checkpoint: Checkpoint;
  progress: Progress;
  /** Test hook FS_CLI_STOP_AFTER_CHUNKS: exit as a crash would after this many chunks. */
  stopAfterChunks: number | null;
  workers: number;
  encodedBudget: number;
}

/** Chunks uploading or registering at once. */
const MAX_IN_FLIGHT = 4;

/**
 * Encoded files kept per input while it is validated. An input whose files
 * need more is validated whole first and its remaining chunks encoded again
 * afterwards, so memory stays bounded whatever the input's size.
 */
export const ENCODED_BUDGET_BYTES = 256 * 1024 * 1024;

export class OfflineWriter {
  readonly api: Api;
  readonly group: GroupView;
  readonly store: OfflineStoreView;
  readonly checkpoint: Checkpoint;
  readonly progress: Progress;
  readonly stopAfterChunks: number | null;
  readonly encodedBudget: number;
  readonly s3: S3Client;
  /** Keys in the manifest: registered before this run or by it. */
  readonly registered: Set<string>;
  readonly pool: Promise<ChunkPool>;
  chunksThisRun = 0;
  filesWritten = 0;
  filesSkipped = 0;

  constructor(deps: OfflineWriterDeps) {
    if (!deps.offlineS3) throw new CliError(EXIT.USAGE, "offline backfill needs the offline bucket's S3 endpoint and credentials: set FS_OFFLINE_S3_ENDPOINT, FS_OFFLINE_S3_ACCESS_KEY_ID and FS_OFFLINE_S3_SECRET_ACCESS_KEY");
    ({ api: this.api, group: this.group, store: this.store, checkpoint: this.checkpoint, progress: this.progress, stopAfterChunks: this.stopAfterChunks, encodedBudget: this.encodedBudget } = deps);
    this.s3 = s3Client(deps.offlineS3);
    this.registered = new Set(deps.store.files.map((f) => f.key));
    const { name, recordIdentifierFeature, eventTimeFeature, features } = deps.group;
    // Started now, so the threads load while the first input is read (awaited by process and close).
    this.pool = ChunkPool.start(deps.workers, {
      group: { name, recordIdentifierFeature, eventTimeFeature, features },
      prefix: deps.store.prefix,
      writeTimeMs: deps.checkpoint.writeTimeMs,
      availability: deps.checkpoint.availability,
      registered: [...this.registered].filter((key) => key.startsWith(deps.store.prefix)),
    });
    this.pool.catch(() => {});
  }

  /**
   * Validates every chunk of an input and encodes those the checkpoint does
   * not hold yet (none once a row is found invalid), keeping at most
   * encodedBudget bytes of encoded files: chunks past it are only validated
   * now, and encoded again by write.
   */
  async process(input: Input, bytes: Uint8Array, identity: string): Promise<ProcessedInput> {
    const pool = await this.pool;
    const done = new Set(this.checkpoint.state.inputs[identity]?.done ?? []);
    const results: ProcessedChunk[] = [];
    let invalidSeen = false;
    let held = 0;
    const inFlight = new Set<Promise<void>>();
    for await (const task of chunkTasks(bytes, input.format, this.checkpoint.chunkRows)) {
      if (task.fatal) {
        await Promise.allSettled(inFlight);
        return { rows: 1, invalid: [{ row: task.fatal.row, field: "row", rule: task.fatal.rule }], results: [], input, bytes };
      }
      const { share, ...work } = task;
      const encoded = !done.has(task.chunk) && !invalidSeen && held < this.encodedBudget;
      const job = pool.run({ ...work, identity, encode: encoded }).then((result) => {
        results[result.chunk] = { ...result, encoded };
        for (const file of result.files) held += file.bytes.byteLength;
        if (result.invalid.length > 0) invalidSeen = true;
        this.progress.advance({ rows: result.rows, bytes: share * input.size, label: `${input.name} chunk ${result.chunk + 1} ${done.has(result.chunk) ? "(done before)" : encoded ? "encoded" : "validated"}` });
      });
      const settle = () => inFlight.delete(job);
      job.then(settle, settle);
      inFlight.add(job);
      if (inFlight.size >= pool.capacity) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    return { rows: results.reduce((n, r) => n + r.rows, 0), invalid: results.flatMap((r) => r.invalid), results, input, bytes };
  }

  /**
   * Uploads and registers the chunks of a valid input that the checkpoint
   * does not hold yet: the encoded ones first, then those process only
   * validated, encoded again chunk by chunk as they upload.
   */
  async write(identity: string, name: string, processed: ProcessedInput): Promise<void> {
    // An input without rows is one empty chunk, so it too is recorded as done.
    const chunks = Math.max(1, processed.results.length);
    const entry = this.checkpoint.input(identity, name, processed.rows, chunks);
    const done = new Set(entry.done);
    const inFlight: Promise<void>[] = [];
    const upload = async (chunk: number, result: Promise<ChunkResult | null | undefined>) => {
      const work = result.then((r) => {
        this.filesSkipped += r?.skipped ?? 0;
        return Promise.all((r?.files ?? []).map((file) => this.store1(file)));
      });
      const finished = work.then(() => {
        this.checkpoint.markDone(identity, chunk);
        this.progress.advance({ label: `${name} chunk ${chunk + 1}/${chunks} registered` });
        this.chunksThisRun += 1;
        if (this.stopAfterChunks !== null && this.chunksThisRun >= this.stopAfterChunks) {
          // Test hook (FS_CLI_STOP_AFTER_CHUNKS): stop abruptly, as a crash would, with other chunks in flight.
          this.progress.note(`stopping after ${this.chunksThisRun} chunk(s) (FS_CLI_STOP_AFTER_CHUNKS); run again to resume`);
          process.exit(EXIT.INTERRUPTED);
        }
      });
      // Awaited below in order; until then a failure must not count as unhandled (Node would exit 1 before the CLI can map it).
      finished.catch(() => {});
      inFlight.push(finished);
      if (inFlight.length >= MAX_IN_FLIGHT) await inFlight.shift();
    };
    const again = new Set<number>();
    for (let chunk = 0; chunk < chunks; chunk++) {
      if (done.has(chunk)) continue;
      const result = processed.results[chunk];
      processed.results[chunk] = null;
      if (result && !result.encoded) again.add(chunk);
      else await upload(chunk, Promise.resolve(result));
    }
    if (again.size > 0) {
      const pool = await this.pool;
      for await (const task of chunkTasks(processed.bytes, processed.input.format, this.checkpoint.chunkRows)) {
        if (task.fatal || !again.has(task.chunk)) continue;
        const { share: _share, ...work } = task;
        const result = pool.run({ ...work, identity, encode: true }).then((r) => {
          if (r.invalid.length > 0) throw new Error(`chunk ${r.chunk} of ${name} was valid when first read and is not now`);
          return r;
        });
        await upload(task.chunk, result);
      }
    }
    await Promise.all(inFlight);
  }

  async store1(file: OfflineFile): Promise<void> {
    if (this.registered.has(file.key)) {
      this.filesSkipped += 1;
      return;
    }
    await putObjectBytes(this.s3, this.store.bucket, file.key, file.bytes);
    await this.api.request("POST", `/feature-groups/${seg(this.group.name)}/offline-store/files`, {
      idempotent: true,
      json: {
        key: file.key,
        fileId: file.fileId,
        partition: file.partition,
        rows: file.rows,
        bytes: file.bytes.byteLength,
        minEventTime: file.minEventTime,
        maxEventTime: file.maxEventTime,
        minWriteTime: this.checkpoint.writeTimeMs,
        maxWriteTime: this.checkpoint.writeTimeMs,
      },
    });
    this.registered.add(file.key);
    this.filesWritten += 1;
  }

  async close(): Promise<void> {
    await (await this.pool).close();
  }
}
