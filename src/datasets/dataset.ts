import { invalid, ok, type Result } from "../failure";
import type { GenerationSchema } from "../offline/manifest";
import { eventKeyFromEpochMs, parseEventTime, type FeatureValue } from "../records";
import { eventOrderOf, LatestJoin, type GroupFeatures, type GroupResult, type RowEvent } from "./latest-join";
import { eventTypeOf, planScan, rowVersion, scanRowGroups, type ReadStats } from "../query/offline-reader";
import { knowledgeExcludes, versionsFor, type JoinOptions } from "./pit-join";
import { addStats, emptyStats, identifierKeys } from "../query/row-groups";
import type { QueryDeps } from "../query/service";
import { compareVersions, type RecordVersion } from "../query/versions";
import { MAX_SYNC_RESULT_CHARS } from "../records/limits";

/**
 * Builds a point-in-time-correct training dataset in the query worker.
 * Entity rows arrive parsed: identifiers canonical per group, timestamps as
 * event keys. Output rows keep every entity column (labels carried through)
 * and add each group's features under its prefix.
 *
 * Feature rows stream through row group by row group; what stays in memory
 * is per entity row: its best candidate so far (one version), or, for
 * `mostRecent` > 1 and `includeDuplicates`, the versions of its identifier
 * that can still qualify. Never all feature rows.
 */
export interface DatasetGroup {
  featureGroup: string;
  generation: string;
  features: string[];
  prefix: string;
  lookbackMs?: number;
}

export interface DatasetEntity {
  /** The entity row as given (every column, labels included). */
  row: Record<string, unknown>;
  /** Per group, the canonical identifier to join on. */
  recordIdentifiers: string[];
  eventKey: string;
  timeMs: number;
}

export type DatasetOptions = Omit<JoinOptions, "lookbackMs">;

export interface DatasetQuery {
  groups: DatasetGroup[];
  entities: DatasetEntity[];
  options: DatasetOptions;
}

/**
 * What knowledge time did to a dataset: entity rows that had a version
 * their event time (and lookback) admits but that became available only
 * after the row's timestamp, and among them those left with no features of
 * some group because of it. Always 0 with eventTimeOnly.
 */
export interface KnowledgeReport {
  rowsWithExcludedVersions: number;
  rowsEmptied: number;
}

export const emptyKnowledgeReport = (): KnowledgeReport => ({ rowsWithExcludedVersions: 0, rowsEmptied: 0 });

/** The warning a dataset carries when knowledge time emptied rows (null when it did not). */
export function knowledgeWarning(report: KnowledgeReport): string | null {
  if (report.rowsEmptied === 0) return null;
  return (
    `${report.rowsEmptied} entity row(s) got no features from at least one group only because every version their event time admits became available after the row's timestamp ` +
    `(knowledge time). Backfilled history is visible when it declares its availability (e.g. "from": "eventTime"); "eventTimeOnly": true ignores knowledge time. See docs/time-travel.md.`
  );
}

/** Rows travel back as JSON text: no structured-clone walk of every cell, and no deep RPC types. */
export interface DatasetResult {
  columns: string[];
  rows: string[];
  stats: ReadStats;
  knowledgeTime: KnowledgeReport;
  warnings: string[];
}

type Deps = QueryDeps;

/** Entity positions per identifier, each list in event-key order. */
function entityIndex(entities: readonly DatasetEntity[], groupIndex: number): Map<string, number[]> {
  const index = new Map<string, number[]>();
  entities.forEach((e, n) => {
    const id = e.recordIdentifiers[groupIndex]!;
    const list = index.get(id);
    if (list) list.push(n);
    else index.set(id, [n]);
  });
  for (const list of index.values()) list.sort((a, b) => (entities[a]!.eventKey < entities[b]!.eventKey ? -1 : entities[a]!.eventKey > entities[b]!.eventKey ? 1 : 0));
  return index;
}

function groupFeatures(schema: GenerationSchema): GroupFeatures {
  const integral = schema.features.find((f) => f.name === schema.recordIdentifierFeature)?.type === "Integral";
  return {
    all: schema.features.map((f) => f.name),
    identifier: schema.recordIdentifierFeature,
    eventTime: schema.eventTimeFeature,
    // The canonical form of an int64 cell: a number when safe, else its decimal text.
    identifierValue: integral ? (id) => (Number.isSafeInteger(Number(id)) ? Number(id) : id) : (id) => id,
  };
}

/**
 * One group's join: per entity row, what it joins newest first (what
 * versionsFor returns over all versions), streaming the group's row groups.
 */
async function joinGroup(deps: Deps, group: DatasetGroup, groupIndex: number, entities: readonly DatasetEntity[], options: DatasetOptions, stats: ReadStats): Promise<Result<GroupResult>> {
  const maxMs = entities.reduce((m, e) => Math.max(m, e.timeMs), -Infinity);
  const minMs = entities.reduce((m, e) => Math.min(m, e.timeMs), Infinity);
  // No pruning by knowledge time: the versions it excludes are counted (KnowledgeReport), so they are read.
  const filter = {
    eventAtMostMs: maxMs,
    ...(group.lookbackMs !== undefined ? { eventAtLeastMs: minMs - group.lookbackMs } : {}),
  };
  const planned = await planScan(deps.db, deps.keys, group.featureGroup, group.generation, filter);
  if (!planned.ok) return planned;
  const plan = planned.value;
  const groupStats = emptyStats(plan.filesInManifest);
  const index = entityIndex(entities, groupIndex);
  const lowerKeys = group.lookbackMs !== undefined ? entities.map((e) => eventKeyFromEpochMs(e.timeMs - group.lookbackMs!)) : undefined;
  const eventType = eventTypeOf(plan.schema);
  // Event times repeat across a row group (one per batch write, per hour): parse each once.
  const events = new Map<unknown, RowEvent | null>();
  const eventOf = (raw: unknown): RowEvent | undefined => {
    let event = events.get(raw);
    if (event === undefined) {
      const time = parseEventTime(plan.schema.eventTimeFeature, eventType, raw);
      event = time.ok ? { ...eventOrderOf(time.value.key), raw: raw as FeatureValue } : null;
      events.set(raw, event);
    }
    return event ?? undefined;
  };
  const bounds = { ...filter, identifiers: identifierKeys(plan.schema, index.keys()) };
  const batches = scanRowGroups(deps.bucket, plan, bounds, groupStats, deps.footers);

  if (options.mostRecent === 1 && !options.includeDuplicates) {
    const join = new LatestJoin(entities, index, groupFeatures(plan.schema), { eventTimeOnly: options.eventTimeOnly, ...(lowerKeys ? { lowerKeys } : {}) });
    for await (const rows of batches) join.addBatch(rows, eventOf);
    addStats(stats, groupStats);
    return ok(join.finish(options.includeDeleted));
  }

  // Several versions per entity row: keep, per identifier, every version that qualifies for one of its rows.
  const candidates = new Map<string, RecordVersion[]>();
  for await (const rows of batches) {
    for (let i = 0; i < rows.count; i++) {
      const id = rows.identifier(i);
      const slots = id === undefined ? undefined : index.get(id);
      if (!slots) continue;
      const event = eventOf(rows.rawEventTime(i));
      if (!event) continue;
      // Versions excluded only by knowledge time are kept too: knowledgeExcludes counts them below.
      const admitted = slots.some((n) => entities[n]!.eventKey >= event.key && (!lowerKeys || event.key >= lowerKeys[n]!));
      if (!admitted) continue;
      const version = rowVersion(rows, i, id!, event.key);
      const list = candidates.get(id!);
      if (list) list.push(version);
      else candidates.set(id!, [version]);
    }
  }
  addStats(stats, groupStats);
  for (const list of candidates.values()) list.sort(compareVersions);
  const joinOptions: JoinOptions = { ...options, ...(group.lookbackMs !== undefined ? { lookbackMs: group.lookbackMs } : {}) };
  const rowOf = (e: DatasetEntity) => ({ recordIdentifier: e.recordIdentifiers[groupIndex]!, eventKey: e.eventKey, timeMs: e.timeMs });
  const joined = entities.map((e) => versionsFor(rowOf(e), candidates.get(e.recordIdentifiers[groupIndex]!), joinOptions, eventKeyFromEpochMs));
  const excluded = entities.map((e) => knowledgeExcludes(rowOf(e), candidates.get(e.recordIdentifiers[groupIndex]!), joinOptions, eventKeyFromEpochMs));
  return ok({
    count: (n) => joined[n]!.length,
    value: (n, k, feature) => joined[n]![k]?.values[feature] ?? null,
    isDeleted: (n, k) => joined[n]![k]?.isDeleted ?? null,
    knowledgeExcluded: (n) => excluded[n]!,
  });
}

export function datasetColumns(groups: readonly DatasetGroup[], entityColumns: readonly string[], options: DatasetOptions): string[] {
  return [
    ...entityColumns,
    ...groups.flatMap((g) => g.features.map((f) => `${g.prefix}${f}`)),
    ...(options.includeDeleted ? groups.map((g) => `${g.prefix}is_deleted`) : []),
  ];
}

/** A chunk of entity rows joined with every group, ready to be rendered as rows or as columns. */
export interface JoinedEntities {
  entities: readonly DatasetEntity[];
  groups: readonly DatasetGroup[];
  options: DatasetOptions;
  perGroup: GroupResult[];
}

/** Joins a batch of entity rows with every group. */
export async function joinEntities(deps: Deps, groups: readonly DatasetGroup[], entities: readonly DatasetEntity[], options: DatasetOptions, stats: ReadStats): Promise<Result<JoinedEntities>> {
  const perGroup: GroupResult[] = [];
  for (const [i, group] of groups.entries()) {
    const joined = await joinGroup(deps, group, i, entities, options, stats);
    if (!joined.ok) return joined;
    perGroup.push(joined.value);
  }
  return ok({ entities, groups, options, perGroup });
}

/**
 * The output rows in order, as (entity row, version) pairs: with one group,
 * several versions make several rows; with several groups the request is
 * limited to one version each (see the request's checks).
 */
export interface OutputRows {
  entity: Int32Array;
  version: Int32Array;
}

export function outputRows(joined: JoinedEntities): OutputRows {
  const depths = joined.entities.map((_, n) => joined.perGroup.reduce((depth, group) => Math.max(depth, group.count(n)), 1));
  const total = depths.reduce((sum, d) => sum + d, 0);
  const entity = new Int32Array(total);
  const version = new Int32Array(total);
  let r = 0;
  depths.forEach((depth, n) => {
    for (let k = 0; k < depth; k++, r++) {
      entity[r] = n;
      version[r] = k;
    }
  });
  return { entity, version };
}

/** Output rows [from, to) of `at` (all by default). */
export interface RowRange {
  at: OutputRows;
  from: number;
  to: number;
}

const allRows = (joined: JoinedEntities): RowRange => {
  const at = outputRows(joined);
  return { at, from: 0, to: at.entity.length };
};

/** What knowledge time excluded in a joined chunk (see KnowledgeReport). */
export function knowledgeReport(joined: JoinedEntities): KnowledgeReport {
  const report = emptyKnowledgeReport();
  for (let n = 0; n < joined.entities.length; n++) {
    let excluded = false;
    let emptied = false;
    for (const group of joined.perGroup) {
      if (!group.knowledgeExcluded(n)) continue;
      excluded = true;
      if (group.count(n) === 0) emptied = true;
    }
    if (excluded) report.rowsWithExcludedVersions += 1;
    if (emptied) report.rowsEmptied += 1;
  }
  return report;
}

/** Whether each entity row makes exactly one output row (no group joined several versions). */
export function oneRowPerEntity(joined: JoinedEntities): boolean {
  return joined.perGroup.every((group) => joined.entities.every((_, n) => group.count(n) <= 1));
}

/** Output rows as objects, in entity order: the entity row's own keys, then each group's features. */
export function joinedRows(joined: JoinedEntities, range: RowRange = allRows(joined)): Record<string, unknown>[] {
  const { entities, groups, options, perGroup } = joined;
  const { at, from, to } = range;
  return Array.from(at.entity.subarray(from, to), (n, r) => {
    const k = at.version[from + r]!;
    const row: Record<string, unknown> = { ...entities[n]!.row };
    groups.forEach((group, i) => {
      for (const feature of group.features) row[`${group.prefix}${feature}`] = perGroup[i]!.value(n, k, feature);
      if (options.includeDeleted) row[`${group.prefix}is_deleted`] = perGroup[i]!.isDeleted(n, k);
    });
    return row;
  });
}

/** Output values per column (datasetColumns' names), in joinedRows' row order: typed results build from these without row objects. */
export function joinedColumns(joined: JoinedEntities, entityColumns: readonly string[], range: RowRange = allRows(joined)): Map<string, unknown[]> {
  const { entities, groups, options, perGroup } = joined;
  const { at, from, to } = range;
  const column = (cell: (n: number, k: number) => unknown) => Array.from(at.entity.subarray(from, to), (n, r) => cell(n, at.version[from + r]!));
  const columns = new Map<string, unknown[]>();
  for (const name of entityColumns) columns.set(name, column((n) => entities[n]!.row[name]));
  groups.forEach((group, i) => {
    const result = perGroup[i]!;
    for (const feature of group.features) columns.set(`${group.prefix}${feature}`, column((n, k) => result.value(n, k, feature)));
    if (options.includeDeleted) columns.set(`${group.prefix}is_deleted`, column((n, k) => result.isDeleted(n, k)));
  });
  return columns;
}

export async function buildDataset(deps: Deps, query: DatasetQuery, entityColumns: string[]): Promise<Result<DatasetResult>> {
  const stats = emptyStats();
  const joined = await joinEntities(deps, query.groups, query.entities, query.options, stats);
  if (!joined.ok) return joined;
  const knowledgeTime = knowledgeReport(joined.value);
  const warning = knowledgeWarning(knowledgeTime);
  const rows: string[] = [];
  let chars = 0;
  for (const row of joinedRows(joined.value)) {
    const text = JSON.stringify(row);
    chars += text.length;
    if (chars > MAX_SYNC_RESULT_CHARS) return invalid("entities", `must yield at most ${MAX_SYNC_RESULT_CHARS} characters of JSON rows in a synchronous dataset (these yield more); build it as a job ("async": true)`);
    rows.push(text);
  }
  return ok({ columns: datasetColumns(query.groups, entityColumns, query.options), rows, stats, knowledgeTime, warnings: warning ? [warning] : [] });
}

