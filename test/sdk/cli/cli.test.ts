// The CLI (scripts/fs.mjs) end to end: run as a child process against the
// bundled workers on loopback, its effects checked through the API, the
// offline bucket's S3 endpoint and DuckDB over the manifest's files.
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { existsSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, createOfflineGroup, download, drained, listObjects, localize, offlineStore, openDuck, readParquet, s3, sleep, sqlString, tempDir, type Duck } from "../engines/engines";
import { native, OFFLINE_S3, uniqueName } from "../support";
import { cliEnv, runCli } from "./run-cli";

const FEATURES = [
  { name: "age", type: "Integral" as const },
  { name: "score", type: "Fractional" as const },
  { name: "city", type: "String" as const },
];
const BASE_MS = Date.UTC(2026, 0, 1);
/** Event time of row i: 7 s apart, so 5,000 rows span ten hourly partitions. */
const tsOf = (i: number) => new Date(BASE_MS + i * 7000).toISOString().replace(".000Z", "Z");

let work: { path: string; remove: () => void };
let duck: Duck;
beforeAll(async () => {
  work = tempDir("fs-cli-test-");
  duck = await openDuck();
});
afterAll(() => {
  duck?.close();
  work?.remove();
});

const cli = (...args: string[]) => runCli(args, { cwd: work.path });
const file = (name: string, text: string) => {
  const path = join(work.path, name);
  writeFileSync(path, text);
  return path;
};

function csvOf(from: number, to: number): string {
  const lines = ["id,ts,age,score,city"];
  for (let i = from; i < to; i++) lines.push(`u${i},${tsOf(i)},${i},${i / 4},city-${i % 7}`);
  return `${lines.join("\n")}\n`;
}

/** A Parquet input written by DuckDB (an independent writer), rows from..to-1. */
async function parquetOf(name: string, from: number, to: number): Promise<string> {
  const path = join(work.path, name);
  await duck.run(
    `COPY (SELECT 'u' || i AS id, strftime(TIMESTAMP '2026-01-01 00:00:00' + INTERVAL (i * 7) SECOND, '%Y-%m-%dT%H:%M:%SZ') AS ts, i::BIGINT AS age, i / 4 AS score, 'city-' || (i % 7) AS city
      FROM range(${from}, ${to}) t(i)) TO ${sqlString(path)} (FORMAT parquet)`,
  );
  return path;
}

/** Every row of the group's manifest files, read by DuckDB: id → times seen, and the rows. */
async function offlineRowsByDuckDb(group: string, expectedRows: number) {
  const store = await offlineStore(group);
  expect(store.stats.rows).toBe(expectedRows);
  const dir = tempDir("fs-cli-copy-");
  try {
    const copy = await download(store, dir.path);
    const counts = await duck.all(`SELECT id, COUNT(*)::INTEGER AS n FROM ${readParquet(copy.files)} GROUP BY id`);
    const rows = await duck.all(`SELECT id, ts, age, score, city, is_deleted, epoch_ms(write_time) AS write_ms, epoch_ms(api_invocation_time) AS api_ms FROM ${readParquet(copy.files)} ORDER BY age`);
    return { store, counts: new Map(counts.map((r) => [String(r.id), Number(r.n)])), rows };
  } finally {
    dir.remove();
  }
}

describe("fs feature-groups", () => {
  it("creates, describes, lists and deletes a group from a JSON definition", async () => {
    const name = uniqueName("cli-fg");
    const def = file(`${name}.json`, JSON.stringify({ name, recordIdentifierFeature: "id", eventTimeFeature: "ts", features: [{ name: "id", type: "String" }, { name: "ts", type: "String" }, ...FEATURES], onlineStore: { enabled: true }, offlineStore: { enabled: true } }));
    const created = await cli("feature-groups", "create", "--file", def);
    expect(created.code, created.stderr).toBe(0);
    expect(created.json).toMatchObject({ name, status: "Created" });
    const described = await cli("feature-groups", "describe", name);
    expect(described.code).toBe(0);
    expect(described.json.features.map((f: { name: string }) => f.name)).toEqual(["id", "ts", "age", "score", "city"]);
    const listed = await cli("feature-groups", "list", "--name-contains", name);
    expect(listed.json.featureGroups.map((g: { name: string }) => g.name)).toEqual([name]);
    const deleted = await cli("feature-groups", "delete", name);
    expect(deleted.code).toBe(0);
    const gone = await cli("feature-groups", "describe", name);
    expect(gone.code).toBe(4);
    expect(gone.stderr).toContain("404");
  });

  it("answers --help on every command and exits 2 on usage errors", async () => {
    for (const args of [["--help"], ["feature-groups", "--help"], ["feature-groups", "create", "--help"], ["records", "get", "--help"], ["ingest", "--help"], ["backfill", "--help"], ["dataset", "build", "--help"], ["jobs", "runs", "--help"], ["audit", "--help"], ["audits", "get", "--help"], ["access-keys", "rotate", "--help"]]) {
      const res = await cli(...args);
      expect(res.code, args.join(" ")).toBe(0);
      expect(res.stdout, args.join(" ")).toContain("Usage: npm run fs --");
    }
    expect((await cli("feature-groups", "create")).code).toBe(2);
    expect((await cli("nonsense")).code).toBe(2);
    expect((await cli("audit")).code).toBe(2); // --group is required
    expect((await cli("audit", "--group", "g", "--examples", "many")).code).toBe(2);
    expect((await cli("ingest", "x.csv", "--group", "g", "--mode", "sideways")).code).toBe(2);
    const badWorkers = await cli("backfill", "x.csv", "--group", "g", "--workers", "two");
    expect(badWorkers.code).toBe(2);
    expect(badWorkers.stderr).toContain("--workers must be an integer from 0 to 64");
  });

  it("exits 5 on wrong credentials and 7 when the service cannot be reached, never printing the secret", async () => {
    const denied = await runCli(["feature-groups", "list"], { cwd: work.path, env: cliEnv({ FS_SECRET_ACCESS_KEY: "wrong-secret-value" }) });
    expect(denied.code).toBe(5);
    expect(denied.stderr).not.toContain("wrong-secret-value");
    const down = await runCli(["feature-groups", "list"], { cwd: work.path, env: cliEnv({ FS_ENDPOINT: "http://127.0.0.1:9" }) });
    expect(down.code).toBe(7);
    expect(down.stderr).toContain("cannot reach http://127.0.0.1:9");
  });
});

describe("fs ingest", () => {
  it("--mode online writes the online store only, readable with records get", async () => {
    const group = await createOfflineGroup("cli-online", FEATURES);
    const res = await cli("ingest", file(`${group}.csv`, csvOf(0, 50)), "--group", group, "--mode", "online");
    expect(res.code, res.stderr).toBe(0);
    expect(res.json).toMatchObject({ mode: "online", rows: 50, inputs: [{ status: "written", rows: 50, written: 50, offlineWritten: 0 }] });
    const record = await cli("records", "get", group, "u7");
    expect(record.code, record.stderr).toBe(0);
    expect(record.json.record).toEqual({ id: "u7", ts: tsOf(7), age: 7, score: 1.75, city: "city-0" });
    const store = await offlineStore(group);
    expect(store.pending.rows + store.stats.rows).toBe(0);
  });

  it("--mode both writes the online store and the offline store", async () => {
    const group = await createOfflineGroup("cli-both", FEATURES);
    const ndjson = Array.from({ length: 30 }, (_, i) => JSON.stringify({ id: `u${i}`, ts: tsOf(i), age: i === 0 ? "9007199254740993" : i, city: "x" })).join("\n");
    const res = await cli("ingest", file(`${group}.ndjson`, ndjson), "--group", group, "--mode", "both");
    expect(res.code, res.stderr).toBe(0);
    expect(res.json.inputs[0]).toMatchObject({ written: 30, offlineWritten: 30 });
    expect((await cli("records", "get", group, "u0")).json.record.age).toBe("9007199254740993");
    const { counts } = await offlineRowsByDuckDb((await drained(group, 30)).featureGroup, 30);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
  });

  it("--mode offline backfills Parquet and CSV inputs as registered files the dataset builder reads", async () => {
    const group = await createOfflineGroup("cli-offline", FEATURES);
    const parquet = await parquetOf(`${group}.parquet`, 0, 600);
    const csv = file(`${group}.csv`, csvOf(600, 1000));
    const res = await cli("ingest", parquet, csv, "--group", group, "--mode", "offline", "--chunk-rows", "250", "--checkpoint", join(work.path, `${group}.ckpt.json`));
    expect(res.code, res.stderr).toBe(0);
    expect(res.json).toMatchObject({ mode: "offline", rows: 1000, rejectedFiles: 0 });
    const { store, counts, rows } = await offlineRowsByDuckDb(group, 1000);
    expect(counts.size).toBe(1000);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(rows[601]).toMatchObject({ id: "u601", ts: tsOf(601), age: 601n, score: 150.25, city: "city-6", is_deleted: false });
    // The manifest's stats and partitions are the files' own; the readers see them like any other.
    expect(store.stats.partitions).toBe(2);
    expect(store.pending.rows).toBe(0);
    for (const f of store.files) expect(f.key).toMatch(new RegExp(`^${store.prefix}year=2026/month=01/day=01/hour=0[01]/bf-[0-9a-f]{32}\\.parquet$`));
    const request = file(`${group}.request.json`, JSON.stringify({ entities: { rows: [{ id: "u601", at: "2027-01-01T00:00:00Z" }] }, timestampColumn: "at", featureGroups: [{ name: group, entityColumn: "id", features: ["age", "city"] }] }));
    const out = join(work.path, `${group}.dataset.ndjson`);
    const dataset = await cli("dataset", "build", "--file", request, "--out", out);
    expect(dataset.code, dataset.stderr).toBe(0);
    const [joined] = readFileSync(out, "utf8").trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(joined).toEqual({ id: "u601", at: "2027-01-01T00:00:00Z", [`${group}__age`]: 601, [`${group}__city`]: "city-6" });
  });

  it("backfills objects under an s3:// prefix", async () => {
    const group = await createOfflineGroup("cli-s3", FEATURES);
    const prefix = `imports/${group}/`;
    await s3.send(new PutObjectCommand({ Bucket: OFFLINE_S3.bucket, Key: `${prefix}a.csv`, Body: csvOf(0, 40) }));
    await s3.send(new PutObjectCommand({ Bucket: OFFLINE_S3.bucket, Key: `${prefix}b.csv`, Body: csvOf(40, 100) }));
    const res = await cli("backfill", `s3://${OFFLINE_S3.bucket}/${prefix}`, "--group", group);
    expect(res.code, res.stderr).toBe(0);
    expect(res.json.inputs.map((i: { name: string; rows: number }) => [i.name, i.rows])).toEqual([
      [`s3://${OFFLINE_S3.bucket}/${prefix}a.csv`, 40],
      [`s3://${OFFLINE_S3.bucket}/${prefix}b.csv`, 60],
    ]);
    const { counts } = await offlineRowsByDuckDb(group, 100);
    expect(counts.size).toBe(100);
  });
});

describe("fs backfill, then a training set (knowledge time)", () => {
  const DAY = 86_400_000;
  const HISTORY_START = Date.UTC(2024, 0, 1);
  /**
   * 120 days of daily rows for 20 customers (age = the day's number), one
   * partition and file a day: enough files for the join to cross many of
   * them, few enough that the test stays short (two years took ~60 s).
   */
  const HISTORY_DAYS = 120;
  function history(): string {
    const lines: string[] = [];
    for (let day = 0; day < HISTORY_DAYS; day++) {
      for (let c = 0; c < 20; c++) lines.push(JSON.stringify({ id: `c${c}`, ts: new Date(HISTORY_START + day * DAY).toISOString().replace(".000Z", "Z"), age: day, city: `day-${day}` }));
    }
    return `${lines.join("\n")}\n`;
  }
  /** 300 label rows inside the history, each half a day after a row of its customer. */
  const labels = Array.from({ length: 300 }, (_, n) => ({ customer: `c${n % 20}`, at: new Date(HISTORY_START + ((n * 7) % (HISTORY_DAYS - 1)) * DAY + DAY / 2).toISOString(), label: n % 2 }));
  const expectedAge = (at: string) => Math.floor((Date.parse(at) - HISTORY_START) / DAY);

  it("returns every feature of backfilled history with default options (300 of 300), and as-of agrees without knownAt", async () => {
    const group = await createOfflineGroup("cli-history", FEATURES);
    const input = file(`${group}.ndjson`, history());
    const res = await cli("backfill", input, "--group", group, "--checkpoint", join(work.path, `${group}.ckpt.json`));
    expect(res.code, res.stderr).toBe(0);
    expect(res.json).toMatchObject({ rows: HISTORY_DAYS * 20, rejectedFiles: 0 });
    const dataset = await call("POST", "/datasets", { entities: { rows: labels }, timestampColumn: "at", featureGroups: [{ name: group, entityColumn: "customer", features: ["age"] }] });
    const joined = dataset.rows.filter((r: Record<string, unknown>) => r[`${group}__age`] !== null);
    expect(joined.length).toBe(300);
    for (const row of dataset.rows) expect(row[`${group}__age`], row.at).toBe(expectedAge(row.at));
    expect(dataset.knowledgeTime).toEqual({ rowsWithExcludedVersions: 0, rowsEmptied: 0 });
    expect(dataset.warnings).toEqual([]);
    // The same instant through as-of, by event time and by knowledge time: the same value.
    const at = labels[0]!.at;
    for (const query of [`eventTime=${at}`, `eventTime=${at}&availableAt=${at}`]) {
      const asOf = await call("GET", `/feature-groups/${group}/as-of?${query}&ids=${labels[0]!.customer}`);
      expect(asOf.records.map((r: { record: { age: number } }) => r.record.age), query).toEqual([expectedAge(at)]);
    }
  }, 120_000);

  it("with --available-from accepted the history is not yet known at the label times: all-null rows come with counts and a warning, and eventTimeOnly still joins them", async () => {
    const group = await createOfflineGroup("cli-history-late", FEATURES);
    const input = file(`${group}.ndjson`, history());
    const res = await cli("backfill", input, "--group", group, "--available-from", "accepted", "--checkpoint", join(work.path, `${group}.ckpt.json`));
    expect(res.code, res.stderr).toBe(0);
    const request = { entities: { rows: labels.slice(0, 50) }, timestampColumn: "at", featureGroups: [{ name: group, entityColumn: "customer", features: ["age"] }] };
    const leakFree = await call("POST", "/datasets", request);
    expect(leakFree.rows.every((r: Record<string, unknown>) => r[`${group}__age`] === null)).toBe(true);
    expect(leakFree.knowledgeTime).toEqual({ rowsWithExcludedVersions: 50, rowsEmptied: 50 });
    expect(leakFree.warnings).toHaveLength(1);
    expect(leakFree.warnings[0]).toContain("50 entity row(s)");
    // A dataset job reports the same, and so does the generated SQL's knowledge check run by DuckDB over the manifest's files.
    const created = await call("POST", "/datasets", { ...request, async: true }, 202);
    let job = created;
    for (const deadline = Date.now() + 60_000; job.state !== "succeeded" && job.state !== "failed" && Date.now() < deadline; await sleep(100)) job = await call("GET", `/datasets/jobs/${created.id}`);
    expect(job.state, job.error).toBe("succeeded");
    expect(job.knowledgeTime).toEqual({ rowsWithExcludedVersions: 50, rowsEmptied: 50 });
    expect(job.warnings).toHaveLength(1);
    const sql = await call("POST", "/datasets/sql", { timestampColumn: "at", entityColumns: ["customer", "at", "label"], featureGroups: request.featureGroups });
    const dir = tempDir("fs-cli-knowledge-");
    try {
      const copy = await download(await offlineStore(group), dir.path);
      await duck.run(`CREATE OR REPLACE TABLE entities AS SELECT * FROM (VALUES ${request.entities.rows.map((r) => `(${sqlString(r.customer)}, ${sqlString(r.at)}, ${r.label})`).join(", ")}) t(customer, "at", label)`);
      const [check] = await duck.all(localize(sql.knowledgeCheck.duckdb, copy));
      expect([Number(check!.rows_with_excluded_versions), Number(check!.rows_emptied)]).toEqual([50, 50]);
      const joined = await duck.all(localize(sql.duckdb, copy));
      expect(joined.every((r) => r[`${group}__age`] === null)).toBe(true);
    } finally {
      dir.remove();
    }
    const eventOnly = await call("POST", "/datasets", { ...request, eventTimeOnly: true });
    expect(eventOnly.rows.every((r: Record<string, unknown>) => r[`${group}__age`] === expectedAge(String(r.at)))).toBe(true);
    expect(eventOnly.warnings).toEqual([]);
    // A resumed run must keep the checkpoint's knowledge time.
    const other = await cli("backfill", input, "--group", group, "--available-from", "eventTime", "--checkpoint", join(work.path, `${group}.ckpt.json`));
    expect(other.code).toBe(2);
    expect(other.stderr).toContain("--available-from");
    const bad = await cli("backfill", input, "--group", group, "--available-delay", "soon");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--available-delay must be a duration");
  }, 120_000);
});

describe("fs backfill, interrupted and resumed", () => {
  it("resumes from the checkpoint after a stop and never writes a row twice, also when re-run without the checkpoint", async () => {
    const group = await createOfflineGroup("cli-resume", FEATURES);
    const input = await parquetOf(`${group}.parquet`, 0, 5000);
    const checkpoint = join(work.path, `${group}.ckpt.json`);
    const args = ["backfill", input, "--group", group, "--chunk-rows", "400", "--checkpoint", checkpoint];
    const stopped = await runCli(args, { cwd: work.path, env: cliEnv({ FS_CLI_STOP_AFTER_CHUNKS: "3" }) });
    expect(stopped.code, stopped.stderr).toBe(75);
    expect(stopped.stderr).toContain("run again to resume");
    const saved = JSON.parse(readFileSync(checkpoint, "utf8")) as { inputs: Record<string, { chunks: number; done: number[] }> };
    const entry = Object.values(saved.inputs)[0]!;
    expect(entry.chunks).toBe(13);
    expect(entry.done.length).toBeGreaterThanOrEqual(3);
    expect(entry.done.length).toBeLessThan(13);
    const partial = await offlineStore(group);
    expect(partial.stats.rows).toBeGreaterThanOrEqual(1200);
    expect(partial.stats.rows).toBeLessThan(5000);

    const resumed = await cli(...args);
    expect(resumed.code, resumed.stderr).toBe(0);
    let seen = await offlineRowsByDuckDb(group, 5000);
    expect(seen.counts.size).toBe(5000);
    expect([...seen.counts.values()].every((n) => n === 1)).toBe(true);
    // One write time for the whole backfill, kept across the stop.
    expect(new Set(seen.rows.map((r) => r.write_ms)).size).toBe(1);
    const files = seen.store.files.map((f) => f.key).sort();

    const again = await cli(...args);
    expect(again.code).toBe(0);
    expect(again.json.inputs[0].status).toBe("done-before");
    unlinkSync(checkpoint);
    const fresh = await cli(...args);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.json.inputs[0]).toMatchObject({ filesWritten: 0, filesAlreadyRegistered: files.length });
    seen = await offlineRowsByDuckDb(group, 5000);
    expect(seen.store.files.map((f) => f.key).sort()).toEqual(files);
  }, 60_000);
});

describe("fs backfill on worker threads", () => {
  it("--workers 2 writes every row exactly once, in the same files (names, partitions, rows) as --workers 0 on the main thread, also when encoded files outgrow their memory budget", async () => {
    const threaded = await createOfflineGroup("cli-threads", FEATURES);
    const inline = await createOfflineGroup("cli-inline", FEATURES);
    const budgeted = await createOfflineGroup("cli-budget", FEATURES);
    const input = await parquetOf(`${threaded}.parquet`, 0, 3000);
    const backfill = (group: string, workers: string, budget?: string) =>
      runCli(["backfill", input, "--group", group, "--chunk-rows", "450", "--workers", workers, "--checkpoint", join(work.path, `${group}.ckpt.json`)], { cwd: work.path, env: cliEnv(budget ? { FS_CLI_ENCODED_BUDGET_BYTES: budget } : {}) });
    const files = (store: Awaited<ReturnType<typeof offlineStore>>) => store.files.map((f) => [f.key.slice(store.prefix.length), f.rowCount, f.minEventTime, f.maxEventTime]).sort();
    const seen = [];
    // A 1-byte budget keeps the first chunk's files only: the other six chunks are validated, then encoded again while uploading.
    for (const [group, workers, budget] of [[threaded, "2"], [inline, "0"], [budgeted, "2", "1"]] as const) {
      const res = await backfill(group, workers, budget);
      expect(res.code, res.stderr).toBe(0);
      // 3,000 rows in chunks of 450: 7 chunks over 6 hourly partitions.
      expect(res.json).toMatchObject({ rows: 3000, rejectedFiles: 0, inputs: [{ status: "written", rows: 3000, filesAlreadyRegistered: 0 }] });
      const { store, counts, rows } = await offlineRowsByDuckDb(group, 3000);
      expect(counts.size).toBe(3000);
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
      expect(rows.map((r) => [r.id, r.ts, r.age, r.score, r.city, r.is_deleted])).toEqual(Array.from({ length: 3000 }, (_, i) => [`u${i}`, tsOf(i), BigInt(i), i / 4, `city-${i % 7}`, false]));
      expect(store.stats.partitions).toBe(6);
      seen.push(files(store));
    }
    expect(seen[1]).toEqual(seen[0]);
    expect(seen[2]).toEqual(seen[0]);
  }, 60_000);
});

describe("fs backfill, invalid input", () => {
  it("rejects a malformed file with a row/field report, writes nothing of it, and still writes the good file", async () => {
    const group = await createOfflineGroup("cli-bad", FEATURES);
    const bad = file(`${group}-bad.csv`, `id,ts,age,score,city\nu1,${tsOf(1)},12,1.5,a\nu2,${tsOf(2)},twelve,1.5,b\n,${tsOf(3)},3,1,c\nu4,2026-13-01T00:00:00Z,4,1,d\nu5,${tsOf(5)},99999999999999999999,1,e\n`);
    const good = file(`${group}-good.csv`, csvOf(10, 20));
    const report = join(work.path, `${group}.report.json`);
    const res = await cli("backfill", bad, good, "--group", group, "--report", report, "--checkpoint", join(work.path, `${group}.ckpt.json`));
    expect(res.code).toBe(6);
    expect(res.stderr).toContain(`rejected ${bad}: 4 invalid row(s); nothing of it was written`);
    // Rows are numbered by physical line, as the bulk API numbers them: the header is line 1.
    expect(res.stderr).toContain("row 3, field age: must be a signed 64-bit integer");
    expect(res.stderr).toContain("row 4, field id: is required (the record identifier feature)");
    expect(res.stderr).toContain("row 5, field ts: must be an ISO-8601 UTC time");
    expect(res.stderr).toMatch(/row 6, field age: .*out of range/);
    const written = JSON.parse(readFileSync(report, "utf8"));
    expect(written.inputs[0]).toMatchObject({ status: "rejected", invalidRows: 4 });
    expect(written.inputs[0].invalid.map((p: { row: number; field: string }) => [p.row, p.field])).toEqual([[3, "age"], [4, "id"], [5, "ts"], [6, "age"]]);
    const { store, counts } = await offlineRowsByDuckDb(group, 10);
    expect([...counts.keys()].sort()).toEqual(Array.from({ length: 10 }, (_, i) => `u${i + 10}`).sort());
    expect([...(await listObjects(store.prefix)).keys()]).toHaveLength(store.files.length);
  });
});

describe("fs backfill, storage failures", () => {
  it("exits 5 without registering anything when the offline bucket refuses the S3 credentials", async () => {
    const group = await createOfflineGroup("cli-s3-denied", FEATURES);
    const res = await runCli(["backfill", file(`${group}.csv`, csvOf(0, 30)), "--group", group, "--chunk-rows", "10", "--checkpoint", join(work.path, `${group}.ckpt.json`)], {
      cwd: work.path,
      env: cliEnv({ FS_OFFLINE_S3_SECRET_ACCESS_KEY: "not-the-bucket-secret" }),
    });
    expect(res.code, res.stderr).toBe(5);
    expect(res.stderr).toContain("writing s3://");
    expect(res.stderr).not.toContain("not-the-bucket-secret");
    expect((await offlineStore(group)).stats.files).toBe(0);
  });
});

describe("offline file registration through the API", () => {
  it("refuses keys outside the group's own prefix and registers nothing", async () => {
    const group = await createOfflineGroup("cli-reg", FEATURES);
    const other = await createOfflineGroup("cli-reg-other", FEATURES);
    const input = file(`${other}.csv`, csvOf(0, 5));
    expect((await cli("backfill", input, "--group", other, "--checkpoint", join(work.path, `${other}.ckpt.json`))).code).toBe(0);
    const theirs = (await offlineStore(other)).files[0]!;
    const ours = await offlineStore(group);
    const base = { fileId: "trick-1", partition: theirs.partition, rows: theirs.rowCount, bytes: theirs.byteSize, minEventTime: theirs.minEventTime, maxEventTime: theirs.maxEventTime, minWriteTime: theirs.minWriteTime, maxWriteTime: theirs.maxWriteTime };
    const name = theirs.key.split("/").pop()!;
    for (const key of [theirs.key, `${ours.prefix}../../../${other}/${theirs.key.split("/").slice(2).join("/")}`, `${ours.prefix}${theirs.partition}/../../../../../../${theirs.key}`, `${ours.prefix}${theirs.partition}/${name}/..`]) {
      const res = await native("POST", `/feature-groups/${group}/offline-store/files`, { ...base, key });
      expect(res.status, key).toBe(400);
      expect(res.body.error.message).toContain("key");
    }
    expect((await offlineStore(group)).stats.files).toBe(0);
    expect(existsSync(join(work.path, `${group}.ckpt.json`))).toBe(false);
    await call("GET", `/feature-groups/${group}`);
  });
});
