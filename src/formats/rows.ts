import type { Failure } from "../failure";
import { DEFAULT_JSON_LIMITS, type JsonLimits } from "./json";

/**
 * What every reader in this folder shares: the row it yields, the limits it
 * is given, the fault that makes a whole input unreadable, and how bytes
 * arrive (a stream or a buffer, taken in bounded pieces either way).
 *
 * Row numbers, one convention for every path (bulk route, ingest jobs,
 * dataset entity objects, the CLI): NDJSON and CSV rows are numbered by the
 * 1-based physical line they start on, blank lines counted (so the first
 * data row of a CSV with its header on line 1 is row 2); Arrow IPC and
 * Parquet rows are numbered 1, 2, 3… in file order.
 */
export interface SourceRow {
  /** 1-based: the physical line the row starts on (NDJSON, CSV), or its position (Arrow, Parquet). */
  row: number;
  /** Feature name and raw value, missing values left out; null when the row could not be read. */
  entries: [string, unknown][] | null;
  /** Why the row could not be read (bad JSON, a CSV row of the wrong width, an unmappable Arrow column). */
  unreadable?: string;
  /** The field the unreadable rule is about; "row" when it is the row as a whole. */
  unreadableField?: string;
}

/** Bounds a reader enforces; every one is optional so a trusted caller (the CLI's local files) can leave it out. */
export interface ReadLimits {
  /** Bytes of the whole input: past it, payload_too_large naming `field`. */
  maxBytes?: number;
  /** Rows (blank lines are no rows): past it, the input is unreadable. */
  maxRows?: number;
  /** Bytes of one NDJSON line: past it, payload_too_large naming `<field> line N`. */
  maxLineBytes?: number;
  /** Shape limits of each JSON text (NDJSON lines, CSV list cells). */
  json?: JsonLimits;
}

/** How an input and its lines are named in failures: "body" (bulk route), "file" (ingest jobs), "entities.object". */
export interface ReadOptions extends ReadLimits {
  field: string;
  /** Line number of the input's first line; >1 when the input is a later chunk of a file. */
  firstLine?: number;
}

export const jsonLimitsOf = (limits: ReadLimits): JsonLimits => limits.json ?? DEFAULT_JSON_LIMITS;

/**
 * The whole input cannot be read (too large, not UTF-8, an unterminated
 * quote, no header, too many rows, not Arrow or Parquet). Thrown while rows
 * are being read, so a consumer that has taken some rows must discard them;
 * every consumer (bulk ingest) writes nothing before the input ends.
 */
export class UnreadableInput extends Error {
  constructor(readonly failure: Failure) {
    super(failure.reason);
    this.name = "UnreadableInput";
  }
}

export function unreadable(field: string, rule: string): never {
  throw new UnreadableInput({ reason: "invalid_field", field, rule });
}

export function tooLarge(field: string, limitBytes: number): never {
  throw new UnreadableInput({ reason: "payload_too_large", field, limitBytes });
}

export function tooManyRows(field: string, maxRows: number): never {
  return unreadable(field, `must hold at most ${maxRows} rows; split it`);
}

/** Bytes as they arrive: a request body, or a buffer already held. */
export type ByteSource = ReadableStream<Uint8Array> | Uint8Array;

/**
 * Pieces handed to the text decoder at most. A decoded string above V8's
 * regular object size (128 KiB) is allocated in large-object space, which
 * only a full collection frees: three 32 MiB bodies decoded network chunk by
 * network chunk piled such strings up to the isolate's limit (docs/limits.md).
 */
export const PIECE_BYTES = 32 * 1024;

/** The source's bytes in pieces of at most PIECE_BYTES (views, never copies), counted against maxBytes as they arrive. */
export async function* bytePieces(source: ByteSource, field: string, maxBytes: number = Infinity): AsyncGenerator<Uint8Array> {
  if (source instanceof Uint8Array) {
    if (source.byteLength > maxBytes) tooLarge(field, maxBytes);
    yield* slices(source);
    return;
  }
  const reader = source.getReader();
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      total += value.byteLength;
      if (total > maxBytes) tooLarge(field, maxBytes);
      yield* slices(value);
    }
  } finally {
    reader.releaseLock();
  }
}

/** Refuses bytes already held over the limit, as bytePieces refuses a stream. */
export function checkHeld(byteLength: number, field: string, maxBytes: number | undefined): void {
  if (maxBytes !== undefined && byteLength > maxBytes) tooLarge(field, maxBytes);
}

/** UTF-8 bytes of a text, without encoding it. */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // Two bytes up to U+07FF, three above; a surrogate pair (four bytes) is two units of two.
    if (c >= 0x80) bytes += c >= 0x800 && (c < 0xd800 || c > 0xdfff) ? 2 : 1;
  }
  return bytes;
}

/** A buffer in pieces of at most PIECE_BYTES. */
export function* slices(bytes: Uint8Array): Generator<Uint8Array> {
  for (let at = 0; at < bytes.byteLength; at += PIECE_BYTES) yield bytes.subarray(at, Math.min(bytes.byteLength, at + PIECE_BYTES));
}
