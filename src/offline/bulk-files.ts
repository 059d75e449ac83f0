import type { CatalogDb } from "../catalog";
import type { OfflineWriteKey } from "../crypto/offline-objects";
import { availableTimeMs, bulkSequence, epochMsOfKey, type Availability, type FeatureValue } from "../records";
import { fileKey, partitionOf, type OfflineLocationConfig } from "./layout";
import { registeredBatchTimes, registerFiles, type GenerationSchema, type ManifestFile } from "./manifest";
import { encodeParquet, type OfflineRowValues } from "./parquet";

/**
 * The offline half of a bulk request, written by the API worker itself:
 * Parquet files per (chunk of the request, hourly partition), registered in
 * the manifest with the same batch bookkeeping the queue consumer uses. This
 * skips the shard outbox, the queue and the consumer for rows that already
 * arrive in bulk (the measured bottleneck, see docs/benchmarks.md).
 *
 * Bounded memory: the caller hands the rows over in chunks as it reads them
 * (service/bulk-ingest.ts) and each chunk is encoded and put at once, so a
 * request never holds more than one chunk's values and one chunk's Parquet
 * (isolate memory, docs/limits.md). Files stay invisible until `finish`
 * registers them all in one D1 transaction; files of a request that ends
 * otherwise are deleted (`discard`), or swept as orphans after the grace
 * period if the isolate dies first.
 *
 * Exactly once: the batch identity of each partition is derived from the
 * request's idempotency key (or content digest) and the partition. A retry
 * finds its batches registered at `finish`, deletes what it wrote and
 * registers nothing; of two racing attempts only one registration commits,
 * because registerFiles fails as a whole on a known batch. File names are
 * per attempt (a random id and the chunk number), since the content digest
 * is only known once the whole body was read.
 *
 * Version order: row n of the request's valid rows (body order) gets the
 * write sequence bulkSequence(accepted, n), where `accepted` is the instant
 * the writer started, which is also the registration time of its batches;
 * a retry learns the first attempt's instant at `finish` (`acceptedMsOf`),
 * so its online rows keep the stamps their offline rows were given.
 */
export interface BulkOfflineDeps {
  db: CatalogDb;
  bucket: R2Bucket;
  location: OfflineLocationConfig;
}

export interface BulkOfflineRow {
  eventKey: string;
  /**
   * The row's values, parsed from its canonical record body (which
   * round-trips exactly: int64 beyond 2^53 as decimal strings, finite
   * doubles). Called only while the row's file is encoded, so a held chunk
   * costs its bodies' bytes and nothing more (service/chunk-bodies.ts).
   */
  values: () => Record<string, FeatureValue>;
  /** 0-based position among the request's valid rows: the row's write sequence. */
  position: number;
}

export interface BulkOfflineResult {
  /** Rows this request registered. */
  written: number;
  /** Rows of partitions an earlier request with the same identity already registered. */
  alreadyWritten: number;
  /** The accepted instant (base of the write sequences) of the rows of a partition. */
  acceptedMsOf: (partition: string) => number;
  files: ManifestFile[];
}

/** Batch identities of bulk files; never collide with outbox batches ("<generation>:<shard>:<n>"). */
export function bulkBatchId(generation: string, keyDigest: string, partition: string): string {
  return `bulk:${generation}:${keyDigest}:${partition}`;
}

export interface BulkOfflineOptions {
  apiInvocationTimeMs: number;
  /** The accepted instant: write_time of every row and the base of the write sequences. */
  now: number;
  writeKey: OfflineWriteKey;
  availability: Availability;
}

/** Writes a bulk request's offline rows chunk by chunk; registers them at `finish`. */
export class BulkOfflineWriter {
  readonly #deps: BulkOfflineDeps;
  readonly #schema: GenerationSchema;
  readonly #opts: BulkOfflineOptions;
  /** Names this attempt's objects apart from any other attempt's. */
  readonly #attempt = crypto.randomUUID().replaceAll("-", "");
  #chunks = 0;
  readonly #files: ManifestFile[] = [];

  constructor(deps: BulkOfflineDeps, schema: GenerationSchema, opts: BulkOfflineOptions) {
    this.#deps = deps;
    this.#schema = schema;
    this.#opts = opts;
  }

  get acceptedMs(): number {
    return this.#opts.now;
  }

  /** Encodes and puts one chunk of rows: one Parquet file per hourly partition it touches. */
  async write(rows: readonly BulkOfflineRow[]): Promise<void> {
    const chunk = this.#chunks++;
    const { now, apiInvocationTimeMs, availability, writeKey } = this.#opts;
    for (const [partition, members] of byPartition(rows)) {
      let minEvent = Infinity;
      let maxEvent = -Infinity;
      const values: OfflineRowValues[] = members.map((r) => {
        const eventMs = epochMsOfKey(r.eventKey);
        if (eventMs < minEvent) minEvent = eventMs;
        if (eventMs > maxEvent) maxEvent = eventMs;
        return { values: r.values(), writeTimeMs: now, apiInvocationTimeMs, isDeleted: false, writeSequence: bulkSequence(now, r.position), availableTimeMs: availableTimeMs(availability, eventMs, now) };
      });
      const bytes = encodeParquet(this.#schema.features, values);
      const key = fileKey(this.#deps.location, this.#schema.featureGroup, this.#schema.generation, partition, `bulk-${this.#attempt}-${chunk}${writeKey.nameSuffix}`);
      await this.#deps.bucket.put(key, bytes, writeKey.options);
      this.#files.push({
        key,
        generation: this.#schema.generation,
        featureGroup: this.#schema.featureGroup,
        partition,
        rowCount: members.length,
        byteSize: bytes.byteLength,
        minEventTime: minEvent,
        maxEventTime: maxEvent,
        minWriteTime: now,
        maxWriteTime: now,
        schemaVersion: this.#schema.catalogVersion,
      });
    }
  }

  /**
   * Registers the files of every partition not registered yet under the
   * request's identity (`keyDigest`, see ingest/idempotency.ts), in one D1
   * transaction, and deletes the files of partitions that were.
   */
  async finish(keyDigest: string): Promise<BulkOfflineResult> {
    const rowsOf = new Map<string, number>();
    for (const f of this.#files) rowsOf.set(f.partition, (rowsOf.get(f.partition) ?? 0) + f.rowCount);
    const batchOf = (partition: string) => bulkBatchId(this.#schema.generation, keyDigest, partition);
    let known = await registeredBatchTimes(this.#deps.db, [...rowsOf.keys()].map(batchOf));
    const result = (registered: ManifestFile[]): BulkOfflineResult => {
      const registeredBefore = known;
      const alreadyWritten = [...rowsOf].reduce((n, [p, rows]) => n + (registeredBefore.has(batchOf(p)) ? rows : 0), 0);
      return { written: registered.reduce((n, f) => n + f.rowCount, 0), alreadyWritten, acceptedMsOf: (p) => registeredBefore.get(batchOf(p)) ?? this.acceptedMs, files: registered };
    };
    const fresh = this.#files.filter((f) => !known.has(batchOf(f.partition)));
    await this.#delete(this.#files.filter((f) => known.has(batchOf(f.partition))));
    if (fresh.length === 0) return result([]);
    const batches = [...rowsOf].filter(([p]) => !known.has(batchOf(p))).map(([p, rowCount]) => ({ batchId: batchOf(p), rowCount }));
    try {
      await registerFiles(this.#deps.db, fresh, batches, this.acceptedMs);
    } catch (error) {
      // A racing attempt with the same identity registered first: its files hold the same rows.
      known = await registeredBatchTimes(this.#deps.db, [...rowsOf.keys()].map(batchOf));
      await this.#delete(fresh);
      if (batches.every((b) => known.has(b.batchId))) return result([]);
      throw error;
    }
    return result(fresh);
  }

  /** Deletes every object this attempt wrote (nothing was registered: a rejected or failed request). */
  async discard(): Promise<void> {
    await this.#delete(this.#files);
  }

  /** Best effort: an object left behind is unregistered, invisible, and swept after the grace period. */
  async #delete(files: readonly ManifestFile[]): Promise<void> {
    for (let i = 0; i < files.length; i += 1000) {
      await this.#deps.bucket.delete(files.slice(i, i + 1000).map((f) => f.key)).catch((error: unknown) => console.error("bulk offline cleanup failed", { error: String(error) }));
    }
  }
}

/** The rows by hourly partition, keeping input order within each. */
function byPartition(rows: readonly BulkOfflineRow[]): Map<string, BulkOfflineRow[]> {
  const groups = new Map<string, BulkOfflineRow[]>();
  for (const row of rows) {
    const partition = partitionOf(row.eventKey);
    const list = groups.get(partition);
    if (list) list.push(row);
    else groups.set(partition, [row]);
  }
  return groups;
}
