// Offline-only backfill: validated rows written as Parquet in the offline
// store's layout straight to the offline bucket (S3 API), each file then
// registered through POST /v1/feature-groups/{name}/offline-store/files.
//
// Idempotence: a file's key and fileId derive from (input identity, chunk,
// partition), and its bytes from the rows and the checkpoint's write time,
// so a re-run rewrites the same objects and re-registers the same files (a
// no-op); keys already in the manifest are not even uploaded again.
import { createHash } from "node:crypto";
import { CliError, EXIT } from "../errors.mjs";
import { seg } from "../api.mjs";
import { encodeOfflineFile } from "./parquet.mjs";
import { putObjectBytes, s3Client } from "./s3.mjs";
import { partitioner } from "./validate.mjs";

/** Chunks in flight (encoded, uploading or registering) at once. */
const MAX_IN_FLIGHT = 3;

const sha = (text) => createHash("sha256").update(text).digest("hex");

/** Key name and fileId of one (input, chunk, partition). */
export function fileNaming(identity, chunk, partition) {
  const compactHour = partition.replace(/\D/g, "");
  return { name: `bf-${sha(`${identity}\n${chunk}\n${partition}`).slice(0, 32)}`, fileId: `bf-${identity.slice(0, 24)}:${chunk}:${compactHour}` };
}

export class OfflineWriter {
  /**
   * @param {{ api: import("../api.mjs").Api, group: any, store: any, offlineS3: any, checkpoint: import("./checkpoint.mjs").Checkpoint, progress: import("./progress.mjs").Progress, stopAfterChunks: number | null }} deps
   */
  constructor(deps) {
    Object.assign(this, deps);
    if (!deps.offlineS3) throw new CliError(EXIT.USAGE, "offline backfill needs the offline bucket's S3 endpoint and credentials: set FS_OFFLINE_S3_ENDPOINT, FS_OFFLINE_S3_ACCESS_KEY_ID and FS_OFFLINE_S3_SECRET_ACCESS_KEY");
    this.s3 = s3Client(deps.offlineS3);
    this.registered = new Set(deps.store.files.map((f) => f.key));
    this.partitionOf = partitioner();
    this.chunksThisRun = 0;
    this.filesWritten = 0;
    this.filesSkipped = 0;
  }

  /** Writes the chunks of one validated input that the checkpoint does not hold yet. */
  async write(identity, name, rows, inputBytes) {
    const chunkRows = this.checkpoint.chunkRows;
    const chunks = Math.max(1, Math.ceil(rows.length / chunkRows));
    const entry = this.checkpoint.input(identity, name, rows.length, chunks);
    const done = new Set(entry.done);
    const inFlight = [];
    for (let chunk = 0; chunk < chunks; chunk++) {
      const slice = rows.slice(chunk * chunkRows, (chunk + 1) * chunkRows);
      const share = (inputBytes * slice.length) / Math.max(1, rows.length);
      if (done.has(chunk)) {
        this.progress.advance({ rows: 0, bytes: share, label: `${name} chunk ${chunk + 1}/${chunks} (done before)` });
        continue;
      }
      const files = this.encodeChunk(identity, chunk, slice);
      const work = Promise.all(files.map((file) => this.store1(file))).then(() => {
        this.checkpoint.markDone(identity, chunk);
        this.progress.advance({ rows: slice.length, bytes: share, label: `${name} chunk ${chunk + 1}/${chunks}` });
        this.chunksThisRun += 1;
        if (this.stopAfterChunks !== null && this.chunksThisRun >= this.stopAfterChunks) {
          // Test hook (FS_CLI_STOP_AFTER_CHUNKS): stop abruptly, as a crash would, with other chunks in flight.
          this.progress.note(`stopping after ${this.chunksThisRun} chunk(s) (FS_CLI_STOP_AFTER_CHUNKS); run again to resume`);
          process.exit(EXIT.INTERRUPTED);
        }
      });
      // Awaited below in order; until then a failure must not count as unhandled (Node would exit 1 before the CLI can map it).
      work.catch(() => {});
      inFlight.push(work);
      if (inFlight.length >= MAX_IN_FLIGHT) await inFlight.shift();
    }
    await Promise.all(inFlight);
  }

  /** The chunk's rows split by hourly partition, each encoded as one offline file. */
  encodeChunk(identity, chunk, rows) {
    const byPartition = new Map();
    for (const row of rows) {
      const partition = this.partitionOf(row);
      let list = byPartition.get(partition);
      if (!list) byPartition.set(partition, (list = []));
      list.push(row);
    }
    const files = [];
    for (const [partition, partRows] of byPartition) {
      const { name, fileId } = fileNaming(identity, chunk, partition);
      const key = `${this.store.prefix}${partition}/${name}.parquet`;
      if (this.registered.has(key)) {
        this.filesSkipped += 1;
        continue;
      }
      let minEvent = Infinity;
      let maxEvent = -Infinity;
      for (const r of partRows) {
        if (r.eventMs < minEvent) minEvent = r.eventMs;
        if (r.eventMs > maxEvent) maxEvent = r.eventMs;
      }
      const bytes = encodeOfflineFile(this.group.features, partRows, this.checkpoint.writeTimeMs);
      files.push({ key, fileId, partition, rows: partRows.length, bytes, minEventTime: minEvent, maxEventTime: maxEvent });
    }
    return files;
  }

  async store1(file) {
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
}
