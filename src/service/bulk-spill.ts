import { bulkStagingPrefixOf, type OfflineLocationConfig } from "../offline/layout";
import { ChunkBodies } from "./chunk-bodies";

/**
 * Where a bulk request keeps its valid rows between reading them and
 * sending them to the shards. Rows go online only once the whole body was
 * read and validated (onInvalid=reject writes nothing) and their offline
 * files are registered, so a large request would otherwise hold every
 * canonical record at once: 100,000 wide records are several times the
 * isolate's 128 MB (docs/limits.md). Full chunks are staged in R2 (their
 * rows' fields as JSON, their bodies as the UTF-8 the request holds) and read back one at a time; the last chunk stays in memory, so a request
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

/** A chunk as the request holds it: the bodies stay UTF-8 in one buffer (chunk-bodies.ts) until they are sent. */
export interface HeldChunk extends Omit<OnlineChunk, "bodies"> {
  bodies: ChunkBodies;
}

/** The rows as a shard call takes them: each body decoded, for this chunk only. */
export function onlineChunkOf(held: HeldChunk): OnlineChunk {
  const { bodies, ...rest } = held;
  return { ...rest, bodies: Array.from({ length: bodies.count }, (_, i) => bodies.body(i)) };
}

const utf8 = new TextEncoder();

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

  /**
   * Stages a chunk: a 4-byte big-endian length, that many bytes of JSON (the
   * rows' identifiers, event keys and times, sequences, body ends), then the
   * bodies' UTF-8 as held, so no JSON string of the bodies is built.
   */
  async put(chunk: HeldChunk): Promise<void> {
    const key = `${this.#prefix}/${this.#keys.length}.bin`;
    const { bodies, ...rest } = chunk;
    const meta = utf8.encode(JSON.stringify({ ...rest, ends: bodies.ends }));
    const joined = bodies.joined();
    const object = new Uint8Array(4 + meta.byteLength + joined.byteLength);
    new DataView(object.buffer).setUint32(0, meta.byteLength);
    object.set(meta, 4);
    object.set(joined, 4 + meta.byteLength);
    await this.#bucket.put(key, object, { ssecKey: this.#ssecKey });
    this.#keys.push(key);
  }

  /** Staged chunk i, then deleted (each is read once). */
  async take(i: number): Promise<OnlineChunk> {
    const key = this.#keys[i]!;
    const object = await this.#bucket.get(key, { ssecKey: this.#ssecKey });
    if (!object) throw new Error(`staged bulk chunk ${key} is missing`);
    const bytes = new Uint8Array(await object.arrayBuffer());
    const metaBytes = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0);
    const { ends, ...rest } = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + metaBytes))) as Omit<HeldChunk, "bodies"> & { ends: number[] };
    await this.#bucket.delete(key);
    return onlineChunkOf({ ...rest, bodies: ChunkBodies.of(bytes.subarray(4 + metaBytes), ends) });
  }

  /** Best effort: a leftover is swept by compaction after the grace period. */
  async discard(): Promise<void> {
    if (this.#keys.length === 0) return;
    await this.#bucket.delete(this.#keys).catch((error: unknown) => console.error("bulk staging cleanup failed", { error: String(error) }));
  }
}
