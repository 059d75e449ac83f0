import type { Failure } from "../failure";
import type { OfflineLocationConfig } from "../offline/layout";
import { bulkIngest, type RowProblem, type StoreContext, type StoreTarget } from "../service";
import { UnreadableInput } from "../formats";
import { MAX_OBJECT_BYTES, readObject } from "./formats";
import type { Job } from "./model";
import type { FileOutcome } from "./repository";

/**
 * Ingests one landed object into a job's feature group. A file is all or
 * nothing for validation: one invalid row fails the file and nothing of it
 * is written (the report names each bad row, its field and the rule).
 * Every mode goes through bulk ingest: online rows to the shards' putMany
 * (with the event-time rule), offline rows straight to Parquet in the
 * offline store, exactly once per object version.
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

const TARGETS = { online: ["online"], offline: ["offline"], both: ["online", "offline"] } as const satisfies Record<string, StoreTarget[]>;

const invalidField = (field: string, rule: string): Failure => ({ reason: "invalid_field", field, rule });

export async function ingestObject(deps: IngestDeps, job: Job, object: LandedObject, now: number): Promise<FileOutcome> {
  if (object.size > MAX_OBJECT_BYTES) return failed({ reason: "payload_too_large", field: "file", limitBytes: MAX_OBJECT_BYTES });
  // Read exactly the version claimed: a newer upload is a new ledger entry for a later run.
  const body = await deps.source.get(object.key, { onlyIf: { etagMatches: object.etag } });
  if (!body || !("body" in body)) return failed({ reason: "conflict", detail: "the object changed or disappeared while it was being ingested; a new version is picked up by the next run" });
  const { rows, encoding } = readObject(job.format!, new Uint8Array(await body.arrayBuffer()));
  let result: Awaited<ReturnType<typeof bulkIngest>>;
  try {
    result = await bulkIngest(
      deps.store,
      { db: deps.store.db, ...deps.offline },
      {
        featureGroup: job.featureGroup,
        encoding,
        onInvalid: "reject",
        targetStores: TARGETS[job.mode!],
        // One object version is one bulk request: a re-run after a crash finds its offline batch registered and writes nothing twice.
        idempotencyKey: `job\n${job.id}\n${object.key}\n${object.etag}`,
        ...(job.availability ? { availability: job.availability, availabilityField: "availability" } : {}),
      },
      rows,
    );
  } catch (error) {
    // A fault of the whole file found while reading it: bulk ingest wrote nothing of it.
    if (error instanceof UnreadableInput) return failed(error.failure);
    throw error;
  }
  if (!result.ok) return failed(result.failure);
  const r = result.value;
  const counts = { rowsRead: r.rows, rowsWritten: r.written, rowsInvalid: r.invalidRows, rowsOlderIgnored: r.online.olderEventTimeIgnored };
  if (r.invalidRows > 0) return failed(invalidField("file", `${r.invalidRows} of ${r.rows} rows are invalid; nothing was written`), counts, r.invalid);
  if (r.failure) return failed(r.failure, counts);
  return { state: "ingested", ...counts, error: null };
}
