import { parseJson } from "./json";
import { bytePieces, checkHeld, jsonLimitsOf, slices, tooLarge, tooManyRows, type ByteSource, type ReadOptions, type SourceRow } from "./rows";

/**
 * The NDJSON reader: one JSON object per line, split on LF (a byte UTF-8
 * never uses inside a multi-byte character) and measured in bytes before
 * anything is decoded or kept. Each line loses one leading byte order mark
 * (so files joined with `cat` read as one), blank lines are no rows but are
 * counted in row numbers, and every line goes through the shape-limited
 * JSON parser. A line that is not UTF-8 or not a JSON object is an
 * unreadable row; the input as a whole fails only past its byte, line or
 * row limits.
 *
 * Allocation: complete lines are decoded a piece (PIECE_BYTES) at a time
 * and sliced out of the decoded text; only a line that spans pieces is
 * copied, once, when it ends.
 */
const LF = 0x0a;
const BOM = "\ufeff";

export class NdjsonReader {
  readonly #options: ReadOptions;
  // Byte order marks are removed per line (#lineRow), not only at the start of the input.
  readonly #decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  readonly #json;
  /** The start of a line that continues in the next piece. */
  #partial: Uint8Array[] = [];
  #partialBytes = 0;
  /** Physical number of the line being read. */
  #line: number;
  #rows = 0;
  #out: SourceRow[] = [];

  constructor(options: ReadOptions) {
    this.#options = options;
    this.#line = options.firstLine ?? 1;
    this.#json = jsonLimitsOf(options);
  }

  /** Feeds the next bytes; returns the rows of the lines they complete. */
  push(bytes: Uint8Array): SourceRow[] {
    const maxLine = this.#options.maxLineBytes ?? Infinity;
    let start = 0;
    let newline = bytes.indexOf(LF);
    if (this.#partialBytes > 0 && newline >= 0) {
      // The line begun in earlier pieces ends here: joined once.
      if (this.#partialBytes + newline > maxLine) this.#lineTooLarge();
      this.#partial.push(bytes.subarray(0, newline));
      this.#bytesRow(joinBytes(this.#partial, this.#partialBytes + newline));
      this.#partial = [];
      this.#partialBytes = 0;
      start = newline + 1;
      newline = bytes.indexOf(LF, start);
    }
    if (newline >= 0) {
      // Every complete line from `start` through the last LF, measured first, then decoded in one call.
      let last = newline;
      let line = this.#line;
      for (let at = newline, lineStart = start; at >= 0; lineStart = at + 1, at = bytes.indexOf(LF, at + 1), line += 1) {
        if (at - lineStart > maxLine) tooLarge(`${this.#options.field} line ${line}`, maxLine);
        last = at;
      }
      this.#lines(bytes.subarray(start, last + 1));
      start = last + 1;
    }
    if (start < bytes.byteLength) {
      this.#partialBytes += bytes.byteLength - start;
      if (this.#partialBytes > maxLine) this.#lineTooLarge();
      this.#partial.push(bytes.subarray(start));
    }
    return this.#take();
  }

  /** Ends the input: the last line, if it has no LF. */
  end(): SourceRow[] {
    if (this.#partialBytes > 0) this.#bytesRow(joinBytes(this.#partial, this.#partialBytes));
    this.#partial = [];
    this.#partialBytes = 0;
    return this.#take();
  }

  #take(): SourceRow[] {
    const out = this.#out;
    this.#out = [];
    return out;
  }

  #lineTooLarge(): never {
    return tooLarge(`${this.#options.field} line ${this.#line}`, this.#options.maxLineBytes ?? 0);
  }

  /** Whole lines, each ending in LF. */
  #lines(bytes: Uint8Array): void {
    let text: string | null = null;
    try {
      text = this.#decoder.decode(bytes);
    } catch {
      // some line is not UTF-8: found one line at a time below
    }
    if (text !== null) {
      let start = 0;
      for (let newline = text.indexOf("\n"); newline >= 0; newline = text.indexOf("\n", start)) {
        this.#textRow(text.slice(start, newline));
        start = newline + 1;
      }
      return;
    }
    let start = 0;
    for (let newline = bytes.indexOf(LF); newline >= 0; newline = bytes.indexOf(LF, start)) {
      this.#bytesRow(bytes.subarray(start, newline));
      start = newline + 1;
    }
  }

  /** One line's bytes (without its LF). */
  #bytesRow(bytes: Uint8Array): void {
    let text: string;
    try {
      text = this.#decoder.decode(bytes);
    } catch {
      this.#row({ row: this.#line, entries: null, unreadable: "must be UTF-8 text" });
      this.#line += 1;
      return;
    }
    this.#textRow(text);
  }

  /** One line's text: the next row, or nothing for a blank line. */
  #textRow(text: string): void {
    const row = this.#line;
    this.#line += 1;
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(BOM.length);
    if (text.trim() === "") return;
    const parsed = parseJson(text, `${this.#options.field} line ${row}`, this.#json);
    if (!parsed.ok) this.#row({ row, entries: null, unreadable: parsed.failure.reason === "invalid_field" ? parsed.failure.rule : "is unreadable" });
    else if (typeof parsed.value === "object" && parsed.value !== null && !Array.isArray(parsed.value)) this.#row({ row, entries: Object.entries(parsed.value) });
    else this.#row({ row, entries: null, unreadable: "must be a JSON object of feature name to value" });
  }

  #row(row: SourceRow): void {
    this.#rows += 1;
    const max = this.#options.maxRows;
    if (max !== undefined && this.#rows > max) tooManyRows(this.#options.field, max);
    this.#out.push(row);
  }
}

function joinBytes(parts: readonly Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

/** NDJSON rows as the bytes arrive; the input is never held whole. */
export async function* ndjsonRows(source: ByteSource, options: ReadOptions): AsyncGenerator<SourceRow> {
  const reader = new NdjsonReader(options);
  for await (const piece of bytePieces(source, options.field, options.maxBytes)) yield* reader.push(piece);
  yield* reader.end();
}

/** NDJSON rows of bytes already held, synchronously (the CLI's worker threads). */
export function* ndjsonRowsOfBytes(bytes: Uint8Array, options: ReadOptions): Generator<SourceRow> {
  checkHeld(bytes.byteLength, options.field, options.maxBytes);
  const reader = new NdjsonReader(options);
  for (const piece of slices(bytes)) yield* reader.push(piece);
  yield* reader.end();
}
