import { reloadServingGroup, servingGroup, type ServingGroup } from "../catalog";
import { fail, ok, type Failure, type Result } from "../failure";
import { shardIndexOf, type PutCommand } from "../online";
import { expiresAtMs, validateRecord, type CanonicalRecord, type TtlDuration, type ValueEncoding } from "../records";
import type { StoreContext } from "./context";
import { loadShardKeys, shardKeysOf } from "./keys";
import { shardStub } from "./shards";
import { resolveTargets, type StoreTarget } from "./targets";

/**
 * Bulk ingest: many records of one group in one request. Every row is
 * validated first; by default one invalid row rejects the request and
 * nothing is written. Valid rows go to their shards in chunks, in input
 * order within each shard, with the same event-time rule as single puts.
 */
export interface BulkRow {
  /** 1-based row number in the input, for the report. */
  row: number;
  entries: [string, unknown][] | null;
  /** Why the row could not even be read (bad JSON line, wrong CSV width). */
  unreadable?: string;
}

export interface BulkIngestRequest {
  featureGroup: string;
  encoding: ValueEncoding;
  targetStores?: StoreTarget[];
  ttl?: TtlDuration;
  /** reject: any invalid row rejects the request; skip: write the valid rows. */
  onInvalid: "reject" | "skip";
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
  offlineQueued: number;
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

function problemOf(row: number, failure: Failure): RowProblem {
  const field = "field" in failure ? failure.field : undefined;
  const rule = failure.reason === "invalid_field" ? failure.rule : failure.reason === "unknown_feature" ? `the group has no feature named ${failure.feature}` : failure.reason;
  return { row, code: failure.reason, ...(field !== undefined ? { field } : {}), rule };
}

export async function bulkIngest(ctx: StoreContext, req: BulkIngestRequest, rows: AsyncIterable<BulkRow>): Promise<Result<BulkIngestResult>> {
  let serving = await servingGroup(ctx.db, req.featureGroup, ctx.now);
  if (!serving) return fail({ reason: "feature_group_not_found", featureGroup: req.featureGroup });
  const targets = resolveTargets(serving.group, "targetStores", req.targetStores);
  if (!targets.ok) return targets;

  const result: BulkIngestResult = { rows: 0, written: 0, online: { written: 0, olderEventTimeIgnored: 0 }, offlineQueued: 0, invalidRows: 0, invalid: [], notWritten: 0 };
  const valid: CanonicalRecord[] = [];
  const report = (problem: RowProblem) => {
    result.invalidRows += 1;
    if (result.invalid.length < MAX_REPORTED_PROBLEMS) result.invalid.push(problem);
  };
  for await (const row of rows) {
    result.rows += 1;
    if (!row.entries) {
      report({ row: row.row, code: "invalid_field", field: "row", rule: row.unreadable ?? "is unreadable" });
      continue;
    }
    const record = validateRecord(serving.schema, row.entries, req.encoding, (f) => f);
    if (record.ok) valid.push(record.value);
    else report(problemOf(row.row, record.failure));
  }
  if (result.invalidRows > 0 && req.onInvalid === "reject") return ok(result);

  const byShard = new Map<number, CanonicalRecord[]>();
  for (const record of valid) {
    const shard = shardIndexOf(record.recordIdentifier, serving.group.shardCount);
    const list = byShard.get(shard);
    if (list) list.push(record);
    else byShard.set(shard, [record]);
  }
  const failures: Failure[] = [];
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
        if (targets.value.offline) result.offlineQueued += chunk.length;
      }
    }),
  );
  // Chunks already written stay written (each is atomic on its shard); the report says how many were not.
  if (failures[0] && result.written === 0) return fail(failures[0]);
  result.notWritten = valid.length - result.written;
  if (failures[0]) result.failure = failures[0];
  return ok(result);
}

/** Sends one chunk; a stale catalog reloads the definition and re-sends the same chunk once. */
async function sendChunk(
  ctx: StoreContext,
  serving: ServingGroup,
  shard: number,
  records: readonly CanonicalRecord[],
  req: BulkIngestRequest,
  targets: { online: boolean; offline: boolean },
): Promise<Result<{ applied: boolean[]; serving: ServingGroup }>> {
  let current = serving;
  for (let attempt = 0; attempt < 2; attempt++) {
    const { group } = current;
    const keys = await loadShardKeys(ctx, current);
    if (!keys.ok) return keys;
    const cmds: PutCommand[] = records.map((r) => ({
      catalogVersion: group.catalogVersion,
      ...shardKeysOf(current),
      recordIdentifier: r.recordIdentifier,
      eventKey: r.eventKey,
      expiresAtMs: targets.online ? expiresAtMs(r.eventTimeMs, req.ttl, group.onlineStore.ttl) : null,
      body: r.body,
      online: targets.online,
      offline: targets.offline,
      apiInvocationTimeMs: ctx.now,
    }));
    const reply = await shardStub(ctx, group.generation, shard).putMany(cmds);
    if (!("refused" in reply)) return ok({ applied: reply.applied, serving: current });
    const reloaded = await reloadServingGroup(ctx.db, req.featureGroup, ctx.now);
    if (!reloaded || reloaded.group.generation !== group.generation) return fail({ reason: "feature_group_not_found", featureGroup: req.featureGroup });
    current = reloaded;
  }
  return fail({ reason: "unavailable", detail: `feature group ${req.featureGroup} is being changed; retry the rows not written` });
}
