import { invalid, ok, type Result } from "../failure";

/**
 * RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF. Small on purpose:
 * entity lists arrive inline; values stay strings (the caller converts).
 */
export function parseCsv(text: string, field: string): Result<Record<string, string>[]> {
  const records: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"' && cell === "") quoted = true;
    else if (ch === ",") {
      row.push(cell);
      cell = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i += 1;
      row.push(cell);
      records.push(row);
      row = [];
      cell = "";
    } else cell += ch;
  }
  if (quoted) return invalid(field, "has an unterminated quoted field");
  if (cell !== "" || row.length > 0) {
    row.push(cell);
    records.push(row);
  }
  const [header, ...body] = records.filter((r) => !(r.length === 1 && r[0] === ""));
  if (!header) return invalid(field, "must have a header row");
  const out: Record<string, string>[] = [];
  for (const [n, r] of body.entries()) {
    if (r.length !== header.length) return invalid(`${field} line ${n + 2}`, `must have ${header.length} fields, has ${r.length}`);
    out.push(Object.fromEntries(header.map((h, i) => [h, r[i]!])));
  }
  return ok(out);
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
