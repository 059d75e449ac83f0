// The files a backfill or ingest reads: local paths (files, or folders
// whose .csv/.ndjson/.parquet files are taken in name order) and
// s3://bucket/prefix (every object under the prefix, in key order). Each
// input has an identity: the SHA-256 of its bytes, so the output keys of a
// re-run are the same wherever the file is read from, and a changed file
// gets new keys.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { usage } from "../errors.mjs";
import { formatOf } from "./decode.mjs";
import { getObjectBytes, listInputObjects, s3Client } from "./s3.mjs";

/** @typedef {{ name: string, format: string, size: number, read: () => Promise<Uint8Array> }} Input */

export const identityOf = (bytes) => createHash("sha256").update(bytes).digest("hex");

function localInputs(path, forced) {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw usage(`input ${path} does not exist`);
  }
  const files = stat.isDirectory()
    ? readdirSync(path)
        .filter((f) => formatOf(f))
        .sort()
        .map((f) => join(path, f))
    : [path];
  return files.map((file) => {
    const format = forced ?? formatOf(file);
    if (!format) throw usage(`cannot tell the format of ${file}; use --format csv|ndjson|parquet`);
    return { name: file, format, size: statSync(file).size, read: async () => readFileSync(file) };
  });
}

/** @returns {Promise<Input[]>} */
export async function resolveInputs(paths, forcedFormat, s3Settings) {
  const inputs = [];
  let client;
  for (const path of paths) {
    const s3 = /^s3:\/\/([^/]+)\/?(.*)$/.exec(path);
    if (!s3) {
      inputs.push(...localInputs(path, forcedFormat));
      continue;
    }
    client ??= s3Client(s3Settings);
    const [, bucket, prefix] = s3;
    const objects = (await listInputObjects(client, bucket, prefix)).filter((o) => forcedFormat || formatOf(o.key));
    if (objects.length === 0) throw usage(`no .csv, .ndjson or .parquet objects under ${path}`);
    for (const o of objects) inputs.push({ name: `s3://${bucket}/${o.key}`, format: forcedFormat ?? formatOf(o.key), size: o.size, read: () => getObjectBytes(client, bucket, o.key) });
  }
  return inputs;
}
