import { tableToIPC, type Table, type Vector } from "apache-arrow";
import { toCsv } from "../formats/csv";
import { parquetStream } from "../offline/parquet-stream";
import type { FeatureDefinition } from "../records";
import { joinedColumns, joinedRows, oneRowPerEntity, outputRows, type JoinedEntities, type RowRange } from "./dataset";
import { arrowTypeIs, datasetParquet, datasetTableOfColumns, type EntityTypeName } from "./encode";

/**
 * One job step's result rows as a part object, encoded a slice of rows at
 * a time: a Parquet row group, an Arrow record batch or a run of text lines
 * per slice. A step may produce millions of cells (MAX_STEP_CELLS in job-run.ts); built
 * whole, their columns, the Arrow table and parquet-wasm's copy of it took
 * hundreds of MiB (docs/limits.md, dataset-step). Slices go out as a byte
 * stream that putInParts sends to R2 in parts.
 */
export type JobFormat = "ndjson" | "csv" | "parquet" | "arrow";

/**
 * Cells (rows × columns) of one slice. About 2,500 rows of a 50-column
 * result; a narrow result gets bigger slices, so its parts keep few row
 * groups.
 */
export const SLICE_CELLS = 128 * 1024;
const MIN_SLICE_ROWS = 1_024;
const MAX_SLICE_ROWS = 65_536;

export const sliceRows = (columns: number): number => Math.max(MIN_SLICE_ROWS, Math.min(MAX_SLICE_ROWS, Math.floor(SLICE_CELLS / Math.max(1, columns))));

export interface PartInput {
  format: JobFormat;
  /** The result's columns, in order (datasetColumns). */
  columns: readonly string[];
  entityColumns: readonly string[];
  entityTypes: Readonly<Record<string, EntityTypeName>>;
  featureTypes: ReadonlyMap<string, FeatureDefinition>;
  joined: JoinedEntities;
  /** The result's first part: a CSV part then opens with the header. */
  first: boolean;
  /** The step's entity rows as decoded from an entity Parquet object: typed results may take their columns as they are. */
  entityTable?: Table;
}

export interface EncodedPart {
  stream: ReadableStream<Uint8Array>;
  rows: number;
}

const ARROW_EOS = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

/** Bytes of an Arrow IPC stream's schema message: continuation marker, metadata length, metadata. */
export const arrowSchemaBytes = (head: Uint8Array): number => 8 + new DataView(head.buffer, head.byteOffset, 8).getInt32(4, true);

/** Encodes a step's rows as one part: NDJSON, CSV, an Arrow IPC stream or a Parquet file. */
export async function encodePart(input: PartInput): Promise<EncodedPart> {
  const at = outputRows(input.joined);
  const rows = at.entity.length;
  const step = sliceRows(input.columns.length);
  const ranges: RowRange[] = [];
  // An empty part still carries the header, the schema message or the schema.
  for (let from = 0; from < rows || from === 0; from += step) ranges.push({ at, from, to: Math.min(rows, from + step) });
  switch (input.format) {
    case "ndjson":
      return { rows, stream: byteStream(ndjsonSlices(input, ranges)) };
    case "csv":
      return { rows, stream: byteStream(csvSlices(input, ranges)) };
    case "arrow":
      return { rows, stream: byteStream(arrowSlices(input, ranges)) };
    case "parquet": {
      const tables = tableSlices(input, ranges);
      if (ranges.length === 1) return { rows, stream: byteStream([datasetParquet(tables.next().value!)].values()) };
      return { rows, stream: await parquetStream(asAsync(tables), { rowsPerGroup: step, dataset: true }) };
    }
  }
}

function* ndjsonSlices(input: PartInput, ranges: readonly RowRange[]): Generator<Uint8Array> {
  const encoder = new TextEncoder();
  for (const range of ranges) yield encoder.encode(joinedRows(input.joined, range).map((r) => `${JSON.stringify(r)}\n`).join(""));
}

function* csvSlices(input: PartInput, ranges: readonly RowRange[]): Generator<Uint8Array> {
  const encoder = new TextEncoder();
  for (const range of ranges) {
    const csv = toCsv(input.columns, joinedRows(input.joined, range));
    yield encoder.encode(input.first && range.from === 0 ? csv : csv.slice(csv.indexOf("\n") + 1));
  }
}

/** One stream: the first slice's schema message, every slice's record batch, one end-of-stream marker. */
function* arrowSlices(input: PartInput, ranges: readonly RowRange[]): Generator<Uint8Array> {
  let first = true;
  for (const table of tableSlices(input, ranges)) {
    const bytes = tableToIPC(table, "stream");
    yield bytes.subarray(first ? 0 : arrowSchemaBytes(bytes), bytes.length - ARROW_EOS.length);
    first = false;
  }
  yield ARROW_EOS;
}

/**
 * The slices as Arrow tables. Entity columns come from the entity Parquet
 * as they are when each entity row makes one output row (output row r is
 * then entity row r) and the column already has the result's type.
 */
function* tableSlices(input: PartInput, ranges: readonly RowRange[]): Generator<Table> {
  const { joined, entityTable, entityColumns, entityTypes } = input;
  const reusable = entityTable && oneRowPerEntity(joined) ? reusableEntityVectors(entityTable, entityColumns, entityTypes) : new Map<string, Vector>();
  const built = entityColumns.filter((c) => !reusable.has(c));
  for (const range of ranges) {
    const values = joinedColumns(joined, built, range);
    const reused = new Map([...reusable].map(([name, vector]) => [name, vector.slice(range.from, range.to)]));
    yield datasetTableOfColumns(input.columns, (name) => values.get(name)!, input.featureTypes, entityTypes, reused);
  }
}

/** Entity Parquet columns whose Arrow type is already the result's type for them. */
function reusableEntityVectors(table: Table, entityColumns: readonly string[], entityTypes: Readonly<Record<string, EntityTypeName>>): Map<string, Vector> {
  const reusable = new Map<string, Vector>();
  for (const name of entityColumns) {
    const vector = table.getChild(name);
    if (vector && vector.data.length === 1 && arrowTypeIs(vector.type, entityTypes[name]!)) reusable.set(name, vector);
  }
  return reusable;
}

async function* asAsync<T>(items: Iterable<T>): AsyncGenerator<T> {
  yield* items;
}

/** A pull stream over chunks made on demand: only the slice being sent is in memory. */
function byteStream(chunks: Iterator<Uint8Array>): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        const next = chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
    },
    { highWaterMark: 0 },
  );
}
