import type { FooterMemo } from "../parquet";
import type { CatalogDb } from "../catalog";
import type { DataKeyLookup } from "../crypto/offline-objects";
import { fail, ok, type Result } from "../failure";
import { compareIdentifiers, epochMsOfKey, isoFromEpochMs, type FeatureValue } from "../records";
import { eventTypeOf, newStats, planScan, scanRowGroups, versionAt, type FileFilter, type ReadStats } from "./offline-reader";
import { identifierKeys } from "./row-groups";
import { historyOf, LatestPage, visibleAt, type AsOf, type RecordVersion } from "./versions";

/**
 * Time-travel reads over the offline store, run by the query worker. The API
 * worker has parsed and validated every parameter; these take typed values.
 */
export interface QueryDeps {
  db: CatalogDb;
  bucket: R2Bucket;
  /** Data keys of groups whose offline objects are encrypted (SSE-C). */
  keys: DataKeyLookup;
  /** Footers already read by this invocation (a dataset job's steps scan the same files chunk after chunk). */
  footers?: FooterMemo;
}

export interface AsOfQuery {
  featureGroup: string;
  generation: string;
  /** Event time bound as an event key, and the same instant in ms for pruning. */
  eventKeyAtMost?: string;
  /** write_time bound, epoch ms. */
  knownAtMs?: number;
  /** Knowledge-time bound (available_time), epoch ms. */
  availableAtMs?: number;
  features?: string[];
  recordIdentifiers?: string[];
  /** Exclusive lower bound on the identifier (identifier order, records/identifier-order.ts), for paging. */
  after?: string;
  limit: number;
  /**
   * Also return identifiers whose winning version is a deletion (with
   * isDeleted: true), as the parity audit needs to tell "gone offline" from
   * "never offline". The public as-of route leaves them out.
   */
  includeDeleted?: boolean;
}

export interface VersionView {
  recordIdentifier: string;
  record: Record<string, FeatureValue>;
  isDeleted: boolean;
  writeTime: string;
  apiInvocationTime: string;
  /** The version's place in the version order after event time (records/order.ts). */
  writeSequence: number;
  /** Its knowledge time. */
  availableTime: string;
}

export interface AsOfResult {
  records: VersionView[];
  /**
   * Present when more records may follow: pass it as `after`. A page may
   * hold fewer than `limit` records and still have one (the read keeps at
   * most limit + 1 identifiers in memory, deleted ones included).
   */
  nextAfter?: string;
  stats: ReadStats;
}

function view(version: RecordVersion, features?: readonly string[]): VersionView {
  const record = features ? Object.fromEntries(features.filter((f) => f in version.values).map((f) => [f, version.values[f]!])) : version.values;
  return {
    recordIdentifier: version.recordIdentifier,
    record,
    isDeleted: version.isDeleted,
    writeTime: isoFromEpochMs(version.writeTimeMs),
    apiInvocationTime: isoFromEpochMs(version.apiInvocationTimeMs),
    writeSequence: version.writeSequence,
    availableTime: isoFromEpochMs(version.availableTimeMs),
  };
}

export async function asOfQuery(deps: QueryDeps, query: AsOfQuery): Promise<Result<AsOfResult>> {
  const filter: FileFilter = {
    ...(query.eventKeyAtMost !== undefined ? { eventAtMostMs: epochMsOfKey(query.eventKeyAtMost) } : {}),
    ...(query.knownAtMs !== undefined ? { writeAtMostMs: query.knownAtMs } : {}),
  };
  const planned = await planScan(deps.db, deps.keys, query.featureGroup, query.generation, filter);
  if (!planned.ok) return planned;
  const plan = planned.value;
  const wanted = query.recordIdentifiers ? new Set(query.recordIdentifiers) : undefined;
  const asOf: AsOf = {
    ...(query.eventKeyAtMost !== undefined ? { eventKeyAtMost: query.eventKeyAtMost } : {}),
    ...(query.knownAtMs !== undefined ? { writeTimeAtMostMs: query.knownAtMs } : {}),
    ...(query.availableAtMs !== undefined ? { availableAtMostMs: query.availableAtMs } : {}),
  };
  const stats = newStats(plan);
  const eventType = eventTypeOf(plan.schema);
  // Only the latest visible version per identifier is kept while streaming, for at most limit + 1 identifiers.
  const latest = new LatestPage(query.limit + 1);
  const bounds = {
    ...filter,
    ...(query.availableAtMs !== undefined ? { availableAtMostMs: query.availableAtMs } : {}),
    ...(query.recordIdentifiers ? { identifiers: identifierKeys(plan.schema, query.recordIdentifiers) } : {}),
  };
  for await (const rows of scanRowGroups(deps.bucket, plan, bounds, stats)) {
    for (let i = 0; i < rows.count; i++) {
      const id = rows.identifier(i);
      if (id === undefined || (wanted && !wanted.has(id)) || (query.after !== undefined && compareIdentifiers(id, query.after) <= 0) || !latest.admits(id)) continue;
      const version = versionAt(rows, i, plan.schema, eventType, id);
      if (version && visibleAt(version, asOf)) latest.offer(version);
    }
  }
  const { versions, coveredThrough } = latest.result();
  const selected = query.includeDeleted ? versions : versions.filter((v) => !v.isDeleted);
  const page = selected.slice(0, query.limit);
  const nextAfter = selected.length > query.limit ? page.at(-1)!.recordIdentifier : coveredThrough;
  return ok({ records: page.map((v) => view(v, query.features)), ...(nextAfter !== undefined ? { nextAfter } : {}), stats });
}

export interface HistoryQuery {
  featureGroup: string;
  generation: string;
  recordIdentifier: string;
  fromKey?: string;
  toKey?: string;
}

export async function historyQuery(deps: QueryDeps, query: HistoryQuery): Promise<Result<{ versions: VersionView[]; stats: ReadStats }>> {
  const filter: FileFilter = {
    ...(query.toKey !== undefined ? { eventAtMostMs: epochMsOfKey(query.toKey) } : {}),
    ...(query.fromKey !== undefined ? { eventAtLeastMs: epochMsOfKey(query.fromKey) } : {}),
  };
  const planned = await planScan(deps.db, deps.keys, query.featureGroup, query.generation, filter);
  if (!planned.ok) return planned;
  const plan = planned.value;
  const stats = newStats(plan);
  const eventType = eventTypeOf(plan.schema);
  const found: RecordVersion[] = [];
  for await (const rows of scanRowGroups(deps.bucket, plan, { ...filter, identifiers: identifierKeys(plan.schema, [query.recordIdentifier]) }, stats)) {
    for (let i = 0; i < rows.count; i++) {
      if (rows.identifier(i) !== query.recordIdentifier) continue;
      const version = versionAt(rows, i, plan.schema, eventType, query.recordIdentifier);
      if (version) found.push(version);
    }
  }
  const versions = historyOf(found, query.recordIdentifier, {
    ...(query.fromKey !== undefined ? { fromKey: query.fromKey } : {}),
    ...(query.toKey !== undefined ? { toKey: query.toKey } : {}),
  });
  return ok({ versions: versions.map((v) => view(v)), stats });
}
