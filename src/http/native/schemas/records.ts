import { z } from "zod";
import { featureRecord, itemError, named, timestamp } from "./common";

/** Answers of the record routes (src/http/native/records.ts). */

export const putRecordResponse = named(
  "PutRecordResponse",
  z.object({
    online: z.enum(["written", "older_event_time_ignored", "not_targeted"]),
    offline: z.enum(["queued", "not_targeted"]),
    expiresAt: timestamp.optional().describe("When the record expires online, when the group or the put has a TTL."),
  }),
);

export const recordResponse = named("GetRecordResponse", z.object({ record: featureRecord, expiresAt: timestamp.optional() }));

export const updateRecordResponse = named("UpdateRecordResponse", z.object({ expiresAt: timestamp.optional() }));

export const deleteRecordResponse = named(
  "DeleteRecordResponse",
  z.object({ online: z.enum(["deleted", "older_event_time_unchanged", "not_targeted"]), offline: z.enum(["queued", "not_targeted"]) }),
);

export const listRecordsResponse = named(
  "ListRecordsResponse",
  z.object({ recordIdentifiers: z.array(z.string()), nextToken: z.string().optional().describe("Pass as ?nextToken= for the next page; absent on the last.") }),
);

export const batchGetResponse = named(
  "BatchGetResponse",
  z.object({
    records: z.array(
      z.object({ featureGroup: z.string(), recordIdentifier: z.string(), ageMs: z.number().int().optional().describe("With ?maxStalenessMs= above 0."), record: featureRecord, expiresAt: timestamp.optional() }),
    ),
    misses: z.array(z.object({ featureGroup: z.string(), recordIdentifier: z.string() })).describe("Identifiers with no record."),
    errors: z.array(z.object({ featureGroup: z.string(), recordIdentifier: z.string().optional(), error: itemError })),
    unprocessed: z.array(z.object({ featureGroup: z.string(), recordIdentifiers: z.array(z.string()), features: z.array(z.string()).optional() })).describe("Retry these: their shards did not answer in time."),
  }),
);

export const bulkIngestReport = named(
  "BulkIngestReport",
  z.object({
    rows: z.number().int(),
    written: z.number().int(),
    online: z.object({ written: z.number().int(), olderEventTimeIgnored: z.number().int() }),
    offline: z.object({ written: z.number().int(), alreadyWritten: z.number().int() }),
    invalidRows: z.number().int(),
    invalid: z.array(z.object({ row: z.number().int(), code: z.string(), field: z.string().optional(), rule: z.string() })).describe("The first 1,000 problems: row (1-based), field and rule."),
    notWritten: z.number().int(),
    error: itemError.optional().describe("Why notWritten rows were not written (answered with 207)."),
  }),
);
