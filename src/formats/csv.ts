import { ok, type Result } from "../failure";
import { CsvScanner, type CsvSink } from "./csv-scan";
import { parseJson, type JsonLimits } from "./json";
import { bytePieces, checkHeld, jsonLimitsOf, slices, tooManyRows, unreadable, UnreadableInput, type ByteSource, type ReadOptions, type SourceRow, utf8Length } from "./rows";

/**
 * The CSV reader. The first non-blank record is the header of feature
 * names (a repeated name reads its last column); blank lines are no rows
 * but are counted in row numbers (see rows.ts); a row of the wrong width is
 * an unreadable row naming both widths. Bulk rows (csvRows): empty cells
 * are missing values and a cell starting with `[` is a JSON list, parsed
 * under the JSON shape limits. Entity rows (csvObjects): every cell as text.
 * The input is UTF-8 (a leading byte order mark is dropped); one that is not,
 * or that leaves a quoted field open, or has no header, is unreadable whole.
 */

/** A CSV cell starting with "[": its JSON list (items as strings, as the strings encoding reads them), or the text itself. */
export function listCell(text: string, limits?: JsonLimits): unknown {
  const parsed = parseJson(text, "cell", limits);
  if (!parsed.ok || !Array.isArray(parsed.value)) return text;
  return parsed.value.map((v: unknown) => (typeof v === "string" ? v : JSON.stringify(v)));
}

/** Builds rows from the scanner's cells: the header first, then one row per record. */
abstract class HeaderSink<Row> implements CsvSink {
  protected readonly options: ReadOptions;
  protected out: Row[] = [];
  /** Header names; the column each name reads (its last). */
  protected names: string[] | null = null;
  protected reads: boolean[] = [];
  #header: string[] = [];
  #cells = 0;
  #firstEmpty = false;
  #rows = 0;

  constructor(options: ReadOptions, header?: readonly string[]) {
    this.options = options;
    if (header) this.#setHeader([...header]);
  }

  #setHeader(names: string[]): void {
    this.names = names;
    this.reads = names.map((name, i) => names.lastIndexOf(name) === i);
  }

  get header(): readonly string[] | null {
    return this.names;
  }

  cell(text: string): void {
    const i = this.#cells++;
    if (i === 0) this.#firstEmpty = text === "";
    if (!this.names) this.#header.push(text);
    else if (i < this.names.length && this.reads[i]) this.takeCell(i, text);
  }

  end(line: number): void {
    const cells = this.#cells;
    this.#cells = 0;
    if (cells === 1 && this.#firstEmpty) {
      if (!this.names) this.#header = [];
      else this.discard();
      return;
    }
    if (!this.names) {
      this.#setHeader(this.#header);
      return;
    }
    this.#rows += 1;
    const max = this.options.maxRows;
    if (max !== undefined && this.#rows > max) tooManyRows(this.options.field, max);
    if (cells !== this.names.length) {
      this.discard();
      this.wrongWidth(line, `must have ${this.names.length} fields, has ${cells}`);
    } else this.out.push(this.complete(line));
  }

  /** The rows completed since the last drain. */
  drain(): Row[] {
    const out = this.out;
    this.out = [];
    return out;
  }

  protected abstract takeCell(column: number, text: string): void;
  protected abstract complete(line: number): Row;
  protected abstract discard(): void;
  protected abstract wrongWidth(line: number, rule: string): void;
}

/** Bulk rows: missing values left out, lists parsed. */
class RowSink extends HeaderSink<SourceRow> {
  readonly #json: JsonLimits;
  #entries: [string, unknown][] = [];

  constructor(options: ReadOptions, header?: readonly string[]) {
    super(options, header);
    this.#json = jsonLimitsOf(options);
  }

  protected takeCell(column: number, text: string): void {
    if (text !== "") this.#entries.push([this.names![column]!, text.charCodeAt(0) === 0x5b /* [ */ ? listCell(text, this.#json) : text]);
  }

  protected complete(line: number): SourceRow {
    const entries = this.#entries;
    this.#entries = [];
    return { row: line, entries };
  }

  protected discard(): void {
    this.#entries.length = 0;
  }

  protected wrongWidth(line: number, rule: string): void {
    this.out.push({ row: line, entries: null, unreadable: rule });
  }
}

/** Entity rows: every named cell as text; a row of the wrong width makes the input unreadable. */
class ObjectSink extends HeaderSink<Record<string, string>> {
  #row: Record<string, string> = {};

  protected takeCell(column: number, text: string): void {
    this.#row[this.names![column]!] = text;
  }

  protected complete(): Record<string, string> {
    const row = this.#row;
    this.#row = {};
    return row;
  }

  protected discard(): void {
    this.#row = {};
  }

  protected wrongWidth(line: number, rule: string): void {
    unreadable(`${this.options.field} line ${line}`, rule);
  }
}

const BOM = "\ufeff";

/** The scanner and a sink, fed bytes (decoded a piece at a time) or text. */
class CsvReader<Row> {
  readonly #field: string;
  readonly #decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
  readonly #sink: HeaderSink<Row>;
  readonly #scanner: CsvScanner;

  constructor(sink: HeaderSink<Row>, options: ReadOptions) {
    this.#field = options.field;
    this.#sink = sink;
    this.#scanner = new CsvScanner(sink, options.firstLine ?? 1);
  }

  pushBytes(bytes: Uint8Array): Row[] {
    let text: string;
    try {
      text = this.#decoder.decode(bytes, { stream: true });
    } catch {
      return unreadable(this.#field, "must be UTF-8 text");
    }
    return this.pushText(text);
  }

  pushText(text: string): Row[] {
    this.#scanner.push(text);
    return this.#sink.drain();
  }

  /** Ends the input; `bytes` when it came as bytes (the decoder may hold the start of a character). */
  end(bytes: boolean): Row[] {
    if (bytes) {
      try {
        this.#scanner.push(this.#decoder.decode());
      } catch {
        unreadable(this.#field, "must be UTF-8 text");
      }
    }
    if (!this.#scanner.finish()) unreadable(this.#field, "has an unterminated quoted field");
    if (!this.#sink.header) unreadable(this.#field, "must have a header row");
    return this.#sink.drain();
  }
}

/** Text pieces of at most PIECE_BYTES characters, without a leading byte order mark. */
function* textPieces(text: string): Generator<string> {
  const start = text.startsWith(BOM) ? BOM.length : 0;
  for (let at = start; at < text.length; at += PIECE_CHARS) yield text.slice(at, Math.min(text.length, at + PIECE_CHARS));
}

const PIECE_CHARS = 32 * 1024;

/** CSV rows as the bytes arrive; the input is never held whole. */
export async function* csvRows(source: ByteSource, options: ReadOptions): AsyncGenerator<SourceRow> {
  const reader = new CsvReader(new RowSink(options), options);
  for await (const piece of bytePieces(source, options.field, options.maxBytes)) yield* reader.pushBytes(piece);
  yield* reader.end(true);
}

/** CSV rows of bytes already held, synchronously (the CLI). */
export function* csvRowsOfBytes(bytes: Uint8Array, options: ReadOptions): Generator<SourceRow> {
  checkHeld(bytes.byteLength, options.field, options.maxBytes);
  const reader = new CsvReader(new RowSink(options), options);
  for (const piece of slices(bytes)) yield* reader.pushBytes(piece);
  yield* reader.end(true);
}

/** CSV rows of text; with `header`, the text is a later part of a file whose header that is (the CLI's chunks). */
export function* csvRowsOfText(text: string, options: ReadOptions & { header?: readonly string[] }): Generator<SourceRow> {
  if (options.maxBytes !== undefined) checkHeld(utf8Length(text), options.field, options.maxBytes);
  const reader = new CsvReader(new RowSink(options, options.header), options);
  for (const piece of textPieces(text)) yield* reader.pushText(piece);
  yield* reader.end(false);
}

/** The header of a CSV text: its first non-blank record, or null when it has none or is unreadable. */
export function csvHeader(text: string): string[] | null {
  const sink = new ObjectSink({ field: "header" });
  const scanner = new CsvScanner(sink);
  for (const piece of textPieces(text)) {
    scanner.push(piece);
    if (sink.header) return [...sink.header];
  }
  scanner.finish();
  return sink.header ? [...sink.header] : null;
}

/** Entity rows of a CSV text, each cell as text (dataset entities). */
export function csvObjects(text: string, options: ReadOptions): Result<Record<string, string>[]> {
  const reader = new CsvReader(new ObjectSink(options), options);
  const rows: Record<string, string>[] = [];
  try {
    for (const piece of textPieces(text)) for (const row of reader.pushText(piece)) rows.push(row);
    for (const row of reader.end(false)) rows.push(row);
  } catch (error) {
    if (error instanceof UnreadableInput) return { ok: false, failure: error.failure };
    throw error;
  }
  return ok(rows);
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  const text = typeof value === "string" ? value : Array.isArray(value) ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Rows as CSV with a header; lists are written as JSON arrays. */
export function toCsv(columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
  return [columns.map(csvCell).join(","), ...rows.map((r) => columns.map((c) => csvCell(r[c])).join(","))].join("\n") + "\n";
}
