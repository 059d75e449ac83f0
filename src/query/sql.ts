import { invalid, ok, type Result } from "../failure";
import type { FeatureDefinition } from "../records";

/**
 * Point-in-time SQL for engines beyond one worker: the same semantics as
 * pit-join.ts (newest version with event time ≤ the entity timestamp and,
 * unless event-time-only, write_time ≤ it; ties by write_time, then
 * api_invocation_time, then a deletion first; a deletion hides the data),
 * written with ROW_NUMBER so DuckDB, Athena/Trino and Spark all run it.
 * Two deliberate limits: timestamps compare at the engine's precision
 * (microseconds), and rows identical in all three times are not ordered by
 * content as the worker orders them.
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
  ];
  const empty = `SELECT ${columns.join(", ")} WHERE false`;
  if (group.fileUris.length === 0) return `(${empty})`;
  return `(${empty} UNION ALL BY NAME SELECT * FROM read_parquet([${group.fileUris.map(literal).join(", ")}], union_by_name = true))`;
}

export function pointInTimeSql(dialect: Dialect, req: SqlRequest, entityTimeIsEpoch: boolean): string {
  const q = (name: string) => ident(dialect, name);
  const entityTs = toTimestamp(dialect, `e.${q(req.timestampColumn)}`, entityTimeIsEpoch);
  const ctes = [`entities_numbered AS (\n  SELECT *, ROW_NUMBER() OVER () AS __row FROM ${q(req.entityTable)}\n)`];
  const selects: string[] = [];
  const joins: string[] = [];
  req.groups.forEach((group, i) => {
    const g = `g${i}`;
    const timeDef = group.definitions.find((d) => d.name === group.eventTimeFeature);
    const idDef = group.definitions.find((d) => d.name === group.recordIdentifierFeature);
    const featureTs = toTimestamp(dialect, `r.${q(group.eventTimeFeature)}`, timeDef?.type === "Fractional");
    const idCast = idDef?.type === "Integral" ? "BIGINT" : dialect === "spark" ? "STRING" : "VARCHAR";
    const conditions = [
      `r.${q(group.recordIdentifierFeature)} = CAST(e.${q(group.entityColumn)} AS ${idCast})`,
      `${featureTs} <= ${entityTs}`,
      ...(req.eventTimeOnly ? [] : [`r.write_time <= ${entityTs}`]),
      ...(group.lookbackSeconds !== undefined
        ? [`${featureTs} >= ${entityTs} - ${dialect === "spark" ? `make_interval(0, 0, 0, 0, 0, 0, ${group.lookbackSeconds})` : `INTERVAL '${group.lookbackSeconds}' SECOND`}`]
        : []),
    ];
    ctes.push(
      `${g} AS (\n  SELECT e.__row, r.*, ROW_NUMBER() OVER (\n    PARTITION BY e.__row\n    ORDER BY ${featureTs} DESC, r.write_time DESC, r.api_invocation_time DESC, r.is_deleted DESC\n  ) AS __rank\n  FROM entities_numbered e\n  JOIN ${source(dialect, group)} r\n    ON ${conditions.join("\n   AND ")}\n)`,
    );
    for (const f of group.features) selects.push(`CASE WHEN ${g}.is_deleted THEN NULL ELSE ${g}.${q(f)} END AS ${q(`${group.prefix}${f}`)}`);
    joins.push(`LEFT JOIN ${g} ON ${g}.__row = e.__row AND ${g}.__rank = 1`);
  });
  const columns = [...req.entityColumns.map((c) => `e.${q(c)}`), ...selects];
  return `WITH ${ctes.join(",\n")}\nSELECT\n  ${columns.join(",\n  ")}\nFROM entities_numbered e\n${joins.join("\n")}\nORDER BY e.__row;`;
}
