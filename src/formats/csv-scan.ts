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

  /** Line breaks inside a quoted field, in text[from, to): a loop over the field only (a search for CR could run to the end of the piece for every field). */
  #countBreaks(text: string, from: number, to: number): void {
    for (let k = from; k < to; k++) {
      const c = text.charCodeAt(k);
      if (c === CR) this.#line += 1;
      else if (c === LF && !this.#afterCr) this.#line += 1;
      this.#afterCr = c === CR;
    }
  }
}

/** Where a record ends: the index after its line break, whether it is blank, and the line breaks it holds (its own included). */
export interface RecordEnd {
  next: number;
  blank: boolean;
  lines: number;
}

/**
 * Where each CSV record of a text ends, by exactly the scanner's rules,
 * without building its cells: the CLI cuts CSV text into chunks of whole
 * records with it on its main thread and leaves the cells to its worker
 * threads. Records must be asked for in order: the next quote and CR found
 * are remembered, so the searches cover the text once, not once per record.
 */
export class CsvRecordEnds {
  readonly #text: string;
  #quote = -1;
  #cr = -1;

  constructor(text: string) {
    this.#text = text;
  }

  /** The end of the record starting at `i`; null when a quoted field is left open. */
  from(i: number): RecordEnd | null {
    const text = this.#text;
    const n = text.length;
    if (this.#quote !== n && this.#quote < i) this.#quote = nextOf(text, '"', i);
    if (this.#cr !== n && this.#cr < i) this.#cr = nextOf(text, "\r", i);
    const lf = nextOf(text, "\n", i);
    const lineEnd = Math.min(lf, this.#cr);
    // No quote before the line break: the record is the line.
    if (this.#quote >= lineEnd) return { next: breakEnd(text, lineEnd), blank: lineEnd === i, lines: 1 };
    return quotedRecordEnd(text, i);
  }
}

/** The next index of `char` from `i`, or the text's length. */
function nextOf(text: string, char: string, i: number): number {
  const at = text.indexOf(char, i);
  return at < 0 ? text.length : at;
}

/** A record with a quote in its first line, character by character. */
function quotedRecordEnd(text: string, i: number): RecordEnd | null {
  const n = text.length;
  let cellLength = 0;
  let cells = 1;
  let lines = 1;
  let quoted = false;
  let afterCr = false;
  let j = i;
  for (; j < n; j++) {
    const c = text.charCodeAt(j);
    if (quoted) {
      if (c === QUOTE && text.charCodeAt(j + 1) === QUOTE) {
        cellLength += 1;
        j += 1;
      } else if (c === QUOTE) quoted = false;
      else {
        if (c === CR || (c === LF && !afterCr)) lines += 1;
        cellLength += 1;
      }
      afterCr = c === CR;
      continue;
    }
    if (c === QUOTE && cellLength === 0) quoted = true;
    else if (c === COMMA) {
      cells += 1;
      cellLength = 0;
    } else if (c === LF || c === CR) break;
    else cellLength += 1;
  }
  if (quoted) return null;
  return { next: breakEnd(text, j), blank: cells === 1 && cellLength === 0, lines };
}

/** The index after the line break at `at` (CRLF taken whole). */
function breakEnd(text: string, at: number): number {
  return text.charCodeAt(at) === CR && text.charCodeAt(at + 1) === LF ? at + 2 : at + 1;
}
