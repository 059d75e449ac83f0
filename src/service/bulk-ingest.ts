import { reloadServingGroup, servingGroup, type ServingGroup } from "../catalog";
import { fail, invalid, ok, type Failure, type Result } from "../failure";
import { offlineKeyDigest } from "../ingest/idempotency";
import { dataKeyLookup, offlineWriteKey } from "../crypto/offline-objects";
import { writeBulkOffline, type BulkOfflineDeps } from "../offline/bulk-files";
import { shardIndexOf, type PutBatch } from "../online";
import {
  ACCEPTED,
  bulkSequence,
  encodeRecordBody,
  expiresAtMs,
  validateRecordValues,
  type Availability,
  type CanonicalRecord,
  type FeatureValue,
  type RecordSchema,
  type TtlDuration,
  type ValueEncoding,
} from "../records";
import type { StoreContext } from "./context";
import { loadShardKeys, shardKeysOf } from "./keys";
import { shardStub } from "./shards";
import { resolveTargets, type StoreTarget } from "./targets";

/**
 * Bulk ingest: many records of one group in one request. Every row is
 * validated first; by default one invalid row rejects the request and
 * nothing is written. The offline rows are then written directly as Parquet
 * (offline/bulk-files.ts), exactly once per idempotency key, before anything
 * goes online: a request that fails after that point is retried by the
 * client, and the retry finds its offline rows already registered. Valid
 * rows then go to their shards in chunks, in input order within each shard,
 * with the same event-time rule as single puts and no outbox rows.
 *
 * Version order (records/order.ts): row n of the valid rows gets the write
 * sequence bulkSequence(accepted, n), where `accepted` is when its offline
 * files were registered (or, with no offline target, when the rows were
 * read). The shards compare these stamps with what they hold instead of
 * stamping the rows again, so a version wins online exactly when it wins
 * offline. A row may bring its own stamp (materialise copies the offline
 * version's).
 */
export interface BulkRow {
  /** 1-based row number in the input, for the report. */
  row: number;
  entries: [string, unknown][] | null;
  /** Why the row could not even be read (bad JSON line, wrong CSV width, an unmappable Arrow column). */
  unreadable?: string;
  /** The field the unreadable rule is about; "row" when it is the row as a whole. */
  unreadableField?: string;
  /** The row's write sequence when it has one already (a version copied from the offline store). */
  sequence?: number;
}

export interface BulkIngestRequest {
  featureGroup: string;
  encoding: ValueEncoding;
  targetStores?: StoreTarget[];
  ttl?: TtlDuration;
  /** reject: any invalid row rejects the request; skip: write the valid rows. */
  onInvalid: "reject" | "skip";
  /** The client's Idempotency-Key; without it the rows' content identifies the request. */
  idempotencyKey?: string;
  /** Knowledge time of the offline rows (default: when they were accepted). */
  availability?: Availability;
  /** How errors name the availability (a query parameter, a job field). */
  availabilityField?: string;
}

/** Wall-clock milliseconds per phase, for the Server-Timing header. */
export interface BulkTimings {
  readMs: number;
  offlineMs: number;
  onlineMs: number;
}

export interface RowProblem {
  row: number;
  code: Failure["reason"];
  field?: string;
  rule: string;
}

export interface BulkIngestResult {
  rows: number;
  written: number;
  online: { written: number; olderEventTimeIgnored: number };
  /** alreadyWritten: rows an earlier request with the same idempotency key wrote. */
  offline: { written: number; alreadyWritten: number };
  invalidRows: number;
  /** The first MAX_REPORTED_PROBLEMS problems. */
  invalid: RowProblem[];
  /** Valid rows not written because their shard failed part-way; `failure` says why. */
  notWritten: number;
  failure?: Failure;
}

export const MAX_REPORTED_PROBLEMS = 1_000;
/** Records per shard RPC: one SQLite transaction each. */
const CHUNK = 500;

/** A valid row: its canonical record, and its values for the offline Parquet columns (no second JSON.parse of the body). */
interface ValidRow extends CanonicalRecord {
  values: Record<string, FeatureValue>;
  sequence?: number;
}

/** A row's failure as the report names it. */
export function problemOf(row: number, failure: Failure): RowProblem {
  const field = "field" in failure ? failure.field : undefined;
  const rule = failure.reason === "invalid_field" ? failure.rule : failure.reason === "unknown_feature" ? `the group has no feature named ${failure.feature}` : failure.reason;
  return { row, code: failure.reason, ...(field !== undefined ? { field } : {}), rule };
}

export async function bulkIngest(
  ctx: StoreContext,
  offlineDeps: BulkOfflineDeps,
  req: BulkIngestRequest,
  /** The body's rows; columnar formats read the schema to spell times for Fractional features. */
  rows: (schema: RecordSchema) => AsyncIterable<BulkRow>,
  timings: BulkTimings = { readMs: 0, offlineMs: 0, onlineMs: 0 },
): Promise<Result<BulkIngestResult>> {
  const started = Date.now();
  let serving = await servingGroup(ctx.db, req.featureGroup, ctx.now);
  if (!serving) return fail({ reason: "feature_group_not_found", featureGroup: req.featureGroup });
  const targets = resolveTargets(serving.group, "targetStores", req.targetStores);
  if (!targets.ok) return targets;
  if (req.availability && !targets.value.offline) return invalid(req.availabilityField ?? "availability", "applies to offline rows, and this request writes none");

  const result: BulkIngestResult = { rows: 0, written: 0, online: { written: 0, olderEventTimeIgnored: 0 }, offline: { written: 0, alreadyWritten: 0 }, invalidRows: 0, invalid: [], notWritten: 0 };
  const valid: ValidRow[] = [];
  const report = (problem: RowProblem) => {
    result.invalidRows += 1;
    if (result.invalid.length < MAX_REPORTED_PROBLEMS) result.invalid.push(problem);
  };
  for await (const row of rows(serving.schema)) {
    result.rows += 1;
    if (!row.entries) {
      report({ row: row.row, code: "invalid_field", field: row.unreadableField ?? "row", rule: row.unreadable ?? "is unreadable" });
      continue;
    }
    const record = validRow(serving.schema, row.entries, req.encoding);
    if (record.ok) valid.push(row.sequence === undefined ? record.value : { ...record.value, sequence: row.sequence });
    else report(problemOf(row.row, record.failure));
  }
  timings.readMs = Date.now() - started;
  if (result.invalidRows > 0 && req.onInvalid === "reject") return ok(result);
  if (valid.length === 0) return ok(result);

  let acceptedMs = Date.now();
  if (targets.value.offline) {
    const offlineStarted = Date.now();
    const group = serving.group;
    const schema = { featureGroup: group.name, generation: group.generation, recordIdentifierFeature: group.recordIdentifierFeature, eventTimeFeature: group.eventTimeFeature, features: group.features, catalogVersion: group.catalogVersion };
    const bodies = valid.map((r) => r.body);
    const dataKeys = await dataKeyLookup(ctx.db, ctx.secrets)(group.generation);
    if (!dataKeys.ok) return dataKeys;
    try {
      const keyDigest = await offlineKeyDigest(req.idempotencyKey, bodies);
      const written = await writeBulkOffline(offlineDeps, schema, valid, {
        keyDigest,
        apiInvocationTimeMs: ctx.now,
        now: Date.now(),
        writeKey: offlineWriteKey(dataKeys.value),
        availability: req.availability ?? ACCEPTED,
      });
      result.offline = { written: written.written, alreadyWritten: written.alreadyWritten };
      acceptedMs = written.acceptedMs;
    } catch (error) {
      // Nothing is online yet and unregistered objects are invisible: the request changed nothing.
      console.error("bulk offline write failed", { featureGroup: group.name, error: String(error) });
      return fail({ reason: "unavailable", detail: "the offline store could not be written; nothing was written, retry the request" });
    }
    timings.offlineMs = Date.now() - offlineStarted;
    if (!targets.value.online) {
      result.written = valid.length;
      return ok(result);
    }
  }

  const byShard = new Map<number, SequencedRow[]>();
  valid.forEach((record, n) => {
    const shard = shardIndexOf(record.recordIdentifier, serving!.group.shardCount);
    const row = { ...record, sequence: record.sequence ?? bulkSequence(acceptedMs, n) };
    const list = byShard.get(shard);
    if (list) list.push(row);
    else byShard.set(shard, [row]);
  });
  const failures: Failure[] = [];
  const onlineStarted = Date.now();
  await Promise.all(
    [...byShard].map(async ([shard, records]) => {
      for (let i = 0; i < records.length; i += CHUNK) {
        const chunk = records.slice(i, i + CHUNK);
        const sent = await sendChunk(ctx, serving!, shard, chunk, req, targets.value);
        if (!sent.ok) {
          failures.push(sent.failure);
          return;
        }
        serving = sent.value.serving;
        result.written += chunk.length;
        result.online.written += sent.value.applied.filter(Boolean).length;
        if (targets.value.online) result.online.olderEventTimeIgnored += sent.value.applied.filter((a) => !a).length;
      }
    }),
  );
  timings.onlineMs = Date.now() - onlineStarted;
  // Chunks already written stay written (each is atomic on its shard); the report says how many were not.
  if (failures[0] && result.written === 0) return fail(failures[0]);
  result.notWritten = valid.length - result.written;
  if (failures[0]) result.failure = failures[0];
  return ok(result);
}

/** A row on its way to a shard, with its place in the version order. */
interface SequencedRow extends CanonicalRecord {
  sequence: number;
}

const sameName = (feature: string) => feature;

/** validateRecord, keeping the canonical values next to their JSON. */
function validRow(schema: RecordSchema, entries: readonly (readonly [string, unknown])[], encoding: ValueEncoding): Result<ValidRow> {
  const record = validateRecordValues(schema, entries, encoding, sameName);
  if (!record.ok) return record;
  const encoded = encodeRecordBody(record.value.values);
  if (!encoded.ok) return encoded;
  const { recordIdentifier, eventTime, values } = record.value;
  return ok({ recordIdentifier, eventKey: eventTime.key, eventTimeMs: eventTime.epochMs, body: encoded.value.body, sizeBytes: encoded.value.sizeBytes, values });
}

/** Sends one chunk; a stale catalog reloads the definition and re-sends the same chunk once. */
async function sendChunk(
  ctx: StoreContext,
  serving: ServingGroup,
  shard: number,
  records: readonly SequencedRow[],
  req: BulkIngestRequest,
  targets: { online: boolean; offline: boolean },
): Promise<Result<{ applied: boolean[]; serving: ServingGroup }>> {
  let current = serving;
  for (let attempt = 0; attempt < 2; attempt++) {
    const { group } = current;
    const keys = await loadShardKeys(ctx, current);
    if (!keys.ok) return keys;
    const batch: PutBatch = {
      catalogVersion: group.catalogVersion,
      ...shardKeysOf(current),
      recordIdentifiers: records.map((r) => r.recordIdentifier),
      eventKeys: records.map((r) => r.eventKey),
      sequences: records.map((r) => r.sequence),
      expiresAtMs: records.map((r) => (targets.online ? expiresAtMs(r.eventTimeMs, req.ttl, group.onlineStore.ttl) : null)),
      bodies: records.map((r) => r.body),
      online: targets.online,
      offline: targets.offline,
      offlineRowWritten: targets.offline,
      apiInvocationTimeMs: ctx.now,
    };
    const reply = await shardStub(ctx, group.generation, shard).putMany(batch);
    if (!("refused" in reply)) return ok({ applied: reply.applied, serving: current });
    const reloaded = await reloadServingGroup(ctx.db, req.featureGroup, ctx.now);
    if (!reloaded || reloaded.group.generation !== group.generation) return fail({ reason: "feature_group_not_found", featureGroup: req.featureGroup });
    current = reloaded;
  }
  return fail({ reason: "unavailable", detail: `feature group ${req.featureGroup} is being changed; retry the rows not written` });
}
