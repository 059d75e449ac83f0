import { Field, List, Struct, Table, tableToIPC, Utf8, makeData, makeVector } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { arrowFileRows, arrowStreamRows, csvObjects, csvRows, csvRowsOfBytes, csvRowsOfText, ndjsonRows, ndjsonRowsOfBytes, parquetRows, UnreadableInput, type ReadOptions, type SourceRow } from "../../src/formats";
import { columnVector } from "../../src/offline/arrow-columns";
import { tableToParquet } from "../../src/offline/parquet";
import type { FeatureDefinition } from "../../src/records";

// One contract for every reader (src/formats): the same logical rows,
// written in each format, must come back with the same entries, row numbers
// by the one convention (physical lines for NDJSON and CSV, blank lines and
// line breaks inside values counted; positions for Arrow and Parquet), and
// the same faults for the same limits, each naming the input.

/** The fixture: text values and a list, one value with a line break, one row missing a value. */
const ROWS: Record<string, string | string[]>[] = [
  { id: "a", note: "plain", tags: ["x", "y"] },
  { id: "b", note: "two\nlines, quoted", tags: [] },
  { id: "c", tags: ["z"] },
  { id: "d", note: 'say "hi"', tags: ["p", "q"] },
];
const COLUMNS = ["id", "note", "tags"] as const;
const FEATURES = new Map<string, FeatureDefinition>([
  ["id", { name: "id", type: "String" }],
  ["note", { name: "note", type: "String" }],
  ["tags", { name: "tags", type: "String", collection: { type: "List" } }],
]);

const utf8 = (text: string) => new TextEncoder().encode(text);

/** NDJSON of the rows; `blankAfter` puts a blank line after those rows, `bom` a byte order mark first. Lines: physical line of each row. */
function ndjson(rows: readonly object[], { bom = false, blankAfter = [] as number[] } = {}) {
  const lines: string[] = [];
  const numbers: number[] = [];
  rows.forEach((row, i) => {
    numbers.push(lines.length + 1);
    lines.push(JSON.stringify(row));
    if (blankAfter.includes(i)) lines.push("");
  });
  return { bytes: utf8(`${bom ? "\ufeff" : ""}${lines.join("\n")}\n`), numbers };
}

function csvCell(value: string | string[] | undefined): string {
  if (value === undefined) return "";
  const text = Array.isArray(value) ? JSON.stringify(value) : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** CSV of the rows with CRLF line breaks; row numbers count the header, blank lines and line breaks inside quoted values. */
function csv(rows: readonly Record<string, string | string[]>[], { bom = false, blankAfter = [] as number[] } = {}) {
  let line = 2;
  const numbers: number[] = [];
  const records = [COLUMNS.join(",")];
  rows.forEach((row, i) => {
    numbers.push(line);
    const record = COLUMNS.map((c) => csvCell(row[c])).join(",");
    records.push(record);
    line += 1 + (record.match(/\n/g)?.length ?? 0);
    if (blankAfter.includes(i)) {
      records.push("");
      line += 1;
    }
  });
  return { bytes: utf8(`${bom ? "\ufeff" : ""}${records.join("\r\n")}\r\n`), numbers };
}

function arrowTable(rows: readonly Record<string, string | string[]>[]): Table {
  return new Table({
    id: columnVector(new Utf8(), rows.map((r) => r.id as string)),
    note: columnVector(new Utf8(), rows.map((r) => (r.note as string | undefined) ?? null)),
    tags: columnVector(new List(new Field("element", new Utf8(), true)), rows.map((r) => r.tags as string[])),
  });
}

/** A body that arrives in pieces of `size` bytes, as a slow client's would. */
function trickle(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.byteLength) return controller.close();
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

async function collect(rows: AsyncIterable<SourceRow> | Iterable<SourceRow>): Promise<SourceRow[]> {
  const out: SourceRow[] = [];
  for await (const row of rows) out.push(row);
  return out;
}

/** The failure a reader throws for the whole input. */
async function fault(read: () => Promise<unknown>) {
  try {
    await read();
  } catch (error) {
    if (error instanceof UnreadableInput) return error.failure;
    throw error;
  }
  throw new Error("the input was read without a fault");
}

interface Reader {
  name: string;
  /** The rows, encoded in the reader's format, and their expected row numbers. */
  encode: (rows: readonly Record<string, string | string[]>[], text?: { bom?: boolean; blankAfter?: number[] }) => { bytes: Uint8Array; numbers: number[] };
  read: (bytes: Uint8Array, options: ReadOptions) => Promise<SourceRow[]>;
}

const positions = (rows: readonly unknown[]) => rows.map((_, i) => i + 1);

const TEXT_READERS: Reader[] = [
  { name: "NDJSON, streamed", encode: ndjson, read: (bytes, options) => collect(ndjsonRows(trickle(bytes, 7), options)) },
  { name: "NDJSON, held (CLI)", encode: ndjson, read: (bytes, options) => collect(ndjsonRowsOfBytes(bytes, options)) },
  { name: "CSV, streamed", encode: csv, read: (bytes, options) => collect(csvRows(trickle(bytes, 5), options)) },
  { name: "CSV, held (CLI)", encode: csv, read: (bytes, options) => collect(csvRowsOfBytes(bytes, options)) },
  { name: "CSV, text (CLI chunks)", encode: csv, read: (bytes, options) => collect(csvRowsOfText(new TextDecoder().decode(bytes), options)) },
];

const COLUMNAR_READERS: Reader[] = [
  { name: "Arrow IPC stream", encode: (rows) => ({ bytes: tableToIPC(arrowTable(rows), "stream"), numbers: positions(rows) }), read: (bytes, options) => collect(arrowStreamRows(trickle(bytes, 64), FEATURES, options)) },
  { name: "Arrow IPC file", encode: (rows) => ({ bytes: tableToIPC(arrowTable(rows), "file"), numbers: positions(rows) }), read: (bytes, options) => collect(arrowFileRows(bytes, FEATURES, options)) },
  { name: "Parquet", encode: (rows) => ({ bytes: tableToParquet(arrowTable(rows)), numbers: positions(rows) }), read: (bytes, options) => collect(parquetRows(new Blob([bytes]), FEATURES, options)) },
];

const READERS = [...TEXT_READERS, ...COLUMNAR_READERS];

const asObject = (row: SourceRow) => Object.fromEntries(row.entries ?? []);

describe.each(READERS)("every reader: $name", (reader) => {
  it("reads each row's values, leaving missing values out and lists as arrays", async () => {
    const { bytes } = reader.encode(ROWS);
    const rows = await reader.read(bytes, { field: "body" });
    expect(rows.map(asObject)).toEqual(ROWS);
  });

  it("numbers rows by the one convention: physical lines for text (blank lines and line breaks in values counted), positions for columnar files", async () => {
    const { bytes, numbers } = reader.encode(ROWS, { blankAfter: [0, 1] });
    const rows = await reader.read(bytes, { field: "body" });
    expect(rows.map((r) => r.row)).toEqual(numbers);
    expect(rows.map(asObject)).toEqual(ROWS);
  });

  it("refuses more rows than its limit, naming the input", async () => {
    const { bytes } = reader.encode(ROWS);
    expect(await fault(() => reader.read(bytes, { field: "file", maxRows: 3 }))).toEqual({ reason: "invalid_field", field: "file", rule: "must hold at most 3 rows; split it" });
    expect(await reader.read(bytes, { field: "file", maxRows: 4 })).toHaveLength(4);
  });

  it("refuses more bytes than its limit as too large, naming the input", async () => {
    const { bytes } = reader.encode(ROWS);
    expect(await fault(() => reader.read(bytes, { field: "body", maxBytes: bytes.byteLength - 1 }))).toEqual({ reason: "payload_too_large", field: "body", limitBytes: bytes.byteLength - 1 });
    expect(await reader.read(bytes, { field: "body", maxBytes: bytes.byteLength })).toHaveLength(4);
  });
});

describe.each(TEXT_READERS)("text readers: $name", (reader) => {
  it("drops a leading byte order mark and counts the lines after it as usual", async () => {
    const plain = reader.encode(ROWS);
    const { bytes, numbers } = reader.encode(ROWS, { bom: true });
    const rows = await reader.read(bytes, { field: "body" });
    expect(rows.map(asObject)).toEqual(ROWS);
    expect(rows.map((r) => r.row)).toEqual(numbers);
    expect(numbers).toEqual(plain.numbers);
  });

  it("reports an unreadable row on its physical line and reads on", async () => {
    const isCsv = reader.name.startsWith("CSV");
    const text = isCsv ? 'id,note\r\na,one\r\n\r\nb,"x\r\ny",extra\r\nc,three\r\n' : '{"id":"a","note":"one"}\n\n{"id":\n{"id":"c","note":"three"}\n';
    const rows = await reader.read(utf8(text), { field: "body" });
    const bad = isCsv ? { row: 4, entries: null, unreadable: "must have 2 fields, has 3" } : { row: 3, entries: null, unreadable: expect.stringMatching(/^must be valid JSON/) };
    expect(rows).toEqual([{ row: isCsv ? 2 : 1, entries: [["id", "a"], ["note", "one"]] }, bad, { row: isCsv ? 6 : 4, entries: [["id", "c"], ["note", "three"]] }]);
  });

  it("applies the JSON shape limits to every JSON text it parses", async () => {
    const deep = `[[["x"]]]`;
    const text = reader.name.startsWith("CSV") ? `id,tags\r\na,"${deep.replaceAll('"', '""')}"\r\n` : `{"id":"a","tags":${deep}}\n`;
    const json = { maxDepth: 2, maxItems: 100, maxStringChars: 100 };
    const [row] = await reader.read(utf8(text), { field: "body", json });
    // NDJSON: the line is unreadable; CSV: a list cell over the limits stays text, which no list feature takes.
    if (reader.name.startsWith("CSV")) expect(row).toEqual({ row: 2, entries: [["id", "a"], ["tags", deep]] });
    else expect(row).toEqual({ row: 1, entries: null, unreadable: "must not nest arrays and objects more than 2 levels deep" });
  });

  it("numbers rows from firstLine when the input is a later part of a file", async () => {
    const { bytes, numbers } = reader.encode(ROWS);
    const rows = await reader.read(bytes, { field: "body", firstLine: 11 });
    expect(rows.map((r) => r.row)).toEqual(numbers.map((n) => n + 10));
  });
});

describe("NDJSON reader", () => {
  it("reads the same rows whatever the piece boundaries, even inside a character, and names the one line that is not UTF-8", async () => {
    const bytes = new Uint8Array([...utf8('{"id":"Zoë 🙂"}\n\n\ufeff{"id":"b"}\n'), 0x7b, 0xff, 0x7d, 0x0a, ...utf8('{"id":"çà"}')]);
    const expected = [{ row: 1, entries: [["id", "Zoë 🙂"]] }, { row: 3, entries: [["id", "b"]] }, { row: 4, entries: null, unreadable: "must be UTF-8 text" }, { row: 5, entries: [["id", "çà"]] }];
    for (const size of [1, 2, 3, 5, bytes.byteLength]) expect(await collect(ndjsonRows(trickle(bytes, size), { field: "body" }))).toEqual(expected);
  });

  it("refuses a line over its byte limit, naming the line", async () => {
    const bytes = utf8(`{"id":"a"}\n\n{"id":"${"y".repeat(40)}"}\n`);
    for (const size of [3, bytes.byteLength]) {
      expect(await fault(() => collect(ndjsonRows(trickle(bytes, size), { field: "body", maxLineBytes: 20 })))).toEqual({ reason: "payload_too_large", field: "body line 3", limitBytes: 20 });
    }
  });

  it("reports a line that is JSON but not an object", async () => {
    expect(await collect(ndjsonRowsOfBytes(utf8("[1]\n"), { field: "file" }))).toEqual([{ row: 1, entries: null, unreadable: "must be a JSON object of feature name to value" }]);
  });
});

describe("CSV reader", () => {
  it("splits the same whatever the piece boundaries: quoted commas, line breaks and quotes, CRLF and CR rows", async () => {
    const text = 'h1,h2\r\na,"b\r\n""c"""\r\n"",x"y"\n\r\n"e"f,\r';
    const bytes = utf8(text);
    const whole = await collect(csvRowsOfBytes(bytes, { field: "body" }));
    expect(whole).toEqual([
      { row: 2, entries: [["h1", "a"], ["h2", 'b\r\n"c"']] },
      { row: 4, entries: [["h2", 'x"y"']] },
      { row: 6, entries: [["h1", "ef"]] },
    ]);
    for (let size = 1; size <= bytes.byteLength; size++) expect(await collect(csvRows(trickle(bytes, size), { field: "body" }))).toEqual(whole);
  });

  it("fails the whole input for an unterminated quote, a missing header or text that is not UTF-8, naming the input", async () => {
    const read = (bytes: Uint8Array) => fault(() => collect(csvRows(trickle(bytes, 3), { field: "file" })));
    expect(await read(utf8('id\r\n"a\r\n'))).toEqual({ reason: "invalid_field", field: "file", rule: "has an unterminated quoted field" });
    expect(await read(utf8("\r\n\r\n"))).toEqual({ reason: "invalid_field", field: "file", rule: "must have a header row" });
    expect(await read(new Uint8Array([...utf8("id\r\n"), 0xff, 0x0a]))).toEqual({ reason: "invalid_field", field: "file", rule: "must be UTF-8 text" });
  });

  it("takes the first non-blank line as the header, counting the blank lines before it", async () => {
    expect(await collect(csvRows(trickle(utf8("\r\n\nid,note\r\na,b\r\n"), 2), { field: "body" }))).toEqual([{ row: 4, entries: [["id", "a"], ["note", "b"]] }]);
  });

  it("reads a repeated header name from its last column", async () => {
    expect(await collect(csvRowsOfBytes(utf8("a,b,a\n1,2,3\n"), { field: "body" }))).toEqual([{ row: 2, entries: [["b", "2"], ["a", "3"]] }]);
  });

  it("reads entity rows as text, every cell kept, and names a row of the wrong width by its physical line", () => {
    expect(csvObjects('\ufeffid,ts\n\na,"1\n2"\nb,\n', { field: "entities.csv" })).toEqual({ ok: true, value: [{ id: "a", ts: "1\n2" }, { id: "b", ts: "" }] });
    expect(csvObjects("id,ts\n\na,1,2\n", { field: "entities.csv" })).toEqual({ ok: false, failure: { reason: "invalid_field", field: "entities.csv line 3", rule: "must have 2 fields, has 3" } });
  });
});

describe("columnar readers", () => {
  it("make every row of a column with no feature mapping unreadable, naming the column", async () => {
    const struct = new Struct([new Field("k", new Utf8(), true)]);
    const table = new Table({ id: columnVector(new Utf8(), ["a", "b"]), odd: makeVector(makeData({ type: struct, length: 2, nullCount: 0, children: [makeData({ type: new Utf8(), length: 2, nullCount: 0, valueOffsets: new Int32Array([0, 1, 2]), data: utf8("xy") })] })) });
    const rows = await collect(arrowFileRows(tableToIPC(table, "file"), FEATURES, { field: "body" }));
    expect(rows.map((r) => [r.row, r.unreadableField])).toEqual([
      [1, "odd"],
      [2, "odd"],
    ]);
  });

  it("fail the whole input when it is not Arrow or Parquet, naming the input", async () => {
    const junk = utf8("id,note\na,b\n");
    expect(await fault(() => collect(arrowFileRows(junk, FEATURES, { field: "file" })))).toMatchObject({ reason: "invalid_field", field: "file", rule: expect.stringContaining("must be a valid Arrow IPC file") });
    expect(await fault(() => collect(parquetRows(new Blob([junk]), FEATURES, { field: "file" })))).toMatchObject({ reason: "invalid_field", field: "file", rule: expect.stringContaining("must be a valid Parquet file") });
  });
});
