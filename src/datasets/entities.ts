import { Timestamp, TimeUnit, Type, type Data, type Field, type Table } from "apache-arrow";
import { FailureError, invalid, ok, type Result } from "../failure";
import { decodeParquet } from "../offline/parquet";
import { parseEventTime, parseRecordIdentifier, type EventTime, type FeatureDefinition } from "../records";
import { ColumnCells } from "../query/arrow-cells";
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

/** How messages name the entity row at index i of a list (entities[n] in a request). */
export type RowName = (i: number) => string;

export const requestRow: RowName = (i) => `entities[${i}]`;

/** Join keys of entity rows, named in messages by `rowName`. */
export function parseEntities(rows: readonly Record<string, unknown>[], rowName: RowName, timestampColumn: string, groups: readonly EntityGroupSpec[]): Result<DatasetEntity[]> {
  const schemas = groups.map((g) => ({ featureGroup: g.featureGroup, recordIdentifierFeature: g.recordIdentifierFeature, eventTimeFeature: g.eventTimeFeature, features: new Map(g.features.map((f) => [f.name, f])) }));
  const times = new Map<unknown, EventTime>();
  const previous: { raw: unknown; id: string }[] = groups.map(() => ({ raw: undefined, id: "" }));
  try {
    return ok(
      rows.map((row, i) => {
        const raw = row[timestampColumn];
        // Training sets often share timestamps (one label date per snapshot): parse each once.
        let time = times.get(raw);
        if (!time) {
          const parsed = entityTime(`${rowName(i)}.${timestampColumn}`, raw);
          if (!parsed.ok) throw new FailureError(parsed.failure);
          time = parsed.value;
          times.set(raw, time);
        }
        const recordIdentifiers = groups.map((g, gi) => {
          const raw = row[g.entityColumn];
          // Entity lists are usually sorted by identifier: a repeat of the previous row's is already checked.
          const last = previous[gi]!;
          if (last.raw === raw && raw !== undefined) return last.id;
          const field = `${rowName(i)}.${g.entityColumn}`;
          if (typeof raw !== "string" && typeof raw !== "number") throw new FailureError({ reason: "invalid_field", field, rule: "must be an identifier (string or integer)" });
          const id = parseRecordIdentifier(schemas[gi]!, field, raw);
          if (!id.ok) throw new FailureError(id.failure);
          previous[gi] = { raw, id: id.value };
          return id.value;
        });
        return { row, recordIdentifiers, eventKey: time.key, timeMs: time.epochMs };
      }),
    );
  } catch (error) {
    if (error instanceof FailureError) return { ok: false, failure: error.failure };
    throw error;
  }
}

/** Entity rows of a decoded Parquet table as JSON-like rows: int64 as numbers (or decimal text), timestamps as ISO-8601. Rows [from, to) only, when given. */
export function rowsOfTable(table: Table, from = 0, to = table.numRows): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = Array.from({ length: Math.max(0, to - from) }, () => ({}));
  let start = 0;
  for (const batch of table.batches) {
    const lo = Math.max(from, start) - start;
    const hi = Math.min(to, start + batch.numRows) - start;
    const out = start + lo - from;
    if (lo < hi) batch.schema.fields.forEach((field, j) => columnCells(batch.getChildAt(j)!.data[0]!, field, lo, hi, (i, value) => (rows[out + i - lo]![field.name] = value)));
    start += batch.numRows;
  }
  return rows;
}

/** One column of a decoded entity table as rowsOfTable gives its values (a whole chunk's types are inferred from these without row objects). */
export function columnOfTable(table: Table, name: string): unknown[] {
  const values: unknown[] = [];
  for (const batch of table.batches) {
    const j = batch.schema.fields.findIndex((f) => f.name === name);
    if (j === -1) for (let i = 0; i < batch.numRows; i++) values.push(undefined);
    else columnCells(batch.getChildAt(j)!.data[0]!, batch.schema.fields[j]!, 0, batch.numRows, (_, value) => values.push(value));
  }
  return values;
}

/** Cells [from, to) of one column chunk as JSON-like values, in order. */
function columnCells(data: Data, field: Field, from: number, to: number, take: (i: number, value: unknown) => void): void {
  const cells = new ColumnCells(data);
  const timestamp = field.type instanceof Timestamp;
  const milliseconds = timestamp && (field.type as Timestamp).unit === TimeUnit.MILLISECOND;
  const text = cells.typeId === Type.Utf8;
  let previous: unknown = null;
  for (let i = from; i < to; i++) {
    let value: unknown;
    if (cells.isNull(i)) value = null;
    else if (milliseconds) value = new Date(cells.int64AsNumber(i)).toISOString();
    else if (timestamp) value = new Date(cells.get(i) as number).toISOString(); // apache-arrow converts other units to ms
    // Sorted entity lists repeat identifiers row after row: decode each run once (short texts decode faster than a memo finds them).
    else if (text && i > from && previous !== null && cells.sameText(i, i - 1)) value = previous;
    else value = cells.featureValue(i) ?? null;
    take(i, value);
    previous = value;
  }
}
