// Inputs for `npm run limits`: groups, records and bodies at the store's
// own maximums (src/records/limits.ts, src/jobs/formats.ts,
// src/datasets/entity-source.ts), scaled by --scale.
import { randomBytes } from "node:crypto";
import { Bool, Float64, Int64, makeData, makeVector, Table, tableToIPC, TimestampMillisecond, Utf8, vectorFromArray } from "apache-arrow";
import { Compression, Table as WasmTable, writeParquet, WriterPropertiesBuilder } from "parquet-wasm/node";

export const MiB = 1024 * 1024;
/** The store's maximums, as the code declares them. */
export const MAX = {
  recordBytes: 350 * 1024, // MAX_RECORD_BYTES
  batchGetIdentifiers: 100, // MAX_BATCH_GET_IDENTIFIERS
  bulkBodyBytes: 32 * MiB, // MAX_BULK_BODY_BYTES (NDJSON, CSV, Arrow IPC stream: streamed)
  bufferedBodyBytes: 8 * MiB, // MAX_BUFFERED_BODY_BYTES (Arrow file, Parquet: held whole)
  arrowStreamBodyBytes: 32 * MiB, // MAX_BULK_BODY_BYTES for an Arrow IPC stream
  bulkRows: 100_000, // MAX_BULK_ROWS
  chunkRows: 150_000, // MAX_CHUNK_ROWS of a dataset job step
  syncEntityRows: 100_000, // MAX_ENTITY_ROWS of a synchronous dataset
  syncBodyBytes: 16 * MiB, // MAX_DATASET_BODY_BYTES
  syncResultChars: 16 * MiB, // MAX_SYNC_RESULT_CHARS of a synchronous dataset's JSON rows
  jobObjectBytes: 16 * MiB, // MAX_OBJECT_BYTES of an ingest job
  jobObjectRows: 100_000, // MAX_ROWS_PER_OBJECT
  queueBatch: 10, // max_batch_size of the offline queue's consumer in wrangler.toml
  messageBytes: 120 * 1024, // MAX_MESSAGE_BYTES of an outbox message
  compactionInputBytes: 48 * MiB, // DEFAULT_COMPACTION_POLICY.maxInputBytes
  asOfLimit: 2_500, // MAX_AS_OF_LIMIT
};

export const T0 = Date.UTC(2026, 0, 1);
export const HOUR = 3_600_000;
export const iso = (ms) => new Date(ms).toISOString();

/** A wide group: identifier, event time, 16 Integral, 16 Fractional, 16 String features. */
export function wideGroup(name, { shardCount = 16, offline = true } = {}) {
  const features = [{ name: "id", type: "String" }, { name: "ts", type: "String" }];
  for (let k = 0; k < 16; k++) features.push({ name: `n${k}`, type: "Integral" }, { name: `x${k}`, type: "Fractional" }, { name: `s${k}`, type: "String" });
  return { name, recordIdentifierFeature: "id", eventTimeFeature: "ts", features, offlineStore: { enabled: offline }, shardCount };
}

/** Record i of a wide group at `ts`; `pad` random characters spread over its strings. */
export function wideRecord(i, ts, pad = 0, random = false) {
  const r = { id: `r${i}`, ts };
  const each = Math.floor(pad / 16);
  const filler = each > 0 ? (random ? randomBytes(Math.ceil((each * 3) / 4)).toString("base64").slice(0, each) : "v".repeat(each)) : "";
  for (let k = 0; k < 16; k++) {
    r[`n${k}`] = i * 16 + k;
    r[`x${k}`] = (i + k) / 7;
    r[`s${k}`] = `s${i % 101}-${k}${filler}`;
  }
  return r;
}

/** A record of a wide group as close under MAX_RECORD_BYTES as its canonical JSON allows. */
export function maxRecord(i, ts) {
  const base = JSON.stringify(wideRecord(i, ts)).length;
  return wideRecord(i, ts, MAX.recordBytes - base - 512);
}

/** `rows` wide records whose NDJSON is about `bytes`. */
export function ndjsonBody(rows, bytes, first = 0, ts = iso(T0)) {
  const pad = Math.max(0, Math.floor(bytes / rows) - JSON.stringify(wideRecord(first, ts)).length - 1);
  const filler = pad > 0 ? "v".repeat(Math.floor(pad / 16)) : "";
  const lines = new Array(rows);
  for (let i = 0; i < rows; i++) {
    const r = wideRecord(first + i, ts);
    for (let k = 0; k < 16; k++) r[`s${k}`] += filler;
    lines[i] = JSON.stringify(r);
  }
  return lines.join("\n") + "\n";
}

export function csvBody(rows, bytes, first = 0, ts = iso(T0)) {
  const header = Object.keys(wideRecord(0, ts));
  const sample = header.map((k) => wideRecord(first, ts)[k]).join(",").length;
  const filler = "v".repeat(Math.max(0, Math.floor((Math.floor(bytes / rows) - sample - 1) / 16)));
  const lines = [header.join(",")];
  for (let i = 0; i < rows; i++) {
    const r = wideRecord(first + i, ts);
    lines.push(header.map((k) => (k.startsWith("s") ? r[k] + filler : r[k])).join(","));
  }
  return lines.join("\n") + "\n";
}

/** An Arrow table of wide records; `pad` characters of incompressible text per row. */
export function wideTable(rows, pad, first = 0, ts = iso(T0)) {
  const cols = { id: new Array(rows), ts: new Array(rows).fill(ts) };
  const each = Math.floor(pad / 16);
  const noise = each > 0 ? randomBytes(Math.ceil(((rows + 64) * each * 3) / 4)).toString("base64") : "";
  for (let k = 0; k < 16; k++) {
    const n = new BigInt64Array(rows);
    const x = new Float64Array(rows);
    const s = new Array(rows);
    for (let i = 0; i < rows; i++) {
      n[i] = BigInt((first + i) * 16 + k);
      x[i] = (first + i + k) / 7;
      const at = ((i * 16 + k) * each) % Math.max(1, noise.length - each);
      s[i] = `s${(first + i) % 101}-${k}${noise.slice(at, at + each)}`;
    }
    cols[`n${k}`] = makeVector(n);
    cols[`x${k}`] = makeVector(x);
    cols[`s${k}`] = vectorFromArray(s, new Utf8());
  }
  for (let i = 0; i < rows; i++) cols.id[i] = `r${first + i}`;
  cols.id = vectorFromArray(cols.id, new Utf8());
  cols.ts = vectorFromArray(cols.ts, new Utf8());
  const ordered = { id: cols.id, ts: cols.ts };
  for (let k = 0; k < 16; k++) Object.assign(ordered, { [`n${k}`]: cols[`n${k}`], [`x${k}`]: cols[`x${k}`], [`s${k}`]: cols[`s${k}`] });
  return new Table(ordered);
}

export const arrowStream = (table) => tableToIPC(table, "stream");
export const parquetOf = (table, rowGroup = 100_000) =>
  writeParquet(WasmTable.fromIPCStream(tableToIPC(table, "stream")), new WriterPropertiesBuilder().setCompression(Compression.ZSTD).setMaxRowGroupSize(rowGroup).build());

/** An entity list as Parquet: `rows` rows over `ids` identifiers (sorted), each at `atMs`, one row group. */
export function entityParquet(rows, ids, atMs) {
  const user = new Array(rows);
  const label = new BigInt64Array(rows);
  const perId = Math.max(1, Math.ceil(rows / ids));
  for (let r = 0; r < rows; r++) user[r] = `r${Math.floor(r / perId)}`;
  user.sort();
  const at = new Array(rows).fill(iso(atMs));
  const table = new Table({ user: vectorFromArray(user, new Utf8()), at: vectorFromArray(at, new Utf8()), label: makeVector(label) });
  return parquetOf(table, rows);
}

export { Bool, Float64, Int64, makeData, TimestampMillisecond };
