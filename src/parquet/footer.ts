import type { ByteSource } from "./byte-source";
import { PARQUET_MAGIC, parseFooter, type FooterLayout } from "./layout";

/**
 * Reads a Parquet file's footer with one ranged read of its tail, a second
 * only when the footer is larger than the first guess: the data pages are
 * never fetched, so learning a 1 GB file's layout costs about as much as a
 * 1 KB one's.
 */

/**
 * Footers of offline files are a few KB: one read usually suffices. A
 * dataset job reads each file's footer once per entity chunk, so a larger
 * guess costs bytes on every chunk (64 KiB read 7 % more in the time-travel
 * benchmark) to save a read only for wide files.
 */
export const FOOTER_GUESS_BYTES = 16 * 1024;
/** A footer larger than this is not one we should hold in isolate memory. */
export const MAX_FOOTER_BYTES = 8 * 1024 * 1024;
const TRAILER_BYTES = 8;
const MIN_FILE_BYTES = 12; // leading magic, footer length, trailing magic

export type FooterProblem = "not_parquet" | "footer_too_large" | "unreadable_footer";

/** Why a file's footer cannot be read; the message is fit to show the file's owner. */
export class ParquetFooterError extends Error {
  constructor(
    readonly problem: FooterProblem,
    detail: string,
  ) {
    super(detail);
  }
}

export interface Footer {
  layout: FooterLayout;
  /** The footer's Thrift bytes followed by its length and the trailing magic, as parquet-wasm's readSchema takes them. */
  trailer: Uint8Array;
}

export async function readFooter(source: ByteSource): Promise<Footer> {
  if (source.size < MIN_FILE_BYTES) throw new ParquetFooterError("not_parquet", "not a Parquet file (shorter than its trailer)");
  const guess = Math.min(FOOTER_GUESS_BYTES, source.size);
  let tail = await source.read(source.size - guess, guess);
  const magic = tail.subarray(tail.byteLength - PARQUET_MAGIC.length);
  if (!PARQUET_MAGIC.every((b, i) => magic[i] === b)) throw new ParquetFooterError("not_parquet", "not a Parquet file (no PAR1 trailer)");
  const length = new DataView(tail.buffer, tail.byteOffset + tail.byteLength - TRAILER_BYTES, 4).getUint32(0, true);
  if (length > MAX_FOOTER_BYTES) throw new ParquetFooterError("footer_too_large", `footer of ${length} bytes is over the ${MAX_FOOTER_BYTES}-byte limit`);
  if (length + TRAILER_BYTES + 4 > source.size) throw new ParquetFooterError("not_parquet", "not a Parquet file (footer longer than the file)");
  if (length + TRAILER_BYTES > tail.byteLength) {
    // Only the part before the first read: the tail is already in hand.
    const before = await source.read(source.size - length - TRAILER_BYTES, length + TRAILER_BYTES - tail.byteLength);
    const joined = new Uint8Array(length + TRAILER_BYTES);
    joined.set(before);
    joined.set(tail, before.byteLength);
    tail = joined;
  }
  const trailer = tail.subarray(tail.byteLength - length - TRAILER_BYTES);
  try {
    return { layout: parseFooter(trailer.subarray(0, length), source.size), trailer };
  } catch (error) {
    throw new ParquetFooterError("unreadable_footer", `unreadable footer (${error instanceof Error ? error.message : String(error)})`);
  }
}

/**
 * Footers already read, by object key and size, for as long as their holder
 * lives (one dataset job invocation, whose chunks each scan the same files):
 * an object in the offline manifest never changes under its key. Holds at
 * most MEMO_FOOTERS footers, the first ones read; later ones are read each
 * time, so memory stays bounded however many files a job scans.
 */
export class FooterMemo {
  static readonly MEMO_FOOTERS = 256;
  readonly #footers = new Map<string, Footer>();

  async read(source: ByteSource): Promise<Footer> {
    const id = `${source.size}:${source.key}`;
    const known = this.#footers.get(id);
    if (known) return known;
    const footer = await readFooter(source);
    if (this.#footers.size < FooterMemo.MEMO_FOOTERS) this.#footers.set(id, footer);
    return footer;
  }
}
