import { tableFromIPC, type Table } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { decodeParquet } from "../../src/offline/parquet";
import { datasetColumns, joinedRows, type DatasetEntity, type JoinedEntities } from "../../src/datasets/dataset";
import { encodePart, sliceRows, type JobFormat } from "../../src/datasets/job-parts";
import { memorySource, readFooter } from "../../src/parquet";
import type { FeatureDefinition } from "../../src/records";

/**
 * A job step's part is encoded a slice of rows at a time (a Parquet row
 * group, an Arrow record batch, a run of lines per slice): whatever the
 * slicing, the part holds every row of the step, in order, once.
 */
const FEATURES = Array.from({ length: 260 }, (_, i) => `f${i}`);
const ENTITY_ROWS = 1_100;
/** Every entity row joins this many versions: 2,200 result rows, three slices (of 1,024 rows) of a 262-column result. */
const VERSIONS = 2;

function joinedStep(): JoinedEntities {
  const entities: DatasetEntity[] = Array.from({ length: ENTITY_ROWS }, (_, n) => ({
    row: { user: `u${n}`, at: "2026-01-02T00:00:00.000Z" },
    recordIdentifiers: [`u${n}`],
    eventKey: "",
    timeMs: 0,
  }));
  return {
    entities,
    groups: [{ featureGroup: "g", generation: "g1", features: FEATURES, prefix: "" }],
    options: { eventTimeOnly: false, includeDeleted: false, includeDuplicates: true, mostRecent: VERSIONS },
    perGroup: [
      {
        count: () => VERSIONS,
        value: (n, k, feature) => (feature === "f7" && n % 5 === 0 ? null : n * 1000 + k * 100 + Number(feature.slice(1))),
        isDeleted: () => false,
        knowledgeExcluded: () => false,
      },
    ],
  };
}

async function bytesOf(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const plain = (table: Table) => table.toArray().map((row) => Object.fromEntries(Object.entries(row.toJSON()).map(([k, v]) => [k, typeof v === "bigint" ? Number(v) : v])));

describe("job step parts", () => {
  const joined = joinedStep();
  const columns = datasetColumns(joined.groups, ["user", "at"], joined.options);
  const expected = joinedRows(joined);
  const featureTypes = new Map<string, FeatureDefinition>(FEATURES.map((name) => [name, { name, type: "Integral" }]));
  const part = (format: JobFormat, first = true) => encodePart({ format, columns, entityColumns: ["user", "at"], entityTypes: { user: "string", at: "string" }, featureTypes, joined, first });

  it("slices a wide step into several row groups of at most sliceRows rows", () => {
    expect(columns.length).toBe(262);
    expect(sliceRows(columns.length)).toBe(1_024);
    expect(expected.length).toBe(ENTITY_ROWS * VERSIONS);
    expect(Math.ceil(expected.length / sliceRows(columns.length))).toBe(3);
  });

  it("writes a Parquet part as a stream of row groups holding every row in order", async () => {
    const encoded = await part("parquet");
    const bytes = await bytesOf(encoded.stream);
    expect(encoded.rows).toBe(expected.length);
    const { layout: footer } = await readFooter(memorySource("job-parts.test.ts", bytes));
    expect(footer.rowGroups.length).toBe(Math.ceil(expected.length / sliceRows(columns.length)));
    expect(footer.rowGroups.every((g) => g.numRows <= sliceRows(columns.length))).toBe(true);
    expect(plain(decodeParquet(bytes))).toEqual(expected);
  }, 60_000);

  it("writes an Arrow part as one stream: one schema message, a record batch per slice", async () => {
    const encoded = await part("arrow");
    const table = tableFromIPC(await bytesOf(encoded.stream));
    expect(table.batches.length).toBe(Math.ceil(expected.length / sliceRows(columns.length)));
    expect(plain(table)).toEqual(expected);
  }, 60_000);

  it("writes NDJSON and CSV parts line by line; only the result's first part has the CSV header", async () => {
    const ndjson = new TextDecoder().decode(await bytesOf((await part("ndjson")).stream));
    expect(ndjson.trimEnd().split("\n").map((line) => JSON.parse(line))).toEqual(expected);
    const csv = new TextDecoder().decode(await bytesOf((await part("csv")).stream)).trimEnd().split("\n");
    expect(csv.length).toBe(expected.length + 1);
    expect(csv[0]).toBe(columns.join(","));
    expect(csv[11]!.split(",").slice(0, 3)).toEqual(["u5", "2026-01-02T00:00:00.000Z", String(expected[10]!.f0)]);
    const later = new TextDecoder().decode(await bytesOf((await part("csv", false)).stream)).trimEnd().split("\n");
    expect(later).toEqual(csv.slice(1));
  }, 60_000);
});
