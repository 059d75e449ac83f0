// One version order online and offline (issue #12, part 1). Every ordered
// pair of write paths that reach both stores (native put and soft delete,
// SageMaker PutRecord, DeleteRecord, BatchWriteRecord and UpdateRecord, bulk
// ingest) writes one record twice at the same event time, right after each
// other; so do two rows of one bulk request. After the offline store has
// drained, the version that wins must be the same everywhere: online, as-of
// (with and without an event-time bound), the record's history, datasets
// (leak-free and event-time-only) and the generated DuckDB SQL run over the
// manifest's files.
import { BatchWriteRecordCommand, DeleteRecordCommand, PutRecordCommand, UpdateRecordCommand } from "@aws-sdk/client-sagemaker-featurestore-runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENDPOINT, native, rec, runtime, SDK_ACCESS_KEY_ID, SDK_SECRET_ACCESS_KEY } from "../support";
import { call, canonicalRow, createOfflineGroup, download, drained, localize, offlineStore, openDuck, put, softDelete, sqlString, tempDir, type Duck, type Json } from "./engines";

const EVENT = "2026-06-01T01:00:00Z";
/** An older version of every record, so an UpdateRecord always has one to merge into; it never wins. */
const BASE_EVENT = "2026-05-31T01:00:00Z";

/** What a write left behind: a version with this age, a deletion, or nothing (a refused UpdateRecord). */
type Effect = { age: number } | "deleted" | "refused";

interface WritePath {
  name: string;
  write(group: string, id: string, age: number): Promise<Effect>;
}

async function bulkRows(group: string, rows: Record<string, Json>[]): Promise<void> {
  const res = await fetch(`${ENDPOINT}/v1/feature-groups/${group}/records/batch`, {
    method: "POST",
    headers: { authorization: `Bearer ${SDK_ACCESS_KEY_ID}:${SDK_SECRET_ACCESS_KEY}`, "content-type": "application/x-ndjson" },
    body: rows.map((r) => JSON.stringify(r)).join("\n"),
  });
  const report = (await res.json()) as { offline: { written: number } };
  expect(res.status, JSON.stringify(report)).toBe(200);
  expect(report.offline.written).toBe(rows.length);
}

const PATHS: WritePath[] = [
  {
    name: "native put",
    write: async (group, id, age) => {
      await put(group, { id, ts: EVENT, age });
      return { age };
    },
  },
  {
    name: "native soft delete",
    write: async (group, id) => {
      await softDelete(group, id, EVENT);
      return "deleted";
    },
  },
  {
    name: "SageMaker PutRecord",
    write: async (group, id, age) => {
      await runtime.send(new PutRecordCommand({ FeatureGroupName: group, Record: rec({ id, ts: EVENT, age: String(age) }) }));
      return { age };
    },
  },
  {
    name: "SageMaker DeleteRecord",
    write: async (group, id) => {
      await runtime.send(new DeleteRecordCommand({ FeatureGroupName: group, RecordIdentifierValueAsString: id, EventTime: EVENT }));
      return "deleted";
    },
  },
  {
    name: "SageMaker BatchWriteRecord",
    write: async (group, id, age) => {
      const out = await runtime.send(new BatchWriteRecordCommand({ Entries: [{ FeatureGroupName: group, Record: rec({ id, ts: EVENT, age: String(age) }) }] }));
      expect(out.Errors).toEqual([]);
      return { age };
    },
  },
  {
    name: "SageMaker UpdateRecord",
    write: async (group, id, age) => {
      try {
        await runtime.send(new UpdateRecordCommand({ FeatureGroupName: group, RecordIdentifierValueAsString: id, Features: rec({ ts: EVENT, age: String(age) }) }));
        return { age };
      } catch (error) {
        // After a deletion there is no live record to merge into: refused, nothing written anywhere.
        expect((error as { name: string }).name).toBe("ResourceNotFound");
        return "refused";
      }
    },
  },
  {
    name: "bulk ingest",
    write: async (group, id, age) => {
      await bulkRows(group, [{ id, ts: EVENT, age }]);
      return { age };
    },
  },
];

interface Scenario {
  name: string;
  id: string;
  /** The last version written, which must win everywhere; "deleted" for a deletion. */
  expected: { age: number } | "deleted";
  /** Whether the record has the older base version. */
  base: boolean;
}

describe("one version order for every pair of write paths at equal event time", () => {
  let group = "";
  let duck: Duck;
  const dir = tempDir("fs-write-order-");
  const scenarios: Scenario[] = [];

  beforeAll(async () => {
    duck = await openDuck();
    group = await createOfflineGroup("write-order", [{ name: "age", type: "Integral" }], { shardCount: 2 });
    let offlineRows = 0;
    let age = 1;
    for (const first of PATHS) {
      for (const second of PATHS) {
        const id = `r${scenarios.length}`;
        await put(group, { id, ts: BASE_EVENT, age: 0 });
        offlineRows += 1;
        const effects = [await first.write(group, id, age++), await second.write(group, id, age++)];
        offlineRows += effects.filter((e) => e !== "refused").length;
        const last = effects.filter((e) => e !== "refused").at(-1)!;
        scenarios.push({ name: `${first.name}, then ${second.name}`, id, expected: last as Scenario["expected"], base: true });
      }
    }
    // Two rows of one record in one bulk request: the later row wins, whatever their JSON.
    const id = `r${scenarios.length}`;
    await bulkRows(group, [
      { id, ts: EVENT, age: 9 },
      { id, ts: EVENT, age: 10 },
    ]);
    offlineRows += 2;
    scenarios.push({ name: "two rows of one bulk request", id, expected: { age: 10 }, base: false });
    await drained(group, offlineRows, 60_000);
  }, 300_000);

  afterAll(() => {
    duck?.close();
    dir.remove();
  });

  const expectedRecord = (s: Scenario) => (s.expected === "deleted" ? null : { id: s.id, ts: EVENT, age: s.expected.age });

  it("serves the later write online", async () => {
    for (const s of scenarios) {
      const res = await native("GET", `/feature-groups/${group}/records/${s.id}`);
      if (s.expected === "deleted") expect(res.status, s.name).toBe(404);
      else expect(res.body.record, s.name).toEqual(expectedRecord(s));
    }
  }, 120_000);

  it("answers as-of, with and without an event-time bound, and history with the same version", async () => {
    for (const s of scenarios) {
      for (const query of ["", `&eventTime=${EVENT}`, `&eventTime=${EVENT}&availableAt=2099-01-01T00:00:00Z`]) {
        const asOf = await call("GET", `/feature-groups/${group}/as-of?ids=${s.id}${query}`);
        expect(asOf.records.map((r: { record: unknown }) => r.record), `${s.name}: as-of${query}`).toEqual(s.expected === "deleted" ? [] : [expectedRecord(s)]);
      }
      const history = await call("GET", `/feature-groups/${group}/records/${s.id}/history`);
      const last = history.versions.at(-1) as { record: Record<string, Json>; isDeleted: boolean };
      if (s.expected === "deleted") expect(last.isDeleted, `${s.name}: history`).toBe(true);
      else expect([last.isDeleted, last.record], `${s.name}: history`).toEqual([false, expectedRecord(s)]);
      // Versions come in the version order: event time, then the order the store accepted them.
      const atEvent = history.versions.slice(s.base ? 1 : 0) as { record: { ts: string }; writeSequence: number }[];
      expect(history.versions.map((v: { record: { ts: string } }) => v.record.ts), s.name).toEqual([...(s.base ? [BASE_EVENT] : []), ...atEvent.map(() => EVENT)]);
      const sequences = atEvent.map((v) => v.writeSequence);
      expect(sequences, `${s.name}: sequences increase`).toEqual([...sequences].sort((a, b) => a - b));
    }
  }, 120_000);

  it("joins the same version in datasets (leak-free and event-time-only) and in the generated DuckDB SQL", async () => {
    const entities = scenarios.map((s, n) => ({ n, id: s.id, at: "2099-01-01T00:00:00Z" }));
    const expected = scenarios.map((s, n) => ({ n, id: s.id, at: "2099-01-01T00:00:00Z", f_ts: s.expected === "deleted" ? null : EVENT, f_age: s.expected === "deleted" ? null : s.expected.age }));
    const copy = await download(await offlineStore(group), dir.path);
    await duck.run(`CREATE OR REPLACE TABLE entities (n BIGINT, id VARCHAR, "at" VARCHAR)`);
    await duck.run(`INSERT INTO entities VALUES ${entities.map((e) => `(${e.n}, ${sqlString(e.id)}, ${sqlString(e.at)})`).join(", ")}`);
    for (const eventTimeOnly of [false, true]) {
      const featureGroups = [{ name: group, entityColumn: "id", features: ["ts", "age"], prefix: "f_" }];
      const dataset = await call("POST", "/datasets", { entities: { rows: entities }, timestampColumn: "at", featureGroups, eventTimeOnly });
      const context = eventTimeOnly ? "event-time-only" : "leak-free";
      dataset.rows.forEach((row: Record<string, Json>, n: number) => expect(row, `${scenarios[n]!.name}: dataset, ${context}`).toEqual(expected[n]));
      expect(dataset.knowledgeTime).toEqual({ rowsWithExcludedVersions: 0, rowsEmptied: 0 });
      const sql = await call("POST", "/datasets/sql", { timestampColumn: "at", entityColumns: ["n", "id", "at"], featureGroups, eventTimeOnly });
      const generated = (await duck.all(localize(sql.duckdb, copy))).map(canonicalRow);
      generated.forEach((row, n) => expect(row, `${scenarios[n]!.name}: generated DuckDB SQL, ${context}`).toEqual(expected[n]));
      const [check] = (await duck.all(localize(sql.knowledgeCheck.duckdb, copy))).map(canonicalRow);
      expect(check).toEqual({ rows_with_excluded_versions: 0, rows_emptied: 0 });
    }
  }, 120_000);
});
