import { reloadServingGroup, servingGroup, type ServingGroup } from "../catalog";
import { fail, invalid, ok, type Failure, type Result } from "../failure";
import type { SourceRow } from "../formats";
import { OfflineIdentity } from "../ingest/idempotency";
import { dataKeyLookup, offlineWriteKey } from "../crypto/offline-objects";
import { BulkOfflineWriter, type BulkOfflineDeps, type BulkOfflineResult } from "../offline/bulk-files";
import { partitionOf } from "../offline/layout";
import { shardIndexOf, type PutBatch } from "../online";
import {
  ACCEPTED,
  bulkSequence,
  expiresAtMs,
  validateRecord,
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
import { onlineChunkOf, OnlineSpill, type HeldChunk, type OnlineChunk } from "./bulk-spill";
import { ChunkBodies } from "./chunk-bodies";

/**
 * Bulk ingest: many records of one group in one request. Every row is
 * validated first; by default one invalid row rejects the request and
 * nothing is written. The offline rows are written directly as Parquet
 * (offline/bulk-files.ts) and registered, exactly once per idempotency key,
 * before anything goes online: a request that fails after that point is
 * retried by the client, and the retry finds its offline rows already
 * registered. Valid rows then go to their shards in chunks, in input order
 * within each shard, with the same event-time rule as single puts and no
 * outbox rows.
 *
 * Memory is bounded by a chunk (BULK_CHUNK_ROWS / BULK_CHUNK_BYTES), not by
 * the request: as rows are read, each full chunk's offline rows become
 * Parquet files (not yet registered, so invisible) and its online rows are
 * staged in R2 (bulk-spill.ts) until the whole body is known to be valid.
 *
 * Version order (records/order.ts): row n of the valid rows gets the write
 * sequence bulkSequence(accepted, n), where `accepted` is when its offline
 * files were registered (or, with no offline target, when the rows were
 * read). The shards compare these stamps with what they hold instead of
 * stamping the rows again, so a version wins online exactly when it wins
 * offline. A row may bring its own stamp (materialise copies the offline
 * version's).
 */
export interface BulkRow extends SourceRow {
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

/**
 * A valid row as a chunk holds it: its routing fields; its canonical body is
 * in the chunk's ChunkBodies (UTF-8, one buffer per request), and the
 * offline writer parses its values back from the body only while it encodes
 * the row's file. Holding validated values (a dictionary-mode object of every
 * feature, CSV cells sliced from their whole decoded text piece) and a string
 * per body made a held row several times its body, all of it promoted to the
 * old generation because a chunk outlives many scavenges: three 32 MiB text
 * bodies at once peaked at 86-99 % of the isolate's 128 MiB (docs/limits.md).
 */
interface ChunkRow extends Pick<CanonicalRecord, "recordIdentifier" | "eventKey" | "eventTimeMs"> {
  sequence?: number;
}

/** Canonical values from a record body: JSON that round-trips them exactly (records/values.ts). */
const valuesOfBody = (body: string) => JSON.parse(body) as Record<string, FeatureValue>;

/** A row's failure as the report names it. */
export function problemOf(row: number, failure: Failure): RowProblem {
  const field = "field" in failure ? failure.field : undefined;
  const rule = failure.reason === "invalid_field" ? failure.rule : failure.reason === "unknown_feature" ? `the group has no feature named ${failure.feature}` : failure.reason;
  return { row, code: failure.reason, ...(field !== undefined ? { field } : {}), rule };
}

/**
 * A chunk of a request's valid rows: what the request holds in memory at
 * once (isolate memory, docs/limits.md: three NDJSON bodies of 64 MiB at
 * once used 122 % with chunks of 5,000 rows / 4 MiB). Each full chunk's offline rows are
 * written as it fills and its online rows staged (bulk-spill.ts).
 */
export const BULK_CHUNK_ROWS = 2_000;
/** Canonical JSON bytes of a chunk (a few large records fill it before BULK_CHUNK_ROWS). */
export const BULK_CHUNK_BYTES = 2 * 1024 * 1024;

export async function bulkIngest(
  ctx: StoreContext,
  offlineDeps: BulkOfflineDeps,
  req: BulkIngestRequest,
  /** The body's rows; columnar formats read the schema to spell times for Fractional features. */
  rows: (schema: RecordSchema) => AsyncIterable<BulkRow>,
  timings: BulkTimings = { readMs: 0, offlineMs: 0, onlineMs: 0 },
): Promise<Result<BulkIngestResult>> {
  const started = Date.now();
  const serving = await servingGroup(ctx.db, req.featureGroup, ctx.now);
  if (!serving) return fail({ reason: "feature_group_not_found", featureGroup: req.featureGroup });
  const targets = resolveTargets(serving.group, "targetStores", req.targetStores);
  if (!targets.ok) return targets;
  if (req.availability && !targets.value.offline) return invalid(req.availabilityField ?? "availability", "applies to offline rows, and this request writes none");

  const result: BulkIngestResult = { rows: 0, written: 0, online: { written: 0, olderEventTimeIgnored: 0 }, offline: { written: 0, alreadyWritten: 0 }, invalidRows: 0, invalid: [], notWritten: 0 };
  const report = (problem: RowProblem) => {
    result.invalidRows += 1;
    if (result.invalid.length < MAX_REPORTED_PROBLEMS) result.invalid.push(problem);
  };
  const group = serving.group;
  const sink = new ChunkSink(ctx, offlineDeps, req, targets.value, group, timings);
  let chunk: ChunkRow[] = [];
  // One buffer for the request's chunks, reused once a chunk is flushed; the last chunk keeps it.
  const bodies = new ChunkBodies();
  let validCount = 0;
  try {
    for await (const row of rows(serving.schema)) {
      result.rows += 1;
      if (!row.entries) {
        report({ row: row.row, code: "invalid_field", field: row.unreadableField ?? "row", rule: row.unreadable ?? "is unreadable" });
        continue;
      }
      const record = validRow(serving.schema, row.entries, req.encoding);
      if (!record.ok) {
        report(problemOf(row.row, record.failure));
        continue;
      }
      // A rejected request writes nothing: its later valid rows are only counted.
      if (result.invalidRows > 0 && req.onInvalid === "reject") continue;
      const { recordIdentifier, eventKey, eventTimeMs, body, sizeBytes } = record.value;
      chunk.push(row.sequence === undefined ? { recordIdentifier, eventKey, eventTimeMs } : { recordIdentifier, eventKey, eventTimeMs, sequence: row.sequence });
      bodies.add(body, sizeBytes);
      validCount += 1;
      if (chunk.length >= BULK_CHUNK_ROWS || bodies.byteLength >= BULK_CHUNK_BYTES) {
        const flushed = await sink.flush(chunk, bodies, validCount - chunk.length, { last: false });
        if (!flushed.ok) return await sink.abandon(flushed);
        chunk = [];
        bodies.clear();
      }
    }
  } catch (error) {
    await sink.abandon(fail({ reason: "unavailable", detail: "the body could not be read" }));
    throw error;
  }
  timings.readMs = Date.now() - started - timings.offlineMs;
  if ((result.invalidRows > 0 && req.onInvalid === "reject") || validCount === 0) return sink.abandon(ok(result));

  const last = await sink.flush(chunk, bodies, validCount - chunk.length, { last: true });
  if (!last.ok) return sink.abandon(last);
  const offline = await sink.finishOffline();
  if (!offline.ok) return sink.abandon(offline);
  if (offline.value) result.offline = { written: offline.value.written, alreadyWritten: offline.value.alreadyWritten };
  if (!targets.value.online) {
    result.written = validCount;
    return ok(result);
  }

  const onlineStarted = Date.now();
  const sent = await sink.sendOnline(serving, offline.value?.acceptedMsOf, result);
  timings.onlineMs = Date.now() - onlineStarted;
  // Chunks already written stay written (each is atomic on its shard); the report says how many were not.
  if (sent.failure && result.written === 0) return fail(sent.failure);
  result.notWritten = validCount - result.written;
  if (sent.failure) result.failure = sent.failure;
  return ok(result);
}

/**
 * Where a request's valid rows go, chunk by chunk: their offline rows into
 * Parquet files (registered at the end), their online rows staged until the
 * offline rows are registered, then to the shards.
 */
class ChunkSink {
  readonly #ctx: StoreContext;
  readonly #deps: BulkOfflineDeps;
  readonly #req: BulkIngestRequest;
  readonly #targets: { online: boolean; offline: boolean };
  readonly #group: ServingGroup["group"];
  readonly #timings: BulkTimings;
  readonly #identity: OfflineIdentity;
  readonly #spill: OnlineSpill;
  #writer: BulkOfflineWriter | undefined;
  /** The last chunk's online rows, kept in memory. */
  #lastOnline: HeldChunk | undefined;

  constructor(ctx: StoreContext, deps: BulkOfflineDeps, req: BulkIngestRequest, targets: { online: boolean; offline: boolean }, group: ServingGroup["group"], timings: BulkTimings) {
    this.#ctx = ctx;
    this.#deps = deps;
    this.#req = req;
    this.#targets = targets;
    this.#group = group;
    this.#timings = timings;
    this.#identity = new OfflineIdentity(req.idempotencyKey);
    this.#spill = new OnlineSpill(deps.bucket, deps.location);
  }

  /** Writes a chunk's offline rows and stages (or, for the last chunk, keeps) its online rows; `bodies` are the rows' bodies, in order. */
  async flush(rows: readonly ChunkRow[], bodies: ChunkBodies, first: number, { last }: { last: boolean }): Promise<Result<void>> {
    if (rows.length === 0) return ok(undefined);
    if (this.#targets.offline) {
      const offlineStarted = Date.now();
      const writer = await this.#offlineWriter();
      if (!writer.ok) return writer;
      try {
        await this.#identity.add(bodies.joined());
        await writer.value.write(rows.map((r, i) => ({ eventKey: r.eventKey, values: () => valuesOfBody(bodies.body(i)), position: first + i })));
      } catch (error) {
        return this.#offlineFailed(error);
      }
      this.#timings.offlineMs += Date.now() - offlineStarted;
    }
    if (!this.#targets.online) return ok(undefined);
    const online: HeldChunk = {
      first,
      recordIdentifiers: rows.map((r) => r.recordIdentifier),
      eventKeys: rows.map((r) => r.eventKey),
      eventTimesMs: rows.map((r) => r.eventTimeMs),
      sequences: rows.map((r) => r.sequence ?? null),
      bodies,
    };
    if (last) {
      this.#lastOnline = online;
      return ok(undefined);
    }
    try {
      await this.#spill.put(online);
    } catch (error) {
      console.error("bulk staging failed", { featureGroup: this.#group.name, error: String(error) });
      return fail({ reason: "unavailable", detail: "the request's rows could not be staged; nothing was written, retry the request" });
    }
    return ok(undefined);
  }

  /** Registers the offline files (nothing when the request writes no offline rows). */
  async finishOffline(): Promise<Result<BulkOfflineResult | undefined>> {
    if (!this.#writer) return ok(undefined);
    const offlineStarted = Date.now();
    try {
      const finished = await this.#writer.finish(await this.#identity.digest());
      this.#writer = undefined;
      this.#timings.offlineMs += Date.now() - offlineStarted;
      return ok(finished);
    } catch (error) {
      return this.#offlineFailed(error);
    }
  }

  /** Sends every chunk's online rows, in input order within each shard; a failed shard takes no more rows. */
  async sendOnline(current: ServingGroup, acceptedMsOf: ((partition: string) => number) | undefined, result: BulkIngestResult): Promise<{ serving: ServingGroup; failure?: Failure }> {
    // Rows without offline files were accepted once read.
    const readAt = Date.now();
    const failures = new Map<number, Failure>();
    let serving = current;
    const send = async (chunk: OnlineChunk) => {
      const byShard = new Map<number, SequencedRow[]>();
      chunk.recordIdentifiers.forEach((recordIdentifier, i) => {
        const eventKey = chunk.eventKeys[i]!;
        const sequence = chunk.sequences[i] ?? bulkSequence(acceptedMsOf ? acceptedMsOf(partitionOf(eventKey)) : readAt, chunk.first + i);
        const shard = shardIndexOf(recordIdentifier, serving.group.shardCount);
        const row = { recordIdentifier, eventKey, eventTimeMs: chunk.eventTimesMs[i]!, body: chunk.bodies[i]!, sequence };
        const list = byShard.get(shard);
        if (list) list.push(row);
        else byShard.set(shard, [row]);
      });
      await Promise.all(
        [...byShard].map(async ([shard, records]) => {
          for (let i = 0; i < records.length && !failures.has(shard); i += CHUNK) {
            const part = records.slice(i, i + CHUNK);
            const sent = await sendChunk(this.#ctx, serving, shard, part, this.#req, this.#targets);
            if (!sent.ok) {
              failures.set(shard, sent.failure);
              return;
            }
            serving = sent.value.serving;
            result.written += part.length;
            result.online.written += sent.value.applied.filter(Boolean).length;
            result.online.olderEventTimeIgnored += sent.value.applied.filter((a) => !a).length;
          }
        }),
      );
    };
    try {
      for (let i = 0; i < this.#spill.count; i++) await send(await this.#spill.take(i));
    } catch (error) {
      // Staged rows that cannot be read back are not written; the rows already sent stay.
      console.error("bulk staged rows could not be read", { featureGroup: this.#group.name, error: String(error) });
      failures.set(-1, { reason: "unavailable", detail: "staged rows could not be read back; retry the rows not written" });
    }
    if (this.#lastOnline && !failures.has(-1)) await send(onlineChunkOf(this.#lastOnline));
    await this.#spill.discard();
    const failure = [...failures.values()][0];
    return failure ? { serving, failure } : { serving };
  }

  /** Deletes everything the request wrote or staged (nothing was registered) and answers `outcome`. */
  async abandon<T>(outcome: Result<T>): Promise<Result<T>> {
    await Promise.all([this.#writer?.discard(), this.#spill.discard()]);
    this.#writer = undefined;
    return outcome;
  }

  async #offlineWriter(): Promise<Result<BulkOfflineWriter>> {
    if (this.#writer) return ok(this.#writer);
    const group = this.#group;
    const dataKeys = await dataKeyLookup(this.#ctx.db, this.#ctx.secrets)(group.generation);
    if (!dataKeys.ok) return dataKeys;
    const schema = { featureGroup: group.name, generation: group.generation, recordIdentifierFeature: group.recordIdentifierFeature, eventTimeFeature: group.eventTimeFeature, features: group.features, catalogVersion: group.catalogVersion };
    this.#writer = new BulkOfflineWriter(this.#deps, schema, {
      apiInvocationTimeMs: this.#ctx.now,
      now: Date.now(),
      writeKey: offlineWriteKey(dataKeys.value),
      availability: this.#req.availability ?? ACCEPTED,
    });
    return ok(this.#writer);
  }

  #offlineFailed(error: unknown): Result<never> {
    // Nothing is online yet and unregistered objects are invisible: the request changed nothing.
    console.error("bulk offline write failed", { featureGroup: this.#group.name, error: String(error) });
    return fail({ reason: "unavailable", detail: "the offline store could not be written; nothing was written, retry the request" });
  }
}

/** A row on its way to a shard, with its place in the version order. */
interface SequencedRow extends Pick<CanonicalRecord, "recordIdentifier" | "eventKey" | "eventTimeMs" | "body"> {
  sequence: number;
}

const sameName = (feature: string) => feature;

/** validateRecord under the bulk field names (a feature's own name). */
function validRow(schema: RecordSchema, entries: readonly (readonly [string, unknown])[], encoding: ValueEncoding): Result<CanonicalRecord> {
  return validateRecord(schema, entries, encoding, sameName);
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
