import { invalid, ok, type Result } from "../failure";
import type { FeatureDefinition } from "../records";

/**
 * Point-in-time SQL for engines beyond one worker: the same semantics as
 * pit-join.ts (newest version with event time ≤ the entity timestamp and,
 * unless event-time-only, knowledge time ≤ it; ties by write sequence, then
 * api_invocation_time, then a deletion first; a deletion hides the data),
 * written with ROW_NUMBER so DuckDB, Athena/Trino and Spark all run it.
 * Rows of files written before write_sequence and available_time existed
 * read them as NULL and fall back to write_time (records/order.ts), as the
 * worker does. Two deliberate limits: timestamps compare at the engine's
 * precision (microseconds), and rows identical in event time, sequence and
 * invocation time are not ordered by content as the worker orders them.
 */
export type Dialect = "duckdb" | "athena" | "spark";

export interface SqlGroup {
  featureGroup: string;
  recordIdentifierFeature: string;
  eventTimeFeature: string;
  definitions: readonly FeatureDefinition[];
  features: readonly string[];
  entityColumn: string;
  prefix: string;
  lookbackSeconds?: number;
  /** DuckDB reads the manifest's files; the others read the table from the offline-store DDL. */
  fileUris: readonly string[];
  tableName: string;
}

export interface SqlRequest {
  entityTable: string;
  /** The entity table's columns, carried through to the output. */
  entityColumns: readonly string[];
  timestampColumn: string;
  groups: readonly SqlGroup[];
  eventTimeOnly: boolean;
}

/** Longest client-chosen identifier (entity table, columns, prefixes) the SQL carries. */
export const MAX_SQL_IDENTIFIER_CHARS = 128;
// Quoting makes any text safe inside the SQL itself, but control characters
// (NUL ends a C string in some drivers; newlines break log lines and DDL
// tools) and lone surrogates (not encodable as UTF-8) cannot survive the
// trip to every engine, so they are refused instead.
const UNSAFE_IN_IDENTIFIER = /[\u0000-\u001f\u007f]/;

/** Refuses a client-chosen SQL identifier that quoting cannot carry safely to every engine. */
export function checkSqlIdentifier(field: string, name: string): Result<string> {
  if (name.length === 0 || name.length > MAX_SQL_IDENTIFIER_CHARS) return invalid(field, `must be 1 to ${MAX_SQL_IDENTIFIER_CHARS} characters`);
  if (UNSAFE_IN_IDENTIFIER.test(name) || !name.isWellFormed()) return invalid(field, "must not contain control characters or lone surrogates");
  return ok(name);
}

const ident = (dialect: Dialect, name: string) => (dialect === "duckdb" || dialect === "athena" ? `"${name.replaceAll('"', '""')}"` : `\`${name.replaceAll("`", "``")}\``);
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** An entity or feature time (ISO-8601 text or epoch seconds) as a timestamp. */
function toTimestamp(dialect: Dialect, expr: string, epochSeconds: boolean): string {
  if (epochSeconds) return dialect === "duckdb" ? `to_timestamp(${expr})` : dialect === "athena" ? `from_unixtime(${expr})` : `timestamp_seconds(${expr})`;
  return dialect === "duckdb" ? `CAST(${expr} AS TIMESTAMPTZ)` : dialect === "athena" ? `from_iso8601_timestamp(${expr})` : `to_timestamp(${expr})`;
}

const DUCKDB_TYPES = { Integral: "BIGINT", Fractional: "DOUBLE", String: "VARCHAR" } as const;

/**
 * DuckDB's source: an empty relation with every declared column, then the
 * manifest's files by name, so the SQL runs before the first file exists and
 * after a feature was added that no file has yet.
 */
function source(dialect: Dialect, group: SqlGroup): string {
  if (dialect !== "duckdb") return ident(dialect, group.tableName);
  const columns = [
    ...group.definitions.map((d) => `CAST(NULL AS ${DUCKDB_TYPES[d.type]}${d.collection ? "[]" : ""}) AS ${ident(dialect, d.name)}`),
    "CAST(NULL AS TIMESTAMPTZ) AS write_time",
    "CAST(NULL AS TIMESTAMPTZ) AS api_invocation_time",
    "CAST(NULL AS BOOLEAN) AS is_deleted",
    "CAST(NULL AS BIGINT) AS write_sequence",
    "CAST(NULL AS TIMESTAMPTZ) AS available_time",
  ];
  const empty = `SELECT ${columns.join(", ")} WHERE false`;
  if (group.fileUris.length === 0) return `(${empty})`;
  return `(${empty} UNION ALL BY NAME SELECT * FROM read_parquet([${group.fileUris.map(literal).join(", ")}], union_by_name = true))`;
}

/** A row's write sequence: write_sequence, or write_time in ms × 1000 for rows written before it existed. */
function sequenceOf(dialect: Dialect, row: string): string {
  const ms = dialect === "duckdb" ? `epoch_ms(${row}.write_time)` : dialect === "athena" ? `CAST(to_unixtime(${row}.write_time) * 1000 AS BIGINT)` : `unix_millis(${row}.write_time)`;
  return `COALESCE(${row}.write_sequence, ${ms} * 1000)`;
}

/** A row's knowledge time: available_time, or write_time for rows written before it existed. */
const knowledgeOf = (row: string) => `COALESCE(${row}.available_time, ${row}.write_time)`;

interface GroupSql {
  /** The ranked join: per entity row (__row), its versions newest first (__rank). */
  ranked: string;
  /** Per entity row, whether a version its event time (and lookback) admits has a knowledge time after it. */
  excluded: string;
}

function groupSql(dialect: Dialect, req: SqlRequest, group: SqlGroup, entityTs: string): GroupSql {
  const q = (name: string) => ident(dialect, name);
  const timeDef = group.definitions.find((d) => d.name === group.eventTimeFeature);
  const idDef = group.definitions.find((d) => d.name === group.recordIdentifierFeature);
  const featureTs = toTimestamp(dialect, `r.${q(group.eventTimeFeature)}`, timeDef?.type === "Fractional");
  const idCast = idDef?.type === "Integral" ? "BIGINT" : dialect === "spark" ? "STRING" : "VARCHAR";
  const admitted = [
    `r.${q(group.recordIdentifierFeature)} = CAST(e.${q(group.entityColumn)} AS ${idCast})`,
    `${featureTs} <= ${entityTs}`,
    ...(group.lookbackSeconds !== undefined
      ? [`${featureTs} >= ${entityTs} - ${dialect === "spark" ? `make_interval(0, 0, 0, 0, 0, 0, ${group.lookbackSeconds})` : `INTERVAL '${group.lookbackSeconds}' SECOND`}`]
      : []),
  ];
  const conditions = [...admitted, ...(req.eventTimeOnly ? [] : [`${knowledgeOf("r")} <= ${entityTs}`])];
  const from = `  FROM entities_numbered e\n  JOIN ${source(dialect, group)} r\n    ON `;
  return {
    ranked: `SELECT e.__row, r.*, ROW_NUMBER() OVER (\n    PARTITION BY e.__row\n    ORDER BY ${featureTs} DESC, ${sequenceOf(dialect, "r")} DESC, r.api_invocation_time DESC, r.is_deleted DESC\n  ) AS __rank\n${from}${conditions.join("\n   AND ")}`,
    excluded: req.eventTimeOnly
      ? "SELECT __row FROM entities_numbered WHERE 1 = 0"
      : `SELECT DISTINCT e.__row\n${from}${[...admitted, `${knowledgeOf("r")} > ${entityTs}`].join("\n   AND ")}`,
  };
}

function entitiesCte(dialect: Dialect, req: SqlRequest): string {
  return `entities_numbered AS (\n  SELECT *, ROW_NUMBER() OVER () AS __row FROM ${ident(dialect, req.entityTable)}\n)`;
}

/** The header every generated query starts with: the rules it applies, in a few lines. */
function header(req: SqlRequest, what: string): string {
  const knowledge = req.eventTimeOnly
    ? "-- eventTimeOnly: knowledge time is ignored (values that became available later may leak)."
    : "-- Leak-free: a version joins only if COALESCE(available_time, write_time) <= the entity timestamp (its knowledge time).";
  return [
    `-- ${what} (Edge Feature Store, docs/time-travel.md).`,
    "-- Per entity row and group: the newest version with event time <= the entity timestamp,",
    "-- ordered by event time, then COALESCE(write_sequence, write_time in ms * 1000), then api_invocation_time,",
    "-- a deletion last; a deletion as newest version yields NULL features.",
    knowledge,
    "-- The companion knowledgeCheck query counts the entity rows that had versions excluded only by knowledge time,",
    "-- and those it left without the features of some group.",
  ].join("\n");
}

export function pointInTimeSql(dialect: Dialect, req: SqlRequest, entityTimeIsEpoch: boolean): string {
  const q = (name: string) => ident(dialect, name);
  const entityTs = toTimestamp(dialect, `e.${q(req.timestampColumn)}`, entityTimeIsEpoch);
  const ctes = [entitiesCte(dialect, req)];
  const selects: string[] = [];
  const joins: string[] = [];
  req.groups.forEach((group, i) => {
    const g = `g${i}`;
    ctes.push(`${g} AS (\n  ${groupSql(dialect, req, group, entityTs).ranked}\n)`);
    for (const f of group.features) selects.push(`CASE WHEN ${g}.is_deleted THEN NULL ELSE ${g}.${q(f)} END AS ${q(`${group.prefix}${f}`)}`);
    joins.push(`LEFT JOIN ${g} ON ${g}.__row = e.__row AND ${g}.__rank = 1`);
  });
  const columns = [...req.entityColumns.map((c) => `e.${q(c)}`), ...selects];
  return `${header(req, "Point-in-time join")}\nWITH ${ctes.join(",\n")}\nSELECT\n  ${columns.join(",\n  ")}\nFROM entities_numbered e\n${joins.join("\n")}\nORDER BY e.__row;`;
}

/**
 * The companion of pointInTimeSql: one row with rows_with_excluded_versions
 * (entity rows that had a version their event time admits but whose
 * knowledge time is after the row's timestamp) and rows_emptied (those left
 * with no features of some group because of it), as the worker's
 * knowledgeTime report counts them. Both 0 with eventTimeOnly.
 */
export function knowledgeCheckSql(dialect: Dialect, req: SqlRequest, entityTimeIsEpoch: boolean): string {
  const entityTs = toTimestamp(dialect, `e.${ident(dialect, req.timestampColumn)}`, entityTimeIsEpoch);
  const ctes = [entitiesCte(dialect, req)];
  const joins: string[] = [];
  const excluded: string[] = [];
  const emptied: string[] = [];
  req.groups.forEach((group, i) => {
    const sql = groupSql(dialect, req, group, entityTs);
    ctes.push(`g${i} AS (\n  ${sql.ranked}\n)`, `x${i} AS (\n  ${sql.excluded}\n)`);
    joins.push(`LEFT JOIN g${i} ON g${i}.__row = e.__row AND g${i}.__rank = 1`, `LEFT JOIN x${i} ON x${i}.__row = e.__row`);
    excluded.push(`x${i}.__row IS NOT NULL`);
    emptied.push(`(x${i}.__row IS NOT NULL AND (g${i}.__row IS NULL OR g${i}.is_deleted))`);
  });
  const count = (conditions: string[]) => `SUM(CASE WHEN ${conditions.join(" OR ")} THEN 1 ELSE 0 END)`;
  return (
    `${header(req, "Knowledge-time check of the point-in-time join")}\nWITH ${ctes.join(",\n")}\n` +
    `SELECT\n  COALESCE(${count(excluded)}, 0) AS rows_with_excluded_versions,\n  COALESCE(${count(emptied)}, 0) AS rows_emptied\nFROM entities_numbered e\n${joins.join("\n")};`
  );
}
