import { runDurableObjectAlarm } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { Bool, Field, Float64, Int32, Int64, List, makeData, makeVector, Struct, Table, TimestampMicrosecond, TimestampNanosecond, TimestampSecond, Utf8, tableToIPC, type Vector } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { shardName } from "../../src/online";
import { columnVector } from "../../src/offline/arrow-columns";
import { MAX_PARQUET_ROW_GROUP_BYTES } from "../../src/records/limits";
import { tableToParquet } from "../../src/offline/parquet";
import { setObjectClock, TestClock } from "../clock";
import { createGroup, getRecord, ROOT_AUTH } from "../helpers";
import { manifest, offlineRows, waitForOfflineRows } from "../offline/support";

/**
 * Bulk ingest of columnar bodies (Arrow IPC stream and file, Parquet) next
 * to NDJSON and CSV, into each store selection, through the real worker,
 * shards, R2 and D1. Offline rows are read back from the Parquet files the
 * manifest names.
 */
type Format = "ndjson" | "csv" | "arrow-stream" | "arrow-file" | "parquet";
const CONTENT_TYPE: Record<Format, string> = {
  ndjson: "application/x-ndjson",
  csv: "text/csv",
  "arrow-stream": "application/vnd.apache.arrow.stream",
  "arrow-file": "application/vnd.apache.arrow.file",
  parquet: "application/vnd.apache.parquet",
};

interface BulkResponse {
  status: number;
  body: any;
}

async function bulk(group: string, body: BodyInit, format: Format, query = "", headers: Record<string, string> = {}): Promise<BulkResponse> {
  const res = await exports.default.fetch(`http://fs.test/v1/feature-groups/${group}/records/batch${query}`, {
    method: "POST",
    headers: { authorization: ROOT_AUTH, "content-type": CONTENT_TYPE[format], ...headers },
    body,
  });
  return { status: res.status, body: await res.json() };
}

const FEATURES = [
  { name: "n", type: "Integral" },
  { name: "x", type: "Fractional" },
  { name: "tags", type: "String", collection: { type: "List" } },
];

const BIG = 9007199254740993n; // 2^53 + 1: exact only as int64, never as a double

/** The same three records in every format: an int64 beyond 2^53, a null, a list, event times with sub-millisecond digits. */
const RECORDS = [
  { id: "a", ts: "2026-01-01T00:00:00.000001Z", n: BIG.toString(), x: 1.5, tags: ["p", "q"] },
  { id: "b", ts: "2026-01-01T00:00:01Z", n: -7, x: null, tags: [] },
  { id: "c", ts: "2026-01-01T01:00:00.5Z", n: 0, x: -0.25, tags: ["r"] },
];

/** Arrow columns built from typed arrays (apache-arrow's builders need code generation, which workerd forbids). */
function arrowTable(columns: Record<string, Vector>): Table {
  return new Table(columns);
}

function micros(iso: string): bigint {
  const ms = BigInt(Date.parse(iso));
  const sub = /\.\d{3}(\d{3})Z$/.exec(iso)?.[1] ?? "000";
  return ms * 1000n + BigInt(sub);
}

function recordsTable(): Table {
  return arrowTable({
    id: columnVector(new Utf8(), RECORDS.map((r) => r.id)),
    ts: makeVector(makeData({ type: new TimestampMicrosecond("UTC"), length: 3, nullCount: 0, data: BigInt64Array.from(RECORDS.map((r) => micros(r.ts))) })),
    n: columnVector(new Int64(), RECORDS.map((r) => BigInt(r.n))),
    x: columnVector(new Float64(), RECORDS.map((r) => r.x)),
    tags: columnVector(new List(new Field("element", new Utf8(), true)), RECORDS.map((r) => r.tags)),
  });
}

function body(format: Format, table: Table = recordsTable()): BodyInit {
  switch (format) {
    case "ndjson":
      return RECORDS.map((r) => JSON.stringify(r)).join("\n");
    case "csv":
      return ["id,ts,n,x,tags", ...RECORDS.map((r) => [r.id, r.ts, r.n, r.x ?? "", `"${JSON.stringify(r.tags).replaceAll('"', '""')}"`].join(","))].join("\n");
    case "arrow-stream":
      return tableToIPC(table, "stream");
    case "arrow-file":
      return tableToIPC(table, "file");
    case "parquet":
      return tableToParquet(table);
  }
}

const EXPECTED_ONLINE = {
  a: { id: "a", ts: "2026-01-01T00:00:00.000001Z", n: BIG.toString(), x: 1.5, tags: ["p", "q"] },
  b: { id: "b", ts: "2026-01-01T00:00:01Z", n: -7, tags: [] },
  c: { id: "c", ts: "2026-01-01T01:00:00.5Z", n: 0, x: -0.25, tags: ["r"] },
};

const FORMATS: Format[] = ["ndjson", "csv", "arrow-stream", "arrow-file", "parquet"];
const MODES = [
  { targetStores: "online", online: true, offline: false },
  { targetStores: "offline", online: false, offline: true },
  { targetStores: "online,offline", online: true, offline: true },
];

describe("bulk ingest of each body format into each store selection", () => {
  for (const format of FORMATS) {
    for (const mode of MODES) {
      it(`writes a ${format} body to ${mode.targetStores}, values exact`, async () => {
        const group = await createGroup({ features: FEATURES, offline: true, shardCount: 2 });
        const res = await bulk(group, body(format), format, `?targetStores=${mode.targetStores}`);
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        expect(res.body).toMatchObject({ rows: 3, written: 3, invalidRows: 0, online: { written: mode.online ? 3 : 0 }, offline: { written: mode.offline ? 3 : 0 } });

        for (const [id, record] of Object.entries(EXPECTED_ONLINE)) {
          const got = await getRecord(group, id);
          if (mode.online) expect(got.body.record).toEqual(record);
          else expect(got.status).toBe(404);
        }
        const files = (await manifest(group)).filter((f) => f.state === "active");
        if (!mode.offline) {
          expect(files).toEqual([]);
          return;
        }
        // Two hourly partitions: one file each, written by the request itself.
        expect(files.map((f) => [f.partition, f.row_count])).toEqual([
          ["year=2026/month=01/day=01/hour=00", 2],
          ["year=2026/month=01/day=01/hour=01", 1],
        ]);
        const rows = (await offlineRows(group)).sort((p, q) => String(p.id).localeCompare(String(q.id)));
        expect(rows.map((r) => [r.id, r.ts, r.n, r.x, r.tags === null ? null : [...(r.tags as Iterable<string>)], r.is_deleted])).toEqual([
          ["a", "2026-01-01T00:00:00.000001Z", BIG, 1.5, ["p", "q"], false],
          ["b", "2026-01-01T00:00:01Z", -7n, null, [], false],
          ["c", "2026-01-01T01:00:00.5Z", 0n, -0.25, ["r"], false],
        ]);
      });
    }
  }
});

describe("columnar type mapping", () => {
  it("accepts event times in any Arrow timestamp unit, and as epoch seconds for a Fractional event time", async () => {
    const group = await createGroup({ features: [{ name: "n", type: "Integral" }] });
    const nanos = 1_767_225_600_123_456_789n; // 2026-01-01T00:00:00.123456789Z
    const table = arrowTable({
      id: columnVector(new Utf8(), ["s", "ns"]),
      ts: makeVector(makeData({ type: new TimestampNanosecond(), length: 2, nullCount: 0, data: BigInt64Array.from([1_767_225_600n * 1_000_000_000n, nanos]) })),
      n: makeVector(makeData({ type: new Int32(), length: 2, nullCount: 0, data: Int32Array.from([1, 2]) })),
    });
    expect((await bulk(group, body("arrow-stream", table), "arrow-stream")).status).toBe(200);
    expect((await getRecord(group, "ns")).body.record).toEqual({ id: "ns", ts: "2026-01-01T00:00:00.123456789Z", n: 2 });
    expect((await getRecord(group, "s")).body.record.ts).toBe("2026-01-01T00:00:00Z");

    const fractional = await createGroup({ eventTimeType: "Fractional", features: [] });
    const seconds = arrowTable({
      id: columnVector(new Utf8(), ["f"]),
      ts: makeVector(makeData({ type: new TimestampSecond("UTC"), length: 1, nullCount: 0, data: BigInt64Array.from([1_767_225_600n]) })),
    });
    expect((await bulk(fractional, body("parquet", seconds), "parquet")).status).toBe(200);
    expect((await getRecord(fractional, "f")).body.record).toEqual({ id: "f", ts: 1_767_225_600 });
  });

  it("applies rows online in input order with the single-put event-time rule", async () => {
    const group = await createGroup({ features: [{ name: "n", type: "Integral" }] });
    const table = arrowTable({
      id: columnVector(new Utf8(), ["k", "k", "k"]),
      ts: columnVector(new Utf8(), ["2026-01-01T00:00:02Z", "2026-01-01T00:00:01Z", "2026-01-01T00:00:02Z"]),
      n: columnVector(new Int64(), [1n, 2n, 3n]),
    });
    const res = await bulk(group, body("arrow-file", table), "arrow-file");
    expect(res.body.online).toEqual({ written: 2, olderEventTimeIgnored: 1 });
    expect((await getRecord(group, "k")).body.record.n).toBe(3);
  });

  it("rejects type mismatches row by row with the field and the rule, writing nothing", async () => {
    const group = await createGroup({ features: FEATURES, offline: true });
    const table = arrowTable({
      id: columnVector(new Utf8(), ["ok", "bad-n", "bad-x", "bad-id"]),
      ts: columnVector(new Utf8(), ["2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"]),
      // A float where an integer belongs, an integer where a list of strings belongs.
      n: columnVector(new Float64(), [1, 1.5, 2, 3]),
      x: columnVector(new Utf8(), [null, null, "not a number", null]),
      tags: columnVector(new List(new Field("element", new Utf8(), true)), [["a"], null, null, null]),
      extra: makeVector(makeData({ type: new Bool(), length: 4, nullCount: 3, nullBitmap: Uint8Array.from([0b1000]), data: Uint8Array.from([0b1000]) })),
    });
    const res = await bulk(group, body("parquet", table), "parquet");
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_rows");
    expect(res.body.report.invalid).toEqual([
      { row: 2, code: "invalid_field", field: "n", rule: expect.stringContaining("64-bit integer") },
      { row: 3, code: "invalid_field", field: "x", rule: expect.stringContaining("IEEE-754") },
      { row: 4, code: "unknown_feature", field: "extra", rule: expect.stringContaining("no feature named extra") },
    ]);
    expect((await getRecord(group, "ok")).status).toBe(404);
    expect(await manifest(group)).toEqual([]);
  });

  it("names a column whose Arrow type maps to no feature type", async () => {
    const group = await createGroup({ features: FEATURES });
    const child = columnVector(new Int64(), [1n]);
    const struct = makeVector(makeData({ type: new Struct([new Field("inner", new Int64())]), length: 1, nullCount: 0, children: [child.data[0]!] }));
    const table = arrowTable({ id: columnVector(new Utf8(), ["s"]), ts: columnVector(new Utf8(), ["2026-01-01T00:00:00Z"]), n: struct });
    const res = await bulk(group, body("arrow-stream", table), "arrow-stream", "?onInvalid=skip");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ written: 0, invalid: [{ row: 1, field: "n", rule: expect.stringContaining("maps to no feature type") }] });
  });
});

describe("malformed and oversized columnar bodies", () => {
  for (const format of ["arrow-stream", "arrow-file", "parquet"] as const) {
    it(`rejects a truncated ${format} body with 400 and writes nothing online or offline`, async () => {
      const group = await createGroup({ features: FEATURES, offline: true });
      const whole = body(format) as Uint8Array;
      const res = await bulk(group, whole.slice(0, Math.floor(whole.byteLength * 0.6)), format, "?onInvalid=skip&targetStores=online,offline");
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("invalid_field");
      expect(res.body.error.message).toMatch(/^body: must be a valid (Arrow IPC (stream|file)|Parquet file) \(decoding failed at row \d+/);
      for (const id of ["a", "b", "c"]) expect((await getRecord(group, id)).status).toBe(404);
      expect(await manifest(group)).toEqual([]);
    });
  }

  it("refuses a Parquet body whose row group is over MAX_PARQUET_ROW_GROUP_BYTES uncompressed, naming the row group, and writes nothing", async () => {
    const group = await createGroup({ features: [{ name: "s", type: "String" }], offline: true });
    // 9 MiB of one repeated letter, plain-encoded: a few KB compressed, one row group over the limit uncompressed.
    const rows = 9 * 1024;
    const table = arrowTable({
      id: columnVector(new Utf8(), Array.from({ length: rows }, (_, i) => `r${i}`)),
      ts: columnVector(new Utf8(), Array.from({ length: rows }, () => "2026-01-01T00:00:00Z")),
      s: columnVector(new Utf8(), Array.from({ length: rows }, () => "z".repeat(1024))),
    });
    const res = await bulk(group, tableToParquet(table, { dictionary: false }), "parquet");
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(new RegExp(`^body: must have row groups of at most ${MAX_PARQUET_ROW_GROUP_BYTES} bytes uncompressed \\(row group 0 holds ${rows} rows in \\d+ bytes`));
    expect(await manifest(group)).toEqual([]);
  });

  it("reads several Parquet bodies sent at once (the isolate decodes them in turn)", async () => {
    const group = await createGroup({ features: FEATURES, offline: true, shardCount: 2 });
    const results = await Promise.all([0, 1, 2].map((i) => bulk(group, body("parquet"), "parquet", "", { "idempotency-key": `turn-${i}` })));
    for (const res of results) expect(res.body).toMatchObject({ rows: 3, written: 3, invalidRows: 0 });
    expect((await offlineRows(group)).length).toBe(9);
  });

  for (const format of ["parquet", "arrow-stream"] as const) {
    it(`refuses a ${format} body whose declared size is over the limit with 413, before reading it`, async () => {
      const group = await createGroup({ features: FEATURES });
      let pulled = 0;
      const stream = new ReadableStream<Uint8Array>(
        {
          pull(controller) {
            pulled += 1;
            controller.enqueue(new Uint8Array(1024));
          },
        },
        { highWaterMark: 0 },
      );
      const res = await exports.default.fetch(`http://fs.test/v1/feature-groups/${group}/records/batch`, {
        method: "POST",
        headers: { authorization: ROOT_AUTH, "content-type": CONTENT_TYPE[format], "content-length": String(80 * 1024 * 1024) },
        body: stream,
      });
      expect(res.status).toBe(413);
      // Parquet is buffered (footer at the end), so its limit is the smaller one (MAX_BUFFERED_BODY_BYTES).
      const limit = format === "parquet" ? 8 * 1024 * 1024 : 32 * 1024 * 1024;
      expect(((await res.json()) as any).error.message).toBe(`body: must be at most ${limit} bytes`);
      // The runtime's request pipe may pull one 1 KiB chunk ahead; the worker reads none of the 80 MiB.
      expect(pulled).toBeLessThanOrEqual(1);
    });
  }

  it("stops an undeclared Arrow stream at the byte limit with 413 while reading it, and writes nothing", async () => {
    const group = await createGroup({ features: FEATURES, offline: true });
    // A stream of identical 1 MiB record batches, sent until the worker stops reading.
    const wide = (rows: number) =>
      tableToIPC(arrowTable({ id: columnVector(new Utf8(), Array.from({ length: rows }, () => "a")), blob: columnVector(new Utf8(), Array.from({ length: rows }, () => "z".repeat(1024 * 1024))) }), "stream");
    const one = wide(1);
    const two = tableToIPC(new Table([...arrowTable({ id: columnVector(new Utf8(), ["a"]), blob: columnVector(new Utf8(), ["z".repeat(1024 * 1024)]) }).batches, ...arrowTable({ id: columnVector(new Utf8(), ["a"]), blob: columnVector(new Utf8(), ["z".repeat(1024 * 1024)]) }).batches]), "stream");
    const batchBytes = two.byteLength - one.byteLength;
    const header = one.slice(0, one.byteLength - 8 - batchBytes);
    const batch = one.slice(header.byteLength, header.byteLength + batchBytes);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          controller.enqueue(sent === 0 ? header : batch);
          sent += 1;
        },
      },
      { highWaterMark: 0 },
    );
    const res = await exports.default.fetch(`http://fs.test/v1/feature-groups/${group}/records/batch`, {
      method: "POST",
      headers: { authorization: ROOT_AUTH, "content-type": CONTENT_TYPE["arrow-stream"] },
      body: stream,
    });
    expect(res.status).toBe(413);
    expect(sent).toBeLessThan(48); // stopped near 32 MiB, not read to the end
    expect(await manifest(group)).toEqual([]);
    expect((await getRecord(group, "a")).status).toBe(404);
  }, 30_000); // 32 MiB through the Arrow reader: over vitest's default 5 s on a loaded machine
});

describe("exactly once offline under client retries", () => {
  it("writes the offline rows once when a request is retried with the same Idempotency-Key", async () => {
    const group = await createGroup({ features: FEATURES, offline: true });
    const first = await bulk(group, body("parquet"), "parquet", "", { "idempotency-key": "load-42" });
    const retry = await bulk(group, body("arrow-stream"), "arrow-stream", "", { "idempotency-key": "load-42" });
    expect(first.body.offline).toEqual({ written: 3, alreadyWritten: 0 });
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ written: 3, offline: { written: 0, alreadyWritten: 3 } });
    const rows = await offlineRows(group);
    expect(rows.map((r) => r.id).sort()).toEqual(["a", "b", "c"]);
    // The online store took the retry as any put of the same event times.
    expect((await getRecord(group, "a")).body.record).toEqual(EXPECTED_ONLINE.a);
  });

  it("recognises a resent identical body without a key, and writes a different body", async () => {
    const group = await createGroup({ features: FEATURES, offline: true });
    await bulk(group, body("arrow-file"), "arrow-file");
    const resent = await bulk(group, body("arrow-file"), "arrow-file");
    expect(resent.body.offline).toEqual({ written: 0, alreadyWritten: 3 });
    const other = await bulk(group, JSON.stringify({ id: "d", ts: "2026-01-01T00:30:00Z", n: 4 }), "ndjson");
    expect(other.body.offline).toEqual({ written: 1, alreadyWritten: 0 });
    const rows = await offlineRows(group);
    expect(rows.map((r) => r.id).sort()).toEqual(["a", "b", "c", "d"]);
  });

  it("refuses a malformed Idempotency-Key", async () => {
    const group = await createGroup({ features: FEATURES, offline: true });
    const res = await bulk(group, body("ndjson"), "ndjson", "", { "idempotency-key": "has space" });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain("Idempotency-Key");
    expect(await manifest(group)).toEqual([]);
  });

  it("leaves no outbox rows behind for bulk-written offline rows", async () => {
    const group = await createGroup({ features: FEATURES, offline: true, shardCount: 1 });
    await bulk(group, body("parquet"), "parquet");
    const { generation } = (await exports.default.fetch(`http://fs.test/v1/feature-groups/${group}`, { headers: { authorization: ROOT_AUTH } }).then((r) => r.json())) as { generation: string };
    const status = await env.RECORD_SHARD.get(env.RECORD_SHARD.idFromName(shardName(generation, 0))).outboxStatus();
    expect(status.rows).toBe(0);
  });

  it("still writes the offline expiry row of a bulk-written record when its TTL passes", async () => {
    const group = await createGroup({ features: [{ name: "n", type: "Integral" }], offline: true, shardCount: 1, ttl: { unit: "Hours", value: 1 } });
    const { generation } = (await exports.default.fetch(`http://fs.test/v1/feature-groups/${group}`, { headers: { authorization: ROOT_AUTH } }).then((r) => r.json())) as { generation: string };
    const shard = env.RECORD_SHARD.get(env.RECORD_SHARD.idFromName(shardName(generation, 0)));
    const clock = new TestClock();
    await setObjectClock(shard, clock);
    expect((await bulk(group, JSON.stringify({ id: "t", ts: clock.iso(), n: 1 }), "ndjson")).body.offline.written).toBe(1);
    clock.advance(3_600_000 + 1_000);
    await runDurableObjectAlarm(shard);
    await runDurableObjectAlarm(shard);
    await waitForOfflineRows(group, 2);
    const rows = (await offlineRows(group)).map((r) => [r.id, r.is_deleted]).sort();
    expect(rows).toEqual([
      ["t", false],
      ["t", true],
    ]);
  }, 30_000);
});
