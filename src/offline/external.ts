import { isoFromEpochMs, type FeatureDefinition } from "../records";
import { bucketNameOf, dataPrefix, type OfflineLocationConfig } from "./layout";
import type { ManifestFile } from "./manifest";

/**
 * What external engines need to read a group's offline store: its location,
 * its files from the manifest, and ready-to-run SQL/DDL. Pure: the caller
 * passes the manifest.
 */
export interface OfflineStoreDescription {
  featureGroup: string;
  generation: string;
  location: string;
  bucket: string;
  prefix: string;
  files: {
    key: string;
    uri: string;
    partition: string;
    rowCount: number;
    byteSize: number;
    minEventTime: string;
    maxEventTime: string;
    minWriteTime: string;
    maxWriteTime: string;
    schemaVersion: number;
  }[];
  stats: { files: number; rows: number; bytes: number; partitions: number; minEventTime?: string; maxEventTime?: string };
  columns: { name: string; hiveType: string }[];
  sql: { duckdb: string; athena: string; spark: string };
}

function hiveType(def: FeatureDefinition): string {
  const scalar = def.type === "Integral" ? "bigint" : def.type === "Fractional" ? "double" : "string";
  return def.collection ? `array<${scalar}>` : scalar;
}

const quoteSql = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** The table name the generated DDL gives a group (SQL identifiers avoid "-"). */
export function tableNameOf(featureGroup: string): string {
  return featureGroup.replaceAll("-", "_");
}
const PARTITION_COLUMNS = ["year", "month", "day", "hour"];

export function describeOfflineStore(
  env: OfflineLocationConfig,
  group: { name: string; generation: string; features: readonly FeatureDefinition[] },
  files: readonly ManifestFile[],
): OfflineStoreDescription {
  const bucket = bucketNameOf(env);
  const prefix = `${dataPrefix(env, group.name, group.generation)}/`;
  const location = `s3://${bucket}/${prefix}`;
  const columns = [
    ...group.features.map((f) => ({ name: f.name, hiveType: hiveType(f) })),
    { name: "write_time", hiveType: "timestamp" },
    { name: "api_invocation_time", hiveType: "timestamp" },
    { name: "is_deleted", hiveType: "boolean" },
    // Files written before these two existed lack them: engines read NULL, and the generated SQL falls back to write_time.
    { name: "write_sequence", hiveType: "bigint" },
    { name: "available_time", hiveType: "timestamp" },
  ];
  const uris = files.map((f) => `s3://${bucket}/${f.key}`);
  const table = tableNameOf(group.name);
  const columnList = columns.map((c) => `  \`${c.name}\` ${c.hiveType}`).join(",\n");
  const partitions = PARTITION_COLUMNS.map((p) => `\`${p}\` string`).join(", ");
  const ddl = (keyword: string, loc: string) =>
    `CREATE EXTERNAL TABLE IF NOT EXISTS \`${table}\` (\n${columnList}\n)\nPARTITIONED BY (${partitions})\nSTORED AS PARQUET\nLOCATION ${quoteSql(loc)};\n${keyword}`;
  const eventTimes = files.flatMap((f) => [f.minEventTime, f.maxEventTime]);
  return {
    featureGroup: group.name,
    generation: group.generation,
    location,
    bucket,
    prefix,
    files: files.map((f, i) => ({
      key: f.key,
      uri: uris[i]!,
      partition: f.partition,
      rowCount: f.rowCount,
      byteSize: f.byteSize,
      minEventTime: isoFromEpochMs(f.minEventTime),
      maxEventTime: isoFromEpochMs(f.maxEventTime),
      minWriteTime: isoFromEpochMs(f.minWriteTime),
      maxWriteTime: isoFromEpochMs(f.maxWriteTime),
      schemaVersion: f.schemaVersion,
    })),
    stats: {
      files: files.length,
      rows: files.reduce((n, f) => n + f.rowCount, 0),
      bytes: files.reduce((n, f) => n + f.byteSize, 0),
      partitions: new Set(files.map((f) => f.partition)).size,
      ...(eventTimes.length
        ? { minEventTime: isoFromEpochMs(eventTimes.reduce((a, b) => Math.min(a, b))), maxEventTime: isoFromEpochMs(eventTimes.reduce((a, b) => Math.max(a, b))) }
        : {}),
    },
    columns,
    sql: {
      // The manifest's files, not a glob: a reader never sees files that
      // compaction replaced, nor objects not yet registered.
      duckdb:
        uris.length === 0
          ? `-- ${group.name} has no offline files yet`
          : `CREATE OR REPLACE VIEW ${table} AS\nSELECT * FROM read_parquet([\n  ${uris.map(quoteSql).join(",\n  ")}\n], hive_partitioning = true, hive_types_autocast = false, union_by_name = true);`,
      athena: ddl(`MSCK REPAIR TABLE \`${table}\`;`, location),
      spark: ddl(`MSCK REPAIR TABLE \`${table}\`;`, location.replace(/^s3:/, "s3a:")),
    },
  };
}
