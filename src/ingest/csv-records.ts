import { invalid, ok, type Result } from "../failure";

/**
 * RFC 4180 CSV split into records incrementally, text chunk by text chunk,
 * so a bulk body is parsed as it streams in. The rules are parseCsv's
 * (formats/csv.ts) exactly: quoted fields, doubled quotes, CRLF or LF, and a
 * quote that opens a field only at its start. Runs of plain characters are
 * sliced rather than appended one by one.
 */
const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

export class CsvRecords {
  #row: string[] = [];
  #cell = "";
  #quoted = false;
  /** A quote or CR at the end of a chunk: what it means depends on the next character. */
  #tail = "";

  /** Feeds the next chunk of text; returns the records it completed. */
  push(chunk: string): string[][] {
    const text = this.#tail + chunk;
    this.#tail = "";
    return this.#scan(text, false);
  }

  /** Ends the text; returns the last records, or the rule an unterminated quote breaks. */
  end(field: string): Result<string[][]> {
    const out = this.#scan(this.#tail, true);
    this.#tail = "";
    if (this.#quoted) return invalid(field, "has an unterminated quoted field");
    if (this.#cell !== "" || this.#row.length > 0) {
      this.#row.push(this.#cell);
      out.push(this.#row);
      this.#row = [];
      this.#cell = "";
    }
    return ok(out);
  }

  #scan(text: string, final: boolean): string[][] {
    const out: string[][] = [];
    const n = text.length;
    let i = 0;
    while (i < n) {
      if (this.#quoted) {
        const quote = text.indexOf('"', i);
        if (quote < 0) {
          this.#cell += text.slice(i);
          break;
        }
        this.#cell += text.slice(i, quote);
        if (quote + 1 >= n && !final) {
          this.#tail = '"';
          break;
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
      // A quote opens a quoted field only when the field has nothing yet.
      const opensQuote = this.#cell === "";
      let j = i;
      for (; j < n; j++) {
        const c = text.charCodeAt(j);
        if (c === COMMA || c === LF || c === CR || (c === QUOTE && j === i && opensQuote)) break;
      }
      if (j > i) this.#cell += text.slice(i, j);
      if (j >= n) break;
      const c = text.charCodeAt(j);
      if (c === QUOTE) {
        this.#quoted = true;
        i = j + 1;
      } else if (c === COMMA) {
        this.#row.push(this.#cell);
        this.#cell = "";
        i = j + 1;
      } else {
        if (c === CR) {
          if (j + 1 >= n && !final) {
            this.#tail = "\r";
            break;
          }
          if (text.charCodeAt(j + 1) === LF) j += 1;
        }
        this.#row.push(this.#cell);
        out.push(this.#row);
        this.#row = [];
        this.#cell = "";
        i = j + 1;
      }
    }
    return out;
  }
}
