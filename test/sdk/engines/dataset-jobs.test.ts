// Asynchronous dataset jobs and uploaded entity lists, end to end: entity
// objects uploaded with PUT /v1/uploads/{name} (CSV, and Parquet written by
// DuckDB in small row groups so a job runs in several chunks, one queue
// message each), jobs watched from queued to succeeded through
// GET /v1/datasets/jobs/{id}, results downloaded through the API and through
// the S3 API, and every result equal, row for row, to the synchronous
// (inline) dataset of the same entities. Failures: a malformed object fails
// the job with a clear error; bad requests are refused up front.
import { tableFromArrays, tableFromIPC, tableToIPC } from "apache-arrow";
import { writeFileSync } from "node:fs";
import { Table as WasmTable, writeParquet, WriterPropertiesBuilder } from "parquet-wasm/node";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENDPOINT, SDK_ACCESS_KEY_ID, SDK_SECRET_ACCESS_KEY } from "../support";
import { call, canonicalRow, createOfflineGroup, drained, getObject, openDuck, put, sleep, sqlString, tempDir, type Duck, type Json } from "./engines";

const AUTH = { authorization: `Bearer ${SDK_ACCESS_KEY_ID}:${SDK_SECRET_ACCESS_KEY}` };
const IDS = Array.from({ length: 12 }, (_, i) => `u${String(i).padStart(2, "0")}`);
const T0 = Date.UTC(2026, 5, 1);
const iso = (ms: number) => new Date(ms).toISOString();
const ENTITY_ROWS = 300;
/** Row groups of the uploaded entity Parquet: the job's chunks. */
const ROW_GROUP_ROWS = 64;

interface JobView {
  id: string;
  state: "queued" | "running" | "succeeded" | "failed";
  format: string;
  progress: { chunksTotal: number | null; chunksDone: number; entitiesTotal: number | null; entitiesProcessed: number; filesRead: number; bytesRead: number; rowsWritten: number };
  result?: { key: string; bytes: number; contentType: string; bucket: string; uri: string };
  error?: string;
}

async function upload(name: string, bytes: Uint8Array, status = 201): Promise<{ name: string; key: string; bytes: number; uri: string }> {
  const res = await fetch(`${ENDPOINT}/v1/uploads/${name}`, { method: "PUT", headers: AUTH, body: new Blob([bytes as Uint8Array<ArrayBuffer>]) });
  const text = await res.text();
  expect(res.status, `PUT /v1/uploads/${name} → ${res.status}: ${text}`).toBe(status);
  return JSON.parse(text);
}

/** Polls a job until it ends; returns it and every state seen on the way. */
async function finished(id: string, timeoutMs = 60_000): Promise<{ job: JobView; seen: JobView[] }> {
  const deadline = Date.now() + timeoutMs;
  const seen: JobView[] = [];
  for (;;) {
    const job = await call<JobView>("GET", `/datasets/jobs/${id}`);
    seen.push(job);
    if (job.state === "succeeded" || job.state === "failed") return { job, seen };
    if (Date.now() > deadline) expect.fail(`job ${id} still ${job.state} after ${timeoutMs} ms: ${JSON.stringify(job.progress)}`);
    await sleep(50);
  }
}

async function resultBytes(id: string): Promise<{ bytes: Uint8Array; contentType: string }> {
  const res = await fetch(`${ENDPOINT}/v1/datasets/jobs/${id}/result`, { headers: AUTH });
  const bytes = new Uint8Array(await res.arrayBuffer());
  expect(res.status, new TextDecoder().decode(bytes.subarray(0, 500))).toBe(200);
  return { bytes, contentType: res.headers.get("content-type") ?? "" };
}

const ndjsonRows = (bytes: Uint8Array) =>
  new TextDecoder()
    .decode(bytes)
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, Json>);

describe("asynchronous dataset jobs and uploaded entity lists", () => {
  let group: string;
  let duck: Duck;
  const dir = tempDir("fs-dataset-jobs-");
  let entityRows: { user: string; at: string; label: number }[];
  let request: (entities: unknown, extra?: Record<string, unknown>) => Record<string, unknown>;
  /** The synchronous, inline result: the reference every job must equal. */
  let inline: Record<string, Json>[];

  beforeAll(async () => {
    group = await createOfflineGroup("jobs", [
      { name: "v", type: "Integral" },
      { name: "note", type: "String" },
    ]);
    let written = 0;
    for (const [i, id] of IDS.entries()) {
      for (let k = 0; k < 3; k++) {
        await put(group, { id, ts: iso(T0 + (k * 24 + i) * 3_600_000), v: i * 10 + k, note: `${id} #${k}` });
        written += 1;
      }
    }
    await drained(group, written);
    // Entity timestamps after every write time: the join sees every version up to the event time.
    const late = Date.now() + 3_600_000;
    entityRows = Array.from({ length: ENTITY_ROWS }, (_, n) => ({
      user: IDS[(n * 7) % IDS.length]!,
      at: iso(n % 5 === 0 ? T0 - 3_600_000 : late + (n % 97) * 60_000 - (n % 3) * 86_400_000 * 0),
      label: n % 2,
    }));
    // Some rows between versions: event time bounds matter.
    for (let n = 1; n < ENTITY_ROWS; n += 4) entityRows[n]!.at = iso(T0 + ((n % 3) * 24 + 30) * 3_600_000);
    request = (entities, extra = {}) => ({
      entities,
      timestampColumn: "at",
      featureGroups: [{ name: group, features: ["v", "note"], entityColumn: "user", prefix: "f_" }],
      eventTimeOnly: true,
      ...extra,
    });
    inline = (await call<{ rows: Record<string, Json>[] }>("POST", "/datasets", request({ rows: entityRows }))).rows;
    expect(inline).toHaveLength(ENTITY_ROWS);
    expect(inline.filter((r) => r.f_v !== null).length, "most entity rows find a feature version").toBeGreaterThan(ENTITY_ROWS / 2);
    expect(inline.some((r) => r.f_v === null)).toBe(true);
    duck = await openDuck();
  }, 90_000);

  afterAll(() => {
    duck?.close();
    dir.remove();
  });

  it("runs a job from inline rows: queued, then succeeded with progress; the NDJSON result via the API and via the S3 API equals the inline result", async () => {
    const created = await call<JobView>("POST", "/datasets", request({ rows: entityRows }, { async: true }), 202);
    expect(["queued", "running"]).toContain(created.state);
    expect(created.format).toBe("ndjson");
    const { job } = await finished(created.id);
    expect(job.state, job.error).toBe("succeeded");
    expect(job.progress).toMatchObject({ chunksDone: job.progress.chunksTotal, entitiesProcessed: ENTITY_ROWS, entitiesTotal: ENTITY_ROWS, rowsWritten: ENTITY_ROWS });
    expect(job.progress.filesRead).toBeGreaterThan(0);
    expect(job.progress.bytesRead).toBeGreaterThan(0);
    expect(job.result!.uri).toBe(`s3://${job.result!.bucket}/${job.result!.key}`);
    const viaApi = await resultBytes(job.id);
    expect(viaApi.contentType).toContain("application/x-ndjson");
    expect(viaApi.bytes.byteLength).toBe(job.result!.bytes);
    expect(ndjsonRows(viaApi.bytes)).toEqual(inline);
    const viaS3 = await getObject(job.result!.key);
    expect(viaS3.bytes).toEqual(viaApi.bytes);
  });

  it("runs a job over an uploaded Parquet entity list one row group per chunk; its Parquet and Arrow results equal the inline result", async () => {
    // Written with small row groups (parquet-wasm, as the worker writes): each row group is one chunk of the job.
    const entityTable = tableFromArrays({ user: entityRows.map((r) => r.user), at: entityRows.map((r) => r.at), label: BigInt64Array.from(entityRows, (r) => BigInt(r.label)) });
    const properties = new WriterPropertiesBuilder().setMaxRowGroupSize(ROW_GROUP_ROWS).build();
    const parquetBytes = writeParquet(WasmTable.fromIPCStream(tableToIPC(entityTable, "stream")), properties);
    const uploaded = await upload("jobs-entities.parquet", parquetBytes);
    expect(uploaded.key).toBe("uploads/jobs-entities.parquet");
    // The same object, synchronously.
    const sync = await call<{ rows: Record<string, Json>[] }>("POST", "/datasets", request({ object: "jobs-entities.parquet" }));
    expect(sync.rows).toEqual(inline);

    const created = await call<JobView>("POST", "/datasets", request({ object: "jobs-entities.parquet" }, { async: true, format: "parquet" }), 202);
    const { job, seen } = await finished(created.id);
    expect(job.state, job.error).toBe("succeeded");
    const chunks = Math.ceil(ENTITY_ROWS / ROW_GROUP_ROWS);
    expect(job.progress).toMatchObject({ chunksTotal: chunks, chunksDone: chunks, entitiesTotal: ENTITY_ROWS, entitiesProcessed: ENTITY_ROWS, rowsWritten: ENTITY_ROWS });
    // Progress is monotonic while the chunks run.
    const done = seen.map((s) => s.progress.chunksDone);
    expect(done).toEqual([...done].sort((a, b) => a - b));
    const bytes = (await resultBytes(job.id)).bytes;
    expect((await getObject(job.result!.key)).bytes).toEqual(bytes);
    const resultPath = join(dir.path, "result.parquet");
    writeFileSync(resultPath, bytes);
    const rowGroups = await duck.all(`SELECT count(DISTINCT row_group_id) AS n FROM parquet_metadata(${sqlString(resultPath)})`);
    expect(Number(rowGroups[0]!.n), "one row group per chunk, merged into one file").toBe(chunks);
    const fromParquet = (await duck.all(`SELECT * FROM read_parquet(${sqlString(resultPath)})`)).map(canonicalRow);
    expect(fromParquet).toEqual(inline);

    const arrowJob = await call<JobView>("POST", "/datasets", request({ object: "jobs-entities.parquet" }, { async: true, format: "arrow" }), 202);
    const arrowDone = await finished(arrowJob.id);
    expect(arrowDone.job.state, arrowDone.job.error).toBe("succeeded");
    const table = tableFromIPC((await resultBytes(arrowJob.id)).bytes);
    expect(table.numRows).toBe(ENTITY_ROWS);
    expect(table.toArray().map((r) => canonicalRow(r.toJSON() as Record<string, unknown>))).toEqual(inline);
  });

  it("joins an uploaded CSV entity list synchronously and as a CSV job, equal to the same CSV sent inline", async () => {
    const csv = `user,at,label\n${entityRows.map((r) => `${r.user},${r.at},${r.label}`).join("\n")}\n`;
    await upload("jobs-entities.csv", new TextEncoder().encode(csv));
    const inlineCsv = await call<{ rows: Record<string, Json>[] }>("POST", "/datasets", request({ csv }));
    expect(inlineCsv.rows.map((r) => ({ ...r, label: Number(r.label) }))).toEqual(inline);
    const sync = await call<{ rows: Record<string, Json>[] }>("POST", "/datasets", request({ object: "jobs-entities.csv" }));
    expect(sync.rows).toEqual(inlineCsv.rows);
    const csvInline = await fetch(`${ENDPOINT}/v1/datasets`, { method: "POST", headers: { ...AUTH, "content-type": "application/json" }, body: JSON.stringify(request({ csv }, { format: "csv" })) });
    const created = await call<JobView>("POST", "/datasets", request({ object: "jobs-entities.csv" }, { async: true, format: "csv" }), 202);
    const { job } = await finished(created.id);
    expect(job.state, job.error).toBe("succeeded");
    expect(new TextDecoder().decode((await resultBytes(job.id)).bytes)).toBe(await csvInline.text());
  });

  it("fails a job over a malformed entity object with a clear error, and refuses its result", async () => {
    await upload("jobs-broken.parquet", new TextEncoder().encode("user,at\nnot,parquet\n"));
    const created = await call<JobView>("POST", "/datasets", request({ object: "jobs-broken.parquet" }, { async: true }), 202);
    const { job } = await finished(created.id);
    expect(job.state).toBe("failed");
    expect(job.error).toMatch(/entities\.object must be a Parquet file/);
    const res = await fetch(`${ENDPOINT}/v1/datasets/jobs/${job.id}/result`, { headers: AUTH });
    expect(res.status).toBe(409);
    expect(await res.text()).toContain("failed");
  });

  it("fails a job whose CSV rows are invalid, naming the row", async () => {
    await upload("jobs-bad-time.csv", new TextEncoder().encode(`user,at,label\nu01,${iso(T0)},1\nu02,yesterday,0\n`));
    const created = await call<JobView>("POST", "/datasets", request({ object: "jobs-bad-time.csv" }, { async: true }), 202);
    const { job } = await finished(created.id);
    expect(job.state).toBe("failed");
    expect(job.error).toBe("entities[1].at must be an ISO-8601 UTC time or epoch seconds");
  });

  it("refuses bad requests up front: no job is created", async () => {
    const json = await call("POST", "/datasets", request({ rows: entityRows }, { async: true, format: "json" }), 400);
    expect(JSON.stringify(json)).toContain("format");
    const missing = await call("POST", "/datasets", request({ object: "never-uploaded.csv" }, { async: true }), 404);
    expect(JSON.stringify(missing)).toContain("never-uploaded.csv");
    const badTime = await call("POST", "/datasets", request({ rows: [{ user: "u01", at: "soon", label: 1 }] }, { async: true }), 400);
    expect(JSON.stringify(badTime)).toContain("entities[0].at");
    await call("POST", "/datasets", request({ object: "../escape.csv" }), 400);
    await upload("no-extension", new TextEncoder().encode("a"), 400);
    await call("GET", "/datasets/jobs/00000000-0000-4000-8000-000000000000", undefined, 404);
    await call("GET", "/datasets/jobs/not-a-job", undefined, 404);
  });
});
