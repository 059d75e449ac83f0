import { tableFromIPC, Timestamp, type Table } from "apache-arrow";
import { readParquet } from "parquet-wasm/esm";
import { FailureError, invalid, ok, type Result } from "../failure";
import { ensureParquetWasm } from "../offline/parquet";
import { canonicalFeatureValue } from "../offline/table-rows";
import { parseEventTime, parseRecordIdentifier, type EventTime, type FeatureDefinition } from "../records";
import type { DatasetEntity } from "./dataset";

/**
 * Entity rows of a dataset request: parsed from JSON rows, CSV text or a
 * Parquet object, then checked and turned into join keys (canonical
 * identifiers per group, event keys). Shared by the API worker (synchronous
 * requests) and the query worker (job chunks).
 */
export interface EntityGroupSpec {
  featureGroup: string;
  entityColumn: string;
  recordIdentifierFeature: string;
  eventTimeFeature: string;
  features: FeatureDefinition[];
}

const TIMESTAMP_RULE = "must be an ISO-8601 UTC time or epoch seconds";

function entityTime(field: string, raw: unknown): Result<EventTime> {
  const asIso = typeof raw === "string" && /^\d{4}-/.test(raw);
  const parsed = parseEventTime(field, asIso ? "String" : "Fractional", raw);
  return parsed.ok ? parsed : invalid(field, TIMESTAMP_RULE);
}

/** Join keys of entity rows; `firstRow` numbers them in messages (entities[n]). */
export function parseEntities(rows: readonly Record<string, unknown>[], firstRow: number, timestampColumn: string, groups: readonly EntityGroupSpec[]): Result<DatasetEntity[]> {
  const schemas = groups.map((g) => ({ featureGroup: g.featureGroup, recordIdentifierFeature: g.recordIdentifierFeature, eventTimeFeature: g.eventTimeFeature, features: new Map(g.features.map((f) => [f.name, f])) }));
  try {
    return ok(
      rows.map((row, i) => {
        const n = firstRow + i;
        const time = entityTime(`entities[${n}].${timestampColumn}`, row[timestampColumn]);
        if (!time.ok) throw new FailureError(time.failure);
        const recordIdentifiers = groups.map((g, gi) => {
          const field = `entities[${n}].${g.entityColumn}`;
          const raw = row[g.entityColumn];
          if (typeof raw !== "string" && typeof raw !== "number") throw new FailureError({ reason: "invalid_field", field, rule: "must be an identifier (string or integer)" });
          const id = parseRecordIdentifier(schemas[gi]!, field, raw);
          if (!id.ok) throw new FailureError(id.failure);
          return id.value;
        });
        return { columns: JSON.stringify(row), recordIdentifiers, eventKey: time.value.key, timeMs: time.value.epochMs };
      }),
    );
  } catch (error) {
    if (error instanceof FailureError) return { ok: false, failure: error.failure };
    throw error;
  }
}

/** Entity rows of a decoded Parquet table as JSON-like rows: int64 as numbers (or decimal text), timestamps as ISO-8601. */
export function rowsOfTable(table: Table): Record<string, unknown>[] {
  const columns = table.schema.fields.map((f) => ({ name: f.name, vector: table.getChild(f.name)!, timestamp: f.type instanceof Timestamp }));
  const rows: Record<string, unknown>[] = [];
  for (let i = 0; i < table.numRows; i++) {
    const row: Record<string, unknown> = {};
    for (const { name, vector, timestamp } of columns) {
      const raw = vector.get(i);
      if (raw === null || raw === undefined) row[name] = null;
      else if (timestamp) row[name] = new Date(typeof raw === "bigint" ? Number(raw) : (raw as number)).toISOString();
      else row[name] = canonicalFeatureValue(raw) ?? null;
    }
    rows.push(row);
  }
  return rows;
}

export function decodeEntityParquet(bytes: Uint8Array): Table {
  ensureParquetWasm();
  return tableFromIPC(readParquet(bytes).intoIPCStream());
}
