// Input files as rows of [feature name, raw value] entries, in the encodings
// the bulk API uses: CSV cells are strings ("strings" encoding: empty cell =
// missing, a cell starting with "[" is a JSON list), NDJSON and Parquet
// values are typed. Parquet int64 arrives as BigInt and is handed over as a
// decimal string when beyond ±(2^53−1) (the typed rule for int64).
import { tableFromIPC } from "apache-arrow";
import { readParquet } from "parquet-wasm";

/** @typedef {{ row: number, entries: [string, unknown][] | null, unreadable?: string }} InputRow */
/** @typedef {{ encoding: "strings" | "typed", rows: InputRow[] }} DecodedInput */

export const FORMATS = ["csv", "ndjson", "parquet"];

/** The format of a file name (.csv, .ndjson/.jsonl/.json, .parquet), or null. */
export function formatOf(name) {
  const lower = name.toLowerCase();
  if (lower.endsWith(".csv")) return "csv";
  if (lower.endsWith(".ndjson") || lower.endsWith(".jsonl") || lower.endsWith(".json")) return "ndjson";
  if (lower.endsWith(".parquet") || lower.endsWith(".pq")) return "parquet";
  return null;
}

/** @param {Uint8Array} bytes @param {"csv"|"ndjson"|"parquet"} format @returns {DecodedInput} */
export function decodeInput(bytes, format) {
  if (format === "parquet") return { encoding: "typed", rows: parquetRows(bytes) };
  const text = new TextDecoder().decode(bytes);
  return format === "csv" ? { encoding: "strings", rows: csvRows(text) } : { encoding: "typed", rows: ndjsonRows(text) };
}

function ndjsonRows(text) {
  const rows = [];
  let line = 0;
  for (const raw of text.split("\n")) {
    const trimmed = raw.trim();
    if (!trimmed) {
      line += 1;
      continue;
    }
    line += 1;
    try {
      const value = JSON.parse(trimmed);
      rows.push(typeof value === "object" && value !== null && !Array.isArray(value) ? { row: line, entries: Object.entries(value) } : { row: line, entries: null, unreadable: "must be a JSON object of feature name to value" });
    } catch (error) {
      rows.push({ row: line, entries: null, unreadable: `must be valid JSON (${error.message})` });
    }
  }
  return rows;
}

/** RFC 4180 records; lines without quotes take a split fast path. */
function csvRecords(text) {
  const records = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    let end = text.indexOf("\n", i);
    if (end < 0) end = n;
    const lineEnd = end > i && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    const line = text.slice(i, lineEnd);
    if (!line.includes('"')) {
      records.push(line.split(","));
      i = end + 1;
      continue;
    }
    // Quoted fields may hold commas and line breaks: character by character.
    const record = [];
    let cell = "";
    let quoted = false;
    let j = i;
    for (; j < n; j++) {
      const ch = text[j];
      if (quoted) {
        if (ch === '"' && text[j + 1] === '"') {
          cell += '"';
          j += 1;
        } else if (ch === '"') quoted = false;
        else cell += ch;
      } else if (ch === '"' && cell === "") quoted = true;
      else if (ch === ",") {
        record.push(cell);
        cell = "";
      } else if (ch === "\n" || ch === "\r") {
        if (ch === "\r" && text[j + 1] === "\n") j += 1;
        break;
      } else cell += ch;
    }
    if (quoted) throw new Error("has an unterminated quoted field");
    record.push(cell);
    records.push(record);
    i = j + 1;
  }
  return records;
}

function listCell(text) {
  try {
    const value = JSON.parse(text);
    return Array.isArray(value) ? value.map((v) => (typeof v === "string" ? v : JSON.stringify(v))) : text;
  } catch {
    return text;
  }
}

function csvRows(text) {
  let records;
  try {
    records = csvRecords(text);
  } catch (error) {
    return [{ row: 1, entries: null, unreadable: error.message }];
  }
  let line = 0;
  const header = records[0];
  if (!header || (header.length === 1 && header[0] === "")) return [{ row: 1, entries: null, unreadable: "must have a header row" }];
  const rows = [];
  for (let r = 1; r < records.length; r++) {
    const record = records[r];
    line = r;
    if (record.length === 1 && record[0] === "") continue;
    if (record.length !== header.length) {
      rows.push({ row: line, entries: null, unreadable: `must have ${header.length} fields, has ${record.length}` });
      continue;
    }
    const entries = [];
    for (let c = 0; c < header.length; c++) {
      const v = record[c];
      if (v !== "") entries.push([header[c], v.startsWith("[") ? listCell(v) : v]);
    }
    rows.push({ row: line, entries });
  }
  return rows;
}

function typedScalar(value) {
  if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Date) return value.toISOString();
  return value;
}

const isList = (v) => typeof v === "object" && v !== null && !(v instanceof Date) && Symbol.iterator in v;

/**
 * Column-wise conversion: each column walked once with its own iterator
 * (random access on a chunked Arrow vector searches its chunks every time),
 * then rows assembled from the plain arrays.
 */
function parquetRows(bytes) {
  const table = tableFromIPC(readParquet(bytes).intoIPCStream());
  const numRows = table.numRows;
  const columns = table.schema.fields.map((field, c) => {
    const values = new Array(numRows);
    let i = 0;
    for (const v of table.getChildAt(c)) {
      values[i++] = v === null || v === undefined ? null : typeof v === "string" || typeof v === "number" ? v : isList(v) ? Array.from(v, typedScalar) : typedScalar(v);
    }
    return { name: field.name, values };
  });
  const rows = new Array(numRows);
  for (let i = 0; i < numRows; i++) {
    const entries = [];
    for (const column of columns) {
      const v = column.values[i];
      if (v !== null) entries.push([column.name, v]);
    }
    rows[i] = { row: i + 1, entries };
  }
  return rows;
}
