// Bulk-ingested offline files read back by DuckDB: an Arrow IPC stream and a
// Parquet body go through POST /v1/feature-groups/{name}/records/batch, the
// worker writes the offline rows as Parquet itself, and the files the
// manifest names (fetched through the local R2 S3 API) are read by DuckDB,
// directly and through the offline-store endpoint's own SQL. The Parquet
// body itself is written by DuckDB (a client's file from another engine). A
// retried request (same Idempotency-Key) adds no rows.
import { Field, Float64, Int64, List, makeData, makeVector, Table, TimestampNanosecond, Utf8, tableToIPC, vectorFromArray } from "apache-arrow";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENDPOINT, SDK_ACCESS_KEY_ID, SDK_SECRET_ACCESS_KEY } from "../support";
import { canonicalRow, createOfflineGroup, download, drained, localize, openDuck, readParquet, tempDir, type Duck, type LocalCopy, type OfflineStoreView } from "./engines";

const BIG = "9223372036854775807";
const ROWS = 40;
const BASE_NS = BigInt(Date.UTC(2026, 4, 1, 10)) * 1_000_000n;
/** Row i's event time: six minutes and one nanosecond apart, over four hours. */
const eventNs = (i: number) => BASE_NS + BigInt(i) * 360_000_000_001n;

async function bulk(group: string, body: Uint8Array, contentType: string, key: string): Promise<any> {
  const res = await fetch(`${ENDPOINT}/v1/feature-groups/${group}/records/batch`, {
    method: "POST",
    headers: { authorization: `Bearer ${SDK_ACCESS_KEY_ID}:${SDK_SECRET_ACCESS_KEY}`, "content-type": contentType, "idempotency-key": key },
    body: new Uint8Array(body),
  });
  const json = await res.json();
  expect(res.status, JSON.stringify(json)).toBe(200);
  return json;
}

/** Rows i in [from, to): ids, nanosecond event times over two hours, int64 extremes, lists. */
function table(from: number, to: number): Table {
  const ids = Array.from({ length: to - from }, (_, k) => from + k);
  return new Table({
    id: vectorFromArray(ids.map((i) => `b${i}`), new Utf8()),
    ts: makeVector(makeData({ type: new TimestampNanosecond("UTC"), length: ids.length, nullCount: 0, data: BigInt64Array.from(ids, eventNs) })),
    i64: vectorFromArray(ids.map((i) => (i === 0 ? BigInt(BIG) : BigInt(-i))), new Int64()),
    f64: vectorFromArray(ids.map((i) => i / 8), new Float64()),
    tags: vectorFromArray(ids.map((i) => [`t${i}`, "x"]), new List(new Field("element", new Utf8(), true))),
  });
}

/** The same rows as Parquet, written by DuckDB. */
async function duckParquet(duck: Duck, dir: string, from: number, to: number): Promise<Uint8Array> {
  const path = join(dir, `body-${from}.parquet`);
  await duck.run(
    `COPY (SELECT 'b' || i AS id, make_timestamp_ns(${BASE_NS} + i * 360000000001) AS ts, (CASE WHEN i = 0 THEN ${BIG} ELSE -i END)::BIGINT AS i64,
            i / 8 AS f64, ['t' || i, 'x'] AS tags FROM range(${from}, ${to}) t(i)) TO '${path}' (FORMAT parquet)`,
  );
  return new Uint8Array(readFileSync(path));
}

function expectedTs(i: number): string {
  const nanos = eventNs(i);
  const seconds = nanos / 1_000_000_000n;
  const fraction = (nanos % 1_000_000_000n).toString().padStart(9, "0").replace(/0+$/, "");
  return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19)}${fraction ? `.${fraction}` : ""}Z`;
}

describe("bulk-ingested offline files read by DuckDB", () => {
  let group: string;
  let store: OfflineStoreView;
  let copy: LocalCopy;
  let duck: Duck;
  const dir = tempDir("bulk-duck-");

  beforeAll(async () => {
    group = await createOfflineGroup("bulk-duck", [
      { name: "i64", type: "Integral" },
      { name: "f64", type: "Fractional" },
      { name: "tags", type: "String", collection: { type: "List" } },
    ]);
    duck = await openDuck();
    const first = await bulk(group, tableToIPC(table(0, ROWS / 2), "stream"), "application/vnd.apache.arrow.stream", "first-half");
    expect(first.offline).toEqual({ written: ROWS / 2, alreadyWritten: 0 });
    const second = await bulk(group, await duckParquet(duck, dir.path, ROWS / 2, ROWS), "application/vnd.apache.parquet", "second-half");
    expect(second.offline).toEqual({ written: ROWS / 2, alreadyWritten: 0 });
    // A client retry of the first request after a lost response.
    const retry = await bulk(group, tableToIPC(table(0, ROWS / 2), "stream"), "application/vnd.apache.arrow.stream", "first-half");
    expect(retry.offline).toEqual({ written: 0, alreadyWritten: ROWS / 2 });
    store = await drained(group, ROWS);
    copy = await download(store, join(dir.path, "store"));
  });

  afterAll(() => {
    duck?.close();
    dir.remove();
  });

  it("holds every row once, with exact int64, nanosecond event times, lists and the offline columns", async () => {
    const rows = await duck.all(`SELECT id, ts, i64, f64, tags, is_deleted, write_time IS NOT NULL AS has_write_time, hour FROM ${readParquet(copy.files)} ORDER BY CAST(substr(id, 2) AS INTEGER)`);
    expect(rows.map(canonicalRow)).toEqual(
      Array.from({ length: ROWS }, (_, i) => ({
        id: `b${i}`,
        ts: expectedTs(i),
        i64: i === 0 ? BIG : -i,
        f64: i / 8,
        tags: [`t${i}`, "x"],
        is_deleted: false,
        has_write_time: true,
        hour: Number(expectedTs(i).slice(11, 13)),
      })),
    );
    // One file per request and hourly partition: two requests, each spanning two hours.
    expect(store.files.length).toBe(4);
  });

  it("reads the same rows through the offline-store endpoint's DuckDB SQL", async () => {
    await duck.run(localize(store.sql.duckdb, copy));
    const view = group.replaceAll("-", "_");
    const count = await duck.all(`SELECT count(*) AS n, count(DISTINCT id) AS ids FROM ${view}`);
    expect(canonicalRow(count[0]!)).toEqual({ n: ROWS, ids: ROWS });
  });
});
