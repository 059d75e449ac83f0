// Online (and online+offline) ingest through the bulk API,
// POST /v1/feature-groups/{name}/records/batch, as NDJSON of the rows the
// CLI has already validated (so a file is rejected whole before any of it
// is sent), in requests below the API's row limit.
import { seg } from "../api.mjs";

/** The bulk API takes at most 100,000 rows and 64 MB per request; this stays well under both. */
export const ROWS_PER_REQUEST = 20_000;

const encoder = new TextEncoder();

/** @returns {Promise<{ rows: number, written: number, olderEventTimeIgnored: number, offlineWritten: number }>} */
export async function sendOnline({ api, group, rows, targets, availability, progress, name, inputBytes }) {
  const total = { rows: 0, written: 0, olderEventTimeIgnored: 0, offlineWritten: 0 };
  const query = new URLSearchParams({ targetStores: targets.join(","), onInvalid: "reject", ...(availability ?? {}) });
  for (let start = 0; start < rows.length; start += ROWS_PER_REQUEST) {
    const slice = rows.slice(start, start + ROWS_PER_REQUEST);
    const body = encoder.encode(slice.map((r) => JSON.stringify(r.values)).join("\n"));
    const report = await api.request("POST", `/feature-groups/${seg(group.name)}/records/batch?${query}`, { body, contentType: "application/x-ndjson", idempotent: false });
    total.rows += report.rows;
    total.written += report.written;
    total.olderEventTimeIgnored += report.online?.olderEventTimeIgnored ?? 0;
    // A retried request the server already took counts as written: its offline rows exist exactly once.
    total.offlineWritten += (report.offline?.written ?? 0) + (report.offline?.alreadyWritten ?? 0);
    progress.advance({ rows: slice.length, bytes: (inputBytes * slice.length) / rows.length, label: `${name} rows ${Math.min(rows.length, start + ROWS_PER_REQUEST)}/${rows.length}` });
  }
  return total;
}
