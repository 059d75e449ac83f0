/**
 * RFC 4180 CSV cut into cells and records, text piece by text piece:
 * quoted fields, doubled quotes, CRLF, LF or CR line breaks, and a quote
 * that opens a field only at its start. Runs of plain characters are sliced
 * out of the piece, never appended a character at a time, and cells go
 * straight to a sink, so no array is built per record.
 *
 * Line numbers count physical lines: a line break inside a quoted field
 * counts, CRLF counts once. A record is numbered by the line it starts on.
 */
const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

/** Takes each cell of a record, then the record's end. */
export interface CsvSink {
  cell(text: string): void;
  /** The record whose cells came since the last end; `line` is where it starts. */
  end(line: number): void;
}

export class CsvScanner {
  readonly #sink: CsvSink;
  #cell = "";
  /** The current cell has begun (a quote opens a field only before that). */
  #started = false;
  #quoted = false;
  /** A quote ended the last piece inside a quoted field: a second one would be an escaped quote. */
  #quoteAtEnd = false;
  /** The last character was a CR: an LF right after it belongs to the same line break. */
  #afterCr = false;
  #line: number;
  #recordLine: number;

  constructor(sink: CsvSink, firstLine = 1) {
    this.#sink = sink;
    this.#line = firstLine;
    this.#recordLine = firstLine;
  }

  /** Feeds the next piece of text. */
  push(text: string): void {
    const n = text.length;
    let i = 0;
    if (this.#quoteAtEnd) {
      this.#quoteAtEnd = false;
      if (n > 0 && text.charCodeAt(0) === QUOTE) {
        this.#cell += '"';
        i = 1;
      } else this.#quoted = false;
    }
    while (i < n) {
      if (this.#quoted) {
        const quote = text.indexOf('"', i);
        const end = quote < 0 ? n : quote;
        this.#countBreaks(text, i, end);
        if (end > i) this.#cell += text.slice(i, end);
        if (quote < 0) return;
        this.#afterCr = false;
        if (quote + 1 >= n) {
          this.#quoteAtEnd = true;
          return;
        }
        if (text.charCodeAt(quote + 1) === QUOTE) {
          this.#cell += '"';
          i = quote + 2;
        } else {
          this.#quoted = false;
          i = quote + 1;
        }
        continue;
      }
      let j = i;
      for (; j < n; j++) {
        const c = text.charCodeAt(j);
        if (c === COMMA || c === LF || c === CR || (c === QUOTE && !this.#started && j === i)) break;
      }
      if (j > i) {
        this.#cell += text.slice(i, j);
        this.#started = true;
        this.#afterCr = false;
      }
      if (j >= n) return;
      const c = text.charCodeAt(j);
      i = j + 1;
      if (c === QUOTE) {
        this.#quoted = true;
        this.#started = true;
        this.#afterCr = false;
      } else if (c === COMMA) {
        this.#endCell();
        this.#afterCr = false;
      } else if (c === LF && this.#afterCr) {
        this.#afterCr = false;
      } else {
        this.#endRecord();
        this.#line += 1;
        this.#recordLine = this.#line;
        this.#afterCr = c === CR;
      }
    }
  }

  /** Ends the text: the last record, if it has no line break. Returns false when a quoted field is left open. */
  finish(): boolean {
    if (this.#quoteAtEnd) {
      this.#quoteAtEnd = false;
      this.#quoted = false;
    }
    if (this.#quoted) return false;
    if (this.#started || this.#pendingCells) this.#endRecord();
    return true;
  }

  /** Cells of the open record already handed to the sink. */
  #pendingCells = false;

  #endRecord(): void {
    this.#endCell();
    this.#pendingCells = false;
    this.#sink.end(this.#recordLine);
  }

  #endCell(): void {
    this.#sink.cell(this.#cell);
    this.#cell = "";
    this.#started = false;
    this.#pendingCells = true;
  }

  /** Line breaks inside a quoted field, in text[from, to). */
  #countBreaks(text: string, from: number, to: number): void {
    const lf = text.indexOf("\n", from);
    const cr = text.indexOf("\r", from);
    if ((lf < 0 || lf >= to) && (cr < 0 || cr >= to)) {
      if (to > from) this.#afterCr = false;
      return;
    }
    for (let k = from; k < to; k++) {
      const c = text.charCodeAt(k);
      if (c === CR) this.#line += 1;
      else if (c === LF && !this.#afterCr) this.#line += 1;
      this.#afterCr = c === CR;
    }
  }
}
