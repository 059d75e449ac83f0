#!/usr/bin/env node
// npm run bench:jobs: ingest-job throughput. Lands --files NDJSON files of
// --rows-per-file records in the landing bucket (through its local S3 API),
// runs one ingest job per mode (online, both, offline) with "run now", and
// reports records/s and the slice's wall time, next to the floor: the same
// bodies sent to the bulk route (POST …/records/batch) one at a time.
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { writeFileSync } from "node:fs";
import { startDevServer } from "./lib/dev-server.mjs";
import { groupBody, record } from "./lib/twenty-features.mjs";
import { scriptFlags } from "./lib/flags.mjs";

const HELP = `Usage: npm run bench:jobs -- [options]

Starts both workers with wrangler dev (a temporary state directory), creates a
20-feature group with 16 shards and an offline store per mode, lands the files
under the group's prefix in INGEST_BUCKET, and times POST /v1/jobs/{id}/run
(the first slice runs before the answer; the defaults fit in one slice:
20 files, 100,000 rows). Prints records/s per mode and the bulk-route floor.

  --files <n>          files per mode (default 10)
  --rows-per-file <n>  records per file (default 10000)
  --json <file>        also write the results as JSON
  --help               this text`;

const { flags } = scriptFlags(HELP, { files: { type: "string", default: "10" }, "rows-per-file": { type: "string", default: "10000" }, json: { type: "string" } });
const files = Number(flags.files);
const rowsPerFile = Number(flags["rows-per-file"]);
const total = files * rowsPerFile;

const { base, call, stop } = await startDevServer();
// wrangler.toml: local_dev credentials of the INGEST_BUCKET binding.
const s3 = new S3Client({
  endpoint: `${new URL(base).origin}/cdn-cgi/local/r2/s3`,
  region: "auto",
  forcePathStyle: true,
  credentials: { accessKeyId: "local-ingest", secretAccessKey: "local-ingest-secret" },
});

const bodies = Array.from({ length: files }, (_, f) =>
  Array.from({ length: rowsPerFile }, (_, k) => JSON.stringify(record(f * rowsPerFile + k, "2026-11-01T00:00:00Z"))).join("\n") + "\n",
);

async function jobMode(mode) {
  const group = `jobs${mode}${Date.now()}`;
  await call("POST", "/feature-groups", groupBody(group));
  for (const [f, body] of bodies.entries()) await s3.send(new PutObjectCommand({ Bucket: "feature-store-ingest", Key: `${group}/${String(f).padStart(4, "0")}.ndjson`, Body: body }));
  const job = await call("POST", "/jobs", { featureGroup: group, source: { prefix: `${group}/` }, format: "ndjson", mode, schedule: null });
  const started = performance.now();
  const run = await call("POST", `/jobs/${job.id}/run`);
  const seconds = (performance.now() - started) / 1000;
  if (run.status !== "succeeded" || run.rows.written !== total) throw new Error(`${mode}: run ended ${run.status} with ${run.rows.written} of ${total} rows written`);
  return { recordsPerSecond: Math.round(total / seconds), sliceSeconds: Number(seconds.toFixed(2)) };
}

async function bulkFloor() {
  const group = `jobsfloor${Date.now()}`;
  await call("POST", "/feature-groups", groupBody(group));
  const started = performance.now();
  for (const body of bodies) await call("POST", `/feature-groups/${group}/records/batch?targetStores=online,offline`, body, "application/x-ndjson");
  return Math.round(total / ((performance.now() - started) / 1000));
}

const results = {
  files,
  rowsPerFile,
  modes: { online: await jobMode("online"), both: await jobMode("both"), offline: await jobMode("offline") },
  bulkRouteFloorRecordsPerSecond: await bulkFloor(),
};
console.table(Object.fromEntries(Object.entries(results.modes).map(([mode, r]) => [mode, r])));
console.log(`floor: the same bodies through POST /v1/feature-groups/{name}/records/batch (online+offline), one at a time: ${results.bulkRouteFloorRecordsPerSecond} records/s`);
if (flags.json) writeFileSync(flags.json, JSON.stringify(results, null, 2));
stop();
process.exit(0);
