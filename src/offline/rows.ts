import { epochMsOfKey, isoFromEpochMs, legacySequence, type FeatureValue } from "../records";
import type { GenerationSchema } from "./manifest";
import type { OfflineRow } from "./message";
import type { OfflineRowValues } from "./parquet";

/**
 * Turns outbox rows into the values of offline rows. Puts and updates carry
 * the record; deletes carry the identifier and the delete's event time; a TTL
 * expiry is a deletion at the expiry instant, with the record's identifier.
 * The shard's stamp and acceptance time become write_sequence and
 * available_time (rows of messages sent before they existed: the request's
 * time for both).
 */
export function offlineValues(schema: GenerationSchema, row: OfflineRow, writeTimeMs: number): OfflineRowValues {
  const record = JSON.parse(row.body) as Record<string, FeatureValue>;
  let values = record;
  if (row.kind === "expire") {
    const timeDef = schema.features.find((f) => f.name === schema.eventTimeFeature);
    const ms = epochMsOfKey(row.eventKey);
    const id = record[schema.recordIdentifierFeature];
    values = {
      ...(id !== undefined ? { [schema.recordIdentifierFeature]: id } : {}),
      [schema.eventTimeFeature]: timeDef?.type === "Fractional" ? ms / 1000 : isoFromEpochMs(ms),
    };
  }
  return {
    values,
    writeTimeMs,
    apiInvocationTimeMs: row.apiInvocationTimeMs,
    isDeleted: row.isDeleted,
    writeSequence: row.writeSequence ?? legacySequence(row.apiInvocationTimeMs),
    availableTimeMs: row.availableTimeMs ?? row.apiInvocationTimeMs,
  };
}
