import { z } from "zod";
import { named, timestamp } from "./common";

/** Answers of the dataset routes (datasets.ts). */

const knowledgeTime = z
  .object({ rowsWithExcludedVersions: z.number().int(), rowsEmptied: z.number().int() })
  .describe("Entity rows whose versions knowledge time excluded, and rows it left without features.");

export const dataset = named(
  "Dataset",
  z.object({
    columns: z.array(z.string()),
    rows: z.array(z.record(z.string(), z.unknown())),
    stats: z.record(z.string(), z.number()).describe("What the join read: files, bytes, rows."),
    knowledgeTime,
    warnings: z.array(z.string()),
  }),
);

export const datasetJob = named(
  "DatasetJob",
  z.object({
    id: z.string(),
    state: z.enum(["queued", "running", "succeeded", "failed", "cancelled"]),
    format: z.enum(["ndjson", "csv", "parquet", "arrow"]),
    progress: z.object({
      chunksTotal: z.number().int().nullable(),
      chunksDone: z.number().int(),
      entitiesTotal: z.number().int().nullable(),
      entitiesProcessed: z.number().int(),
      filesRead: z.number().int(),
      bytesRead: z.number().int(),
      rowsWritten: z.number().int(),
    }),
    knowledgeTime,
    warnings: z.array(z.string()).optional(),
    result: z.object({ key: z.string(), bytes: z.number().int(), contentType: z.string(), bucket: z.string(), uri: z.string() }).optional(),
    error: z.string().optional(),
    createdAt: timestamp,
    updatedAt: timestamp,
  }),
);

const engines = z.object({ duckdb: z.string(), athena: z.string(), spark: z.string() });

export const datasetSql = named("DatasetSql", engines.extend({ knowledgeCheck: engines.describe("Queries that count rows knowledge time would exclude.") }));

const readStats = z
  .object({ filesInManifest: z.number().int(), filesRead: z.number().int(), bytesRead: z.number().int(), rowsRead: z.number().int(), rowGroupsRead: z.number().int(), rowGroupsSkipped: z.number().int() })
  .describe("What the read cost: files and row groups of the offline store.");

const version = named(
  "RecordVersion",
  z.object({
    recordIdentifier: z.string(),
    record: z.record(z.string(), z.unknown()),
    isDeleted: z.boolean(),
    writeTime: timestamp,
    apiInvocationTime: timestamp,
    writeSequence: z.number().int(),
    availableTime: timestamp.describe("Its knowledge time: when the store knew it."),
  }),
);

export const asOfResponse = named(
  "AsOfResponse",
  z.object({ records: z.array(version), nextAfter: z.string().optional().describe("Pass as ?after= for the next page."), stats: readStats }),
);

export const historyResponse = named("RecordHistory", z.object({ versions: z.array(version), stats: readStats }));
