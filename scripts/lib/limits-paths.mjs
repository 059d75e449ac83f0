// The heavy paths `npm run limits` measures. Each has an optional fixture
// (seeded once, in its own stack, and reused from storage by the paths that
// read it), an optional `prepare` (unmeasured) and `run` (measured); `run`
// may return `heavy`, a pattern naming the invocations the path is about,
// whose count divides the isolate's CPU time into CPU per invocation.
import { arrowStream, csvBody, entityParquet, HOUR, iso, MAX, maxRecord, MiB, ndjsonBody, parquetOf, T0, wideGroup, wideRecord, wideTable } from "./limits-data.mjs";

const n = (x, scale, min = 1) => Math.max(min, Math.round(x * scale));

/**
 * A Parquet body of up to `rows` wide rows as close under `bytes` as it gets: random text first, then
 * fewer rows (100,000 rows of the wide group's numbers alone compress to more than 8 MiB). Row groups of
 * 12,000 rows: about 7 MiB uncompressed, near MAX_PARQUET_ROW_GROUP_BYTES (8 MiB).
 */
function parquetNear(rows, bytes, first) {
  let pad = Math.floor(bytes / rows);
  for (;;) {
    const body = parquetOf(wideTable(rows, pad, first), 12_000);
    if (body.length <= bytes) return body;
    if (pad > 0) pad = Math.max(0, Math.floor(pad - (body.length - bytes) / rows) - 16);
    else rows = Math.floor((rows * bytes * 0.98) / body.length);
  }
}
/**
 * A text body from `make(rows, target)` of at most `bytes`: the generators' padding is approximate, so
 * aim lower until it fits; when the padding is spent and it still does not fit (100,000 wide rows are
 * ~80 MB of NDJSON unpadded), take fewer rows.
 */
function textNear(make, rows, bytes) {
  let target = bytes;
  let last = -1;
  for (;;) {
    const body = make(rows, target);
    const size = Buffer.byteLength(body);
    if (size <= bytes) return body;
    if (size === last) {
      rows = Math.floor(((rows * bytes) / size) * 0.99);
      target = bytes;
      last = -1;
      continue;
    }
    last = size;
    target = Math.floor(target * (bytes / size) * 0.995);
  }
}
/** An Arrow IPC stream of up to `rows` wide rows (4 characters of text per string) under `bytes`: fewer rows until it fits. */
function arrowNear(rows, bytes, first) {
  for (;;) {
    const body = arrowStream(wideTable(rows, 64, first));
    if (body.length <= bytes) return body;
    rows = Math.floor(((rows * bytes) / body.length) * 0.99);
  }
}
const BULK_CONCURRENCY = 3;
const PUT_CONCURRENCY = 8;

/** The wide offline group time travel and datasets read: `ids` identifiers × 3 versions, one hour apart, written by the bulk route (offline only). */
async function seedWide(s, scale) {
  await s.call("POST", "/feature-groups", wideGroup("wide"));
  const ids = n(MAX.chunkRows / 3, scale, 100);
  // 40,000 wide rows are ~28 MB of NDJSON: under MAX_BULK_BODY_BYTES (32 MiB; 50,000 were over it). Files stay the
  // bulk chunks of 2,000 rows, 75 of them, as with the 50,000-row requests of earlier runs.
  const per = 40_000;
  for (let v = 0; v < 3; v++)
    for (let first = 0; first < ids; first += per) {
      const rows = Math.min(per, ids - first);
      // Knowledge time = event time (a backfill's): datasets are leak-free by knowledge time, so rows
      // known only when the harness ran (after the entity times) would be excluded and read nothing.
      await s.call("POST", "/feature-groups/wide/records/batch?targetStores=offline&availableFrom=eventTime", ndjsonBody(rows, rows * 600, first, iso(T0 + v * HOUR)), { contentType: "application/x-ndjson" });
    }
  return { ids };
}

async function waitForJob(s, id, { timeoutMs = 30 * 60_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await s.call("GET", `/datasets/jobs/${id}`);
    if (job.state === "succeeded" || job.state === "failed" || job.state === "cancelled") return job;
    if (Date.now() > deadline) throw new Error(`dataset job ${id} still ${job.state}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function waitForRun(s, jobId, runId, { timeoutMs = 30 * 60_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  const worker = await s.mf.getWorker(s.names[0]);
  for (;;) {
    const run = await s.call("GET", `/jobs/${jobId}/runs/${runId}`);
    if (run.status !== "running") return run;
    if (Date.now() > deadline) throw new Error(`job run ${runId} still running`);
    // wrangler's local runtime fires no cron: drive the jobs tick as production would each minute.
    await worker.scheduled({ cron: "* * * * *" });
    await new Promise((r) => setTimeout(r, 500));
  }
}

function bulkPath(format, describe, body, contentType) {
  return {
    describe,
    async prepare(ctx) {
      await ctx.call("POST", "/feature-groups", wideGroup("bulk"));
      return Array.from({ length: BULK_CONCURRENCY }, (_, i) => body(ctx.scale, i));
    },
    async run(ctx, bodies) {
      const reports = await Promise.all(bodies.map((b) => ctx.call("POST", "/feature-groups/bulk/records/batch?targetStores=online,offline", b, { contentType })));
      const written = reports.reduce((sum, r) => sum + (r?.written ?? 0), 0);
      const expected = reports.reduce((sum, r) => sum + (r?.rows ?? 0), 0);
      if (written === 0 || written !== expected || reports.some((r) => r.failure || r.error || r.notWritten || r.invalidRows)) throw new Error(`bulk ingest wrote ${written} of ${expected} rows: ${JSON.stringify(reports[0]).slice(0, 300)}`);
      return { heavy: /^fetch POST .*records\/batch$/, note: `${BULK_CONCURRENCY} requests at once, ${(bodies[0].length / MiB).toFixed(1)} MiB and ${reports[0].rows} rows each; report ${JSON.stringify(reports[0]).slice(0, 160)}` };
    },
  };
}

export const PATHS = {
  "put-record": {
    describe: `PutRecord of the maximum record (350 KB canonical JSON), ${PUT_CONCURRENCY} at once`,
    async prepare(ctx) {
      await ctx.call("POST", "/feature-groups", wideGroup("puts", { offline: false }));
    },
    async run(ctx) {
      await Promise.all(Array.from({ length: PUT_CONCURRENCY }, (_, i) => ctx.call("PUT", "/feature-groups/puts/records", { record: maxRecord(i, iso(T0)) })));
      return { heavy: /^fetch PUT/ };
    },
  },
  "batch-get": {
    describe: "BatchGetRecord of 100 maximum records from a one-shard group (all in one shard call), 2 at once",
    async prepare(ctx) {
      await ctx.call("POST", "/feature-groups", wideGroup("batch", { shardCount: 1, offline: false }));
      const count = n(MAX.batchGetIdentifiers, ctx.scale);
      for (let i = 0; i < count; i += 8) await Promise.all(Array.from({ length: Math.min(8, count - i) }, (_, k) => ctx.call("PUT", "/feature-groups/batch/records", { record: maxRecord(i + k, iso(T0)) })));
      return count;
    },
    async run(ctx, count) {
      const body = { requests: [{ featureGroup: "batch", recordIdentifiers: Array.from({ length: count }, (_, i) => `r${i}`) }] };
      const replies = await Promise.all([0, 1].map(() => ctx.call("POST", "/records/batch-get", body)));
      return { heavy: /^fetch POST \/v1\/records\/batch-get/, note: `${replies[0].records?.length ?? "?"} records per reply` };
    },
  },
  "bulk-ndjson": bulkPath("ndjson", "bulk ingest, NDJSON at the 32 MiB maximum (as many wide rows as fit, up to 100,000)", (scale, i) => textNear((rows, b) => ndjsonBody(rows, b, i * 1_000_000), n(MAX.bulkRows, scale), MAX.bulkBodyBytes * scale * 0.98), "application/x-ndjson"),
  "bulk-csv": bulkPath("csv", "bulk ingest, CSV at the 32 MiB maximum (as many wide rows as fit, up to 100,000)", (scale, i) => textNear((rows, b) => csvBody(rows, b, i * 1_000_000), n(MAX.bulkRows, scale), MAX.bulkBodyBytes * scale * 0.98), "text/csv"),
  "bulk-arrow": bulkPath(
    "arrow",
    "bulk ingest, Arrow IPC stream at the 32 MiB maximum (as many wide rows as fit, up to 100,000)",
    (scale, i) => arrowNear(n(MAX.bulkRows, scale), MAX.arrowStreamBodyBytes * scale * 0.97, i * 1_000_000),
    "application/vnd.apache.arrow.stream",
  ),
  "bulk-parquet": bulkPath(
    "parquet",
    "bulk ingest, Parquet (ZSTD) at MAX_BUFFERED_BODY_BYTES (8 MiB: as many wide rows as fit, up to 100,000), row groups of 12,000 rows (~7 MiB uncompressed, MAX_PARQUET_ROW_GROUP_BYTES 8 MiB)",
    (scale, i) => parquetNear(n(MAX.bulkRows, scale), MAX.bufferedBodyBytes * scale * 0.95, i * 1_000_000),
    "application/vnd.apache.parquet",
  ),
  "queue-consumer": {
    describe: `offline queue consumer at its maximum batch (max_batch_size ${MAX.queueBatch}): messages, each a staged outbox batch (120 KB of rows + one maximum record)`,
    async prepare(ctx) {
      await ctx.call("POST", "/feature-groups", wideGroup("queued"));
      const { generation } = await ctx.call("GET", "/feature-groups/queued");
      const messages = [];
      const count = n(MAX.queueBatch, ctx.scale);
      for (let m = 0; m < count; m++) {
        const rows = [];
        let bytes = 0;
        for (let i = 0; bytes < MAX.messageBytes; i++) {
          const body = JSON.stringify(wideRecord(m * 1000 + i, iso(T0 + m * 1000)));
          rows.push(body);
          bytes += body.length;
        }
        rows.push(JSON.stringify(maxRecord(m * 1000 + 999, iso(T0 + m * 1000))));
        const staged = `limits-staging/${m}.json`;
        const offlineRows = rows.map((body, i) => ({ kind: "put", recordIdentifier: JSON.parse(body).id, eventKey: `${String(63_000_000_000 + m).padStart(12, "0")}${String(i).padStart(9, "0")}`, body, isDeleted: false, apiInvocationTimeMs: T0 + m * 1000, catalogVersion: 1 }));
        await ctx.offline.put(staged, JSON.stringify(offlineRows));
        messages.push({ id: `m${m}`, timestamp: new Date(), attempts: 1, body: { v: 1, batchId: `${generation}:0:${m}`, generation, staged } });
      }
      return messages;
    },
    async run(ctx, messages) {
      const worker = await ctx.mf.getWorker(ctx.names[0]);
      const result = await worker.queue("feature-store-offline", messages);
      return { heavy: /^queue /, note: `outcome ${result.outcome}, ${result.explicitAcks?.length ?? 0} acked, ${result.retryMessages?.length ?? 0} retried` };
    },
  },
  "dataset-step": {
    fixture: "wide",
    seed: seedWide,
    describe: "dataset job at the maximum chunk: 150,000 entity rows, the wide group (48 features), mostRecent 3, includeDuplicates",
    async prepare(ctx) {
      const rows = n(MAX.chunkRows, ctx.scale, 100);
      await ctx.call("PUT", "/uploads/entities.parquet", entityParquet(rows, ctx.fixture.ids, T0 + 5 * HOUR));
      return rows;
    },
    async run(ctx) {
      const created = await ctx.call("POST", "/datasets", { async: true, format: "parquet", entities: { object: "entities.parquet" }, timestampColumn: "at", mostRecent: 3, includeDuplicates: true, featureGroups: [{ name: "wide", entityColumn: "user", prefix: "" }] });
      const job = await waitForJob(ctx, created.id);
      if (job.state !== "succeeded") throw new Error(`dataset job ${job.state}: ${job.error ?? ""}`);
      if (!(job.progress?.filesRead > 0)) throw new Error(`dataset job read no offline file: ${JSON.stringify(job.progress)}`);
      return { heavy: /^queue feature-store-dataset-jobs /, note: `job ${job.state}${job.error ? `: ${job.error}` : ""}, progress ${JSON.stringify(job.progress)}` };
    },
  },
  "dataset-sync": {
    fixture: "wide",
    seed: seedWide,
    describe: "synchronous dataset at its limits: the wide group, JSON result just under MAX_SYNC_RESULT_CHARS (16 Mi characters, ~19,000 entity rows; 100,000 entity rows are allowed only for narrower results)",
    async prepare(ctx) {
      // A wide row answers ~860 characters of JSON: 100,000 of them would be 86 MB (over the 32 MiB RPC limit, refused).
      const rows = n(Math.min(MAX.syncEntityRows, Math.floor((MAX.syncResultChars * 0.97) / 880)), ctx.scale, 100);
      const perId = Math.max(1, Math.ceil(rows / ctx.fixture.ids));
      return Array.from({ length: rows }, (_, r) => ({ user: `r${Math.floor(r / perId)}`, at: iso(T0 + 5 * HOUR) }));
    },
    async run(ctx, rows) {
      const result = await ctx.call("POST", "/datasets", { entities: { rows }, timestampColumn: "at", featureGroups: [{ name: "wide", entityColumn: "user", prefix: "" }] }, { raw: true });
      return { heavy: /^fetch POST \/v1\/datasets$|^QueryService\.dataset/, note: `result ${(result.length / MiB).toFixed(1)} MiB` };
    },
  },
  "as-of": {
    fixture: "wide",
    seed: seedWide,
    describe: "as-of snapshot over the wide group at the page limit (MAX_AS_OF_LIMIT, 2,500), 2 at once",
    async run(ctx) {
      await Promise.all([0, 1].map(() => ctx.call("GET", `/feature-groups/wide/as-of?eventTime=${iso(T0 + 5 * HOUR)}&limit=${MAX.asOfLimit}`)));
      return { heavy: /^fetch GET .*as-of|^QueryService\.asOf/ };
    },
  },
  history: {
    fixture: "wide",
    seed: seedWide,
    describe: "record history over the wide group, 4 at once",
    async run(ctx) {
      await Promise.all([0, 1, 2, 3].map((i) => ctx.call("GET", `/feature-groups/wide/records/r${i * 7}/history`)));
      return { heavy: /^fetch GET .*history|^QueryService\.history/ };
    },
  },
  materialize: {
    fixture: "wide",
    seed: seedWide,
    describe: "materialise the wide group offline → online",
    async run(ctx) {
      const { job, run } = await ctx.call("POST", "/feature-groups/wide/materialize");
      const done = await waitForRun(ctx, job.id, run.id);
      if (done.status !== "succeeded") throw new Error(`materialise run ${done.status}: ${JSON.stringify(done).slice(0, 300)}`);
      return { heavy: /^fetch POST .*materialize|^scheduled|^QueryService\.asOf/, note: `run ${done.status}, rows ${JSON.stringify(done.rows)}` };
    },
  },
  "ingest-job": {
    describe: "ingest job step over one object at the 16 MiB maximum (NDJSON: as many wide rows as fit, up to 100,000), mode both",
    async prepare(ctx) {
      await ctx.call("POST", "/feature-groups", wideGroup("landed"));
      await ctx.ingest.put("landed/0000.ndjson", textNear((rows, b) => ndjsonBody(rows, b), n(MAX.jobObjectRows, ctx.scale), MAX.jobObjectBytes * ctx.scale * 0.97));
      return ctx.call("POST", "/jobs", { featureGroup: "landed", source: { prefix: "landed/" }, format: "ndjson", mode: "both", schedule: null });
    },
    async run(ctx, job) {
      const run = await ctx.call("POST", `/jobs/${job.id}/run`);
      const done = await waitForRun(ctx, job.id, run.id);
      if (done.status !== "succeeded") throw new Error(`ingest run ${done.status}: ${JSON.stringify(done).slice(0, 300)}`);
      return { heavy: /^fetch POST \/v1\/jobs|^scheduled/, note: `run ${done.status}, rows ${JSON.stringify(done.rows)}` };
    },
  },
  compaction: {
    describe: "compaction of the largest partition: 20 small files, ~47 MiB, up to the 48 MiB merge input",
    async prepare(ctx) {
      await ctx.call("POST", "/feature-groups", wideGroup("compact"));
      // Twenty files of ~2.4 MiB (1,000 wide rows with 3,000 characters of incompressible text each, one
      // bulk chunk), one hour partition: the merge's maximum input (maxInputBytes, 48 MiB).
      const files = 20;
      for (let f = 0; f < files; f++) {
        const rows = n(1_000, ctx.scale, 50);
        const body = parquetOf(wideTable(rows, 3_000, f * 100_000), rows);
        await ctx.call("POST", "/feature-groups/compact/records/batch?targetStores=offline", body, { contentType: "application/vnd.apache.parquet" });
      }
    },
    async run(ctx) {
      const worker = await ctx.mf.getWorker(ctx.names[0]);
      await worker.scheduled({ cron: "*/15 * * * *" });
      const files = await ctx.db.prepare("SELECT state, count(*) AS n, sum(byte_size) AS bytes FROM offline_files WHERE feature_group = 'compact' GROUP BY state").all();
      return { heavy: /^scheduled/, note: `files after: ${JSON.stringify(files.results)}` };
    },
  },
};
