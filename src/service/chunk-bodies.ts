/**
 * The canonical bodies of a bulk chunk's rows, held as UTF-8 in one buffer
 * (joined by "\n", which JSON.stringify never writes raw) instead of one
 * string per row.
 *
 * Why: a chunk's rows live until the chunk is flushed, while the request and
 * its neighbours read and validate thousands more rows; every body string
 * outlived two scavenges, was promoted, and became old-generation garbage
 * once flushed. With three 32 MiB text bodies at once that was about half of
 * everything promoted, and the used heap the isolate's 128 MiB counts grew
 * with it (docs/limits.md). One buffer per request is reused chunk after
 * chunk; each body string is now short-lived (made by the validator,
 * copied here, dropped). The joined bytes are exactly what the request's
 * content digest hashes (ingest/idempotency.ts) and what the online spill
 * stores (bulk-spill.ts), so neither builds a joined string.
 */
const utf8 = new TextEncoder();
const decoder = new TextDecoder();
const LF = 0x0a;
const INITIAL_BYTES = 256 * 1024;

export class ChunkBodies {
  #bytes: Uint8Array;
  #length = 0;
  /** End offset of body i; it starts one byte (the "\n") after body i - 1 ends. */
  #ends: number[] = [];

  constructor(bytes: Uint8Array = new Uint8Array(INITIAL_BYTES), ends: number[] = []) {
    this.#bytes = bytes;
    this.#ends = ends;
    this.#length = ends.at(-1) ?? 0;
  }

  /** The buffer's bytes and the body ends of a spilled chunk (bulk-spill.ts). */
  static of(bytes: Uint8Array, ends: number[]): ChunkBodies {
    return new ChunkBodies(bytes, ends);
  }

  get count(): number {
    return this.#ends.length;
  }

  /** UTF-8 bytes held: the bodies and their separators. */
  get byteLength(): number {
    return this.#length;
  }

  get ends(): readonly number[] {
    return this.#ends;
  }

  /** Appends a body whose UTF-8 length is `sizeBytes` (encodeRecordBody measured it). */
  add(body: string, sizeBytes: number): void {
    const separator = this.#ends.length > 0 ? 1 : 0;
    this.#reserve(this.#length + separator + sizeBytes);
    if (separator) this.#bytes[this.#length++] = LF;
    const { written } = utf8.encodeInto(body, this.#bytes.subarray(this.#length));
    this.#length += written;
    this.#ends.push(this.#length);
  }

  /** Body i as text. */
  body(i: number): string {
    const start = i === 0 ? 0 : this.#ends[i - 1]! + 1;
    return decoder.decode(this.#bytes.subarray(start, this.#ends[i]!));
  }

  /** Every body joined by "\n", as UTF-8: a view, valid until the next clear. */
  joined(): Uint8Array {
    return this.#bytes.subarray(0, this.#length);
  }

  /** Empties the chunk, keeping the buffer for the next one. */
  clear(): void {
    this.#length = 0;
    this.#ends = [];
  }

  #reserve(bytes: number): void {
    if (bytes <= this.#bytes.byteLength) return;
    const grown = new Uint8Array(Math.max(bytes, this.#bytes.byteLength * 2));
    grown.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = grown;
  }
}
