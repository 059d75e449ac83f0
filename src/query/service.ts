import type { CatalogDb } from "../catalog";
import { fail, ok, type Result } from "../failure";
import { epochMsOfKey, isoFromEpochMs, type FeatureValue } from "../records";
import type { DataKeyLookup } from "../crypto/offline-objects";
import { readFailure, readVersions, type FileFilter, type ReadStats } from "./offline-reader";
import { asOfSnapshot, historyOf, type AsOf, type RecordVersion } from "./versions";

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
  };
}


export async function asOfQuery(deps: QueryDeps, query: AsOfQuery): Promise<Result<AsOfResult>> {
  const filter: FileFilter = {
    ...(query.eventKeyAtMost !== undefined ? { eventAtMostMs: epochMsOfKey(query.eventKeyAtMost) } : {}),
    ...(query.knownAtMs !== undefined ? { writeAtMostMs: query.knownAtMs } : {}),
  };
  const read = await readVersions(deps.db, deps.bucket, deps.keys, query.generation, filter);
  if (!read.ok) return fail(readFailure(read, query.featureGroup));
  const wanted = query.recordIdentifiers ? new Set(query.recordIdentifiers) : undefined;
  const asOf: AsOf = {
    ...(query.eventKeyAtMost !== undefined ? { eventKeyAtMost: query.eventKeyAtMost } : {}),
    ...(query.knownAtMs !== undefined ? { writeTimeAtMostMs: query.knownAtMs } : {}),
  };
  const snapshot = asOfSnapshot(
    read.versions.filter((v) => (!wanted || wanted.has(v.recordIdentifier)) && (query.after === undefined || v.recordIdentifier > query.after)),
    asOf,
  );
  const page = snapshot.slice(0, query.limit);
  return ok({
    records: page.map((v) => view(v, query.features)),
    ...(snapshot.length > query.limit ? { nextAfter: page.at(-1)!.recordIdentifier } : {}),
    stats: read.stats,
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
  const read = await readVersions(deps.db, deps.bucket, deps.keys, query.generation, filter);
  if (!read.ok) return fail(readFailure(read, query.featureGroup));
  const versions = historyOf(read.versions, query.recordIdentifier, {
    ...(query.fromKey !== undefined ? { fromKey: query.fromKey } : {}),
    ...(query.toKey !== undefined ? { toKey: query.toKey } : {}),
  });
  return ok({ versions: versions.map((v) => view(v)), stats: read.stats });
}
