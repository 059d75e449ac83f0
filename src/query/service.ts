import type { CatalogDb } from "../catalog";
import type { DataKeyLookup } from "../crypto/offline-objects";
import { fail, ok, type Result } from "../failure";
import { epochMsOfKey, isoFromEpochMs, type FeatureValue } from "../records";
import { eventTypeOf, newStats, planScan, scanRowGroups, versionAt, type FileFilter, type ReadStats } from "./offline-reader";
import { identifierKeys } from "./row-groups";
import { asOfSnapshot, compareVersions, historyOf, visibleAt, type AsOf, type RecordVersion } from "./versions";

/**
 * Time-travel reads over the offline store, run by the query worker. The API
 * worker has parsed and validated every parameter; these take typed values.
 */
export interface QueryDeps {
  db: CatalogDb;
  bucket: R2Bucket;
  /** Data keys of groups whose offline objects are encrypted (SSE-C). */
  keys: DataKeyLookup;
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
  /** Exclusive lower bound on the identifier, for paging. */
  after?: string;
  limit: number;
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
  /** Present when more records follow: pass it as `after`. */
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
  // Only the latest visible version of each of the `limit` smallest identifiers is kept while
  // streaming: the page is the first `limit` identifiers after the cursor, so memory follows the
  // page, not the group (150,000 wide records held whole were 123 % of the isolate: docs/limits.md).
  // A tombstone keeps its identifier's place, so a page may hold fewer live records than `limit`;
  // nextAfter then still continues exactly after the last identifier considered.
  const latest = new Map<string, RecordVersion>();
  /** The largest identifier that can still be on the page, once more than `limit` were seen. */
  let bound: string | undefined;
  const prune = () => {
    const ids = [...latest.keys()].sort();
    for (const id of ids.slice(query.limit)) latest.delete(id);
    bound = ids[query.limit - 1];
  };
  const bounds = {
    ...filter,
    ...(query.availableAtMs !== undefined ? { availableAtMostMs: query.availableAtMs } : {}),
    ...(query.recordIdentifiers ? { identifiers: identifierKeys(plan.schema, query.recordIdentifiers) } : {}),
  };
  for await (const rows of scanRowGroups(deps.bucket, plan, bounds, stats)) {
    for (let i = 0; i < rows.count; i++) {
      const id = rows.identifier(i);
      if (id === undefined || (wanted && !wanted.has(id)) || (query.after !== undefined && id <= query.after) || (bound !== undefined && id > bound)) continue;
      const version = versionAt(rows, i, plan.schema, eventType, id);
      if (!version || !visibleAt(version, asOf)) continue;
      const current = latest.get(id);
      if (!current || compareVersions(version, current) > 0) latest.set(id, version);
      if (latest.size > 2 * query.limit) prune();
    }
  }
  if (latest.size > query.limit) prune();
  const page = asOfSnapshot(latest.values(), asOf);
  return ok({
    records: page.map((v) => view(v, query.features)),
    ...(bound !== undefined ? { nextAfter: bound } : {}),
    stats,
  });
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
