import { servingGroup } from "../catalog";
import { fail, type Failure } from "../failure";
import type { OfflineLocationConfig } from "../offline/layout";
import { validateRecord, type CanonicalRecord } from "../records";
import { bulkIngest, MAX_REPORTED_PROBLEMS, problemOf, type BulkRow, type RowProblem, type StoreContext } from "../service";
import { MAX_OBJECT_BYTES, readObject } from "./formats";
import type { Job } from "./model";
import { writeOfflineDirect } from "./offline-direct";
import type { FileOutcome } from "./repository";

/**
 * Ingests one landed object into a job's feature group. A file is all or
 * nothing for validation: one invalid row fails the file and nothing of it
 * is written (the report names each bad row, its field and the rule).
 * online/both go through bulk ingest (the shards' putMany, with the
 * event-time rule and the outbox); offline goes straight to Parquet.
 */
export interface IngestDeps {
  store: StoreContext;
  source: R2Bucket;
  offline: { bucket: R2Bucket; location: OfflineLocationConfig };
}

export interface LandedObject {
  key: string;
  etag: string;
  size: number;
}

/** Problems kept per file in the ledger; the count covers them all. */
const MAX_STORED_PROBLEMS = 100;

function failed(failure: Failure, counts: Partial<FileOutcome> = {}, problems?: RowProblem[]): FileOutcome {
  return {
    state: "failed",
    rowsRead: counts.rowsRead ?? 0,
    rowsWritten: counts.rowsWritten ?? 0,
    rowsInvalid: counts.rowsInvalid ?? 0,
    rowsOlderIgnored: counts.rowsOlderIgnored ?? 0,
    error: { code: problems ? "invalid_rows" : failure.reason, failure, ...(problems ? { problems: problems.slice(0, MAX_STORED_PROBLEMS) } : {}) },
  };
}

const invalidField = (field: string, rule: string): Failure => ({ reason: "invalid_field", field, rule });

async function* iterate(rows: readonly BulkRow[]): AsyncGenerator<BulkRow> {
  yield* rows;
}

export async function ingestObject(deps: IngestDeps, job: Job, object: LandedObject, now: number): Promise<FileOutcome> {
  if (object.size > MAX_OBJECT_BYTES) return failed({ reason: "payload_too_large", field: "file", limitBytes: MAX_OBJECT_BYTES });
  // Read exactly the version claimed: a newer upload is a new ledger entry for a later run.
  const body = await deps.source.get(object.key, { onlyIf: { etagMatches: object.etag } });
  if (!body || !("body" in body)) return failed({ reason: "conflict", detail: "the object changed or disappeared while it was being ingested; a new version is picked up by the next run" });
  const read = readObject(job.format!, new Uint8Array(await body.arrayBuffer()));
  if (!read.ok) return failed(read.failure);
  const { rows, encoding } = read.value;
  if (job.mode === "offline") return ingestOffline(deps, job, object, rows, encoding, now);

  const result = await bulkIngest(
    deps.store,
    { featureGroup: job.featureGroup, encoding, onInvalid: "reject", targetStores: job.mode === "both" ? ["online", "offline"] : ["online"] },
    iterate(rows),
  );
  if (!result.ok) return failed(result.failure, { rowsRead: rows.length });
  const r = result.value;
  const counts = { rowsRead: r.rows, rowsWritten: r.written, rowsInvalid: r.invalidRows, rowsOlderIgnored: r.online.olderEventTimeIgnored };
  if (r.invalidRows > 0) return failed(invalidField("file", `${r.invalidRows} of ${r.rows} rows are invalid; nothing was written`), counts, r.invalid);
  if (r.failure) return failed(r.failure, counts);
  return { state: "ingested", ...counts, error: null };
}

async function ingestOffline(deps: IngestDeps, job: Job, object: LandedObject, rows: readonly BulkRow[], encoding: "typed" | "strings", now: number): Promise<FileOutcome> {
  const serving = await servingGroup(deps.store.db, job.featureGroup, now);
  if (!serving) return failed({ reason: "feature_group_not_found", featureGroup: job.featureGroup }, { rowsRead: rows.length });
  if (!serving.group.offlineStore.enabled) return failed(invalidField("mode", `offline, but feature group ${job.featureGroup} has no offline store`), { rowsRead: rows.length });
  const records: CanonicalRecord[] = [];
  const problems: RowProblem[] = [];
  let invalidRows = 0;
  for (const row of rows) {
    const record = row.entries ? validateRecord(serving.schema, row.entries, encoding, (f) => f) : fail<CanonicalRecord>({ reason: "invalid_field", field: "row", rule: row.unreadable ?? "is unreadable" });
    if (record.ok) records.push(record.value);
    else {
      invalidRows += 1;
      if (problems.length < MAX_REPORTED_PROBLEMS) problems.push(problemOf(row.row, record.failure));
    }
  }
  if (invalidRows > 0) {
    return failed(invalidField("file", `${invalidRows} of ${rows.length} rows are invalid; nothing was written`), { rowsRead: rows.length, rowsInvalid: invalidRows }, problems);
  }
  if (records.length > 0) await writeOfflineDirect({ db: deps.store.db, ...deps.offline }, serving.group.generation, records, { jobId: job.id, objectKey: object.key, etag: object.etag }, now);
  return { state: "ingested", rowsRead: rows.length, rowsWritten: records.length, rowsInvalid: 0, rowsOlderIgnored: 0, error: null };
}
