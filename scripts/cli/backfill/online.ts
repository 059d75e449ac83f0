// Online (and online+offline) ingest through the bulk API,
// POST /v1/feature-groups/{name}/records/batch, as NDJSON of the rows the
// CLI has already validated (so a file is rejected whole before any of it
// is sent), in requests below the API's row limit.
import type { Api } from "../api";
import { seg } from "../api";
import type { Progress } from "./progress";
import type { ValidRow } from "./validate";
import type { GroupView } from "./views";

/** What one bulk request answers (docs/api.md, bulk ingest), the fields the CLI adds up. */
interface BulkReport {
  rows: number;
  written: number;
  online?: { olderEventTimeIgnored?: number };
  offline?: { written?: number; alreadyWritten?: number };
}

export interface OnlineTotals {
  rows: number;
  written: number;
  olderEventTimeIgnored: number;
  offlineWritten: number;
}

/** The bulk API takes at most 100,000 rows and 64 MB per request; this stays well under both. */
export const ROWS_PER_REQUEST = 20_000;

const encoder = new TextEncoder();

/** Sends validated rows through the bulk API, ROWS_PER_REQUEST at a time, and adds up its reports. */
export async function sendOnline({
  api,
  group,
  rows,
  targets,
  availability,
  progress,
  name,
  inputBytes,
}: {
  api: Api;
  group: GroupView;
  rows: ValidRow[];
  targets: string[];
  /** The bulk API's availableFrom/availableDelay query parameters, if declared. */
  availability: Record<string, string> | null;
  progress: Progress;
  name: string;
  inputBytes: number;
}): Promise<OnlineTotals> {
  const total: OnlineTotals = { rows: 0, written: 0, olderEventTimeIgnored: 0, offlineWritten: 0 };
  const query = new URLSearchParams({ targetStores: targets.join(","), onInvalid: "reject", ...(availability ?? {}) });
  for (let start = 0; start < rows.length; start += ROWS_PER_REQUEST) {
    const slice = rows.slice(start, start + ROWS_PER_REQUEST);
    const body = encoder.encode(slice.map((r) => JSON.stringify(r.values)).join("\n"));
    const report = await api.request<BulkReport>("POST", `/feature-groups/${seg(group.name)}/records/batch?${query}`, { body, contentType: "application/x-ndjson", idempotent: false });
    total.rows += report.rows;
    total.written += report.written;
    total.olderEventTimeIgnored += report.online?.olderEventTimeIgnored ?? 0;
    // A retried request the server already took counts as written: its offline rows exist exactly once.
    total.offlineWritten += (report.offline?.written ?? 0) + (report.offline?.alreadyWritten ?? 0);
    progress.advance({ rows: slice.length, bytes: (inputBytes * slice.length) / rows.length, label: `${name} rows ${Math.min(rows.length, start + ROWS_PER_REQUEST)}/${rows.length}` });
  }
  return total;
}
