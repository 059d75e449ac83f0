import type { CatalogDb } from "../catalog";
import { fail, ok, type Result } from "../failure";
import { eventKeyFromEpochMs } from "../records";
import type { QueryDeps } from "./service";
import { readFailure, readVersions, type ReadStats } from "./offline-reader";
import { featureCells, indexVersions, versionsFor, type EntityRow, type JoinOptions } from "./pit-join";
import type { RecordVersion } from "./versions";

/**
 * Builds a point-in-time-correct training dataset in the query worker.
 * Entity rows arrive parsed: identifiers canonical per group, timestamps as
 * event keys. Output rows keep every entity column (labels carried through)
 * and add each group's features under its prefix.
 */
export interface DatasetGroup {
  featureGroup: string;
  generation: string;
  features: string[];
  prefix: string;
  lookbackMs?: number;
}

export interface DatasetEntity {
  /** The entity row as given (every column, labels included), as JSON text. */
  columns: string;
  /** Per group, the canonical identifier to join on. */
  recordIdentifiers: string[];
  eventKey: string;
  timeMs: number;
}

export interface DatasetQuery {
  groups: DatasetGroup[];
  entities: DatasetEntity[];
  options: Omit<JoinOptions, "lookbackMs">;
}

/** Rows travel back as JSON text: no structured-clone walk of every cell, and no deep RPC types. */
export interface DatasetResult {
  columns: string[];
  rows: string[];
  stats: ReadStats;
}

export async function buildDataset(deps: QueryDeps, query: DatasetQuery, entityColumns: string[]): Promise<Result<DatasetResult>> {
  const stats: ReadStats = { filesInManifest: 0, filesRead: 0, bytesRead: 0, rowsRead: 0 };
  const maxMs = query.entities.reduce((m, e) => Math.max(m, e.timeMs), -Infinity);
  const minMs = query.entities.reduce((m, e) => Math.min(m, e.timeMs), Infinity);
  const indexes: Map<string, RecordVersion[]>[] = [];
  for (const group of query.groups) {
    const read = await readVersions(deps.db, deps.bucket, deps.keys, group.generation, {
      eventAtMostMs: maxMs,
      ...(query.options.eventTimeOnly ? {} : { writeAtMostMs: maxMs }),
      ...(group.lookbackMs !== undefined ? { eventAtLeastMs: minMs - group.lookbackMs } : {}),
    });
    if (!read.ok) return fail(readFailure(read, group.featureGroup));
    for (const key of Object.keys(stats) as (keyof ReadStats)[]) stats[key] += read.stats[key];
    indexes.push(indexVersions(read.versions));
  }

  const columns = [...entityColumns, ...query.groups.flatMap((g) => g.features.map((f) => `${g.prefix}${f}`))];
  const rows: string[] = [];
  for (const entity of query.entities) {
    const perGroup = query.groups.map((group, i) => {
      const row: EntityRow = { recordIdentifier: entity.recordIdentifiers[i]!, eventKey: entity.eventKey, timeMs: entity.timeMs };
      const options: JoinOptions = { ...query.options, ...(group.lookbackMs !== undefined ? { lookbackMs: group.lookbackMs } : {}) };
      return versionsFor(row, indexes[i]!.get(row.recordIdentifier), options, eventKeyFromEpochMs);
    });
    // With one group, several versions per entity become several rows; with
    // several groups the request is limited to one version each (see parse).
    const depth = Math.max(1, ...perGroup.map((v) => v.length));
    for (let k = 0; k < depth; k++) {
      const row = JSON.parse(entity.columns) as Record<string, unknown>;
      query.groups.forEach((group, i) => {
        const version = perGroup[i]![k];
        Object.assign(row, featureCells(group.prefix, group.features, version));
        if (query.options.includeDeleted) row[`${group.prefix}is_deleted`] = version?.isDeleted ?? null;
      });
      rows.push(JSON.stringify(row));
    }
  }
  if (query.options.includeDeleted) columns.push(...query.groups.map((g) => `${g.prefix}is_deleted`));
  return ok({ columns, rows, stats });
}
