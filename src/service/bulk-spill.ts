import { bulkStagingPrefixOf, type OfflineLocationConfig } from "../offline/layout";

/**
 * Where a bulk request keeps its valid rows between reading them and
 * sending them to the shards. Rows go online only once the whole body was
 * read and validated (onInvalid=reject writes nothing) and their offline
 * files are registered, so a large request would otherwise hold every
 * canonical record at once: 100,000 wide records are several times the
 * isolate's 128 MB (docs/limits.md). Full chunks are staged in R2 as JSON
 * and read back one at a time; the last chunk stays in memory, so a request
 * of one chunk never touches R2 here.
 *
 * Staged objects are encrypted by R2 (SSE-C) under a random key that lives
 * only in this request: the rows of an encrypted group are never at rest in
 * clear text, and nobody can read them back after the request. The request
 * deletes them; compaction sweeps leftovers of a dead isolate after the
 * grace period.
 */
export interface OnlineChunk {
  /** Position of the first row among the request's valid rows (its write sequence offset). */
  first: number;
  recordIdentifiers: string[];
  eventKeys: string[];
  eventTimesMs: number[];
  bodies: string[];
  /** A row's own write sequence (a version copied from the offline store), or null. */
  sequences: (number | null)[];
}

export class OnlineSpill {
  readonly #bucket: R2Bucket;
  readonly #prefix: string;
  readonly #ssecKey = crypto.getRandomValues(new Uint8Array(32)).buffer;
  readonly #keys: string[] = [];

  constructor(bucket: R2Bucket, location: OfflineLocationConfig) {
    this.#bucket = bucket;
    this.#prefix = `${bulkStagingPrefixOf(location)}/${crypto.randomUUID()}`;
  }

  get count(): number {
    return this.#keys.length;
  }

  async put(chunk: OnlineChunk): Promise<void> {
    const key = `${this.#prefix}/${this.#keys.length}.json`;
    await this.#bucket.put(key, JSON.stringify(chunk), { ssecKey: this.#ssecKey });
    this.#keys.push(key);
  }

  /** Staged chunk i, then deleted (each is read once). */
  async take(i: number): Promise<OnlineChunk> {
    const key = this.#keys[i]!;
    const object = await this.#bucket.get(key, { ssecKey: this.#ssecKey });
    if (!object) throw new Error(`staged bulk chunk ${key} is missing`);
    const chunk = await object.json<OnlineChunk>();
    await this.#bucket.delete(key);
    return chunk;
  }

  /** Best effort: a leftover is swept by compaction after the grace period. */
  async discard(): Promise<void> {
    if (this.#keys.length === 0) return;
    await this.#bucket.delete(this.#keys).catch((error: unknown) => console.error("bulk staging cleanup failed", { error: String(error) }));
  }
}
