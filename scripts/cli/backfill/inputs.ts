// The files a backfill or ingest reads: local paths (files, or folders
// whose .csv/.ndjson/.parquet files are taken in name order) and
// s3://bucket/prefix (every object under the prefix, in key order). Each
// input has an identity: the SHA-256 of its bytes, so the output keys of a
// re-run are the same wherever the file is read from, and a changed file
// gets new keys.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import type { S3Settings } from "../config";
import { usage } from "../errors";
import { formatOf, type InputFormat } from "./decode";
import { getObjectBytes, listInputObjects, s3Client } from "./s3";

/** One input file or object: read whole when its turn comes. */
export interface Input {
  name: string;
  format: InputFormat;
  size: number;
  read: () => Promise<Uint8Array>;
}

/** An input's identity: the SHA-256 of its bytes, hex. */
export const identityOf = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

function localInputs(path: string, forced: InputFormat | undefined): Input[] {
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
  return files.map((file): Input => {
    const format = forced ?? formatOf(file);
    if (!format) throw usage(`cannot tell the format of ${file}; use --format csv|ndjson|parquet`);
    return { name: file, format, size: statSync(file).size, read: async () => readFileSync(file) };
  });
}

/** The inputs of the command line, in order: files, folder contents by name, S3 objects by key. */
export async function resolveInputs(paths: readonly string[], forcedFormat: InputFormat | undefined, s3Settings: S3Settings): Promise<Input[]> {
  const inputs: Input[] = [];
  let client: S3Client | undefined;
  for (const path of paths) {
    const s3 = /^s3:\/\/([^/]+)\/?(.*)$/.exec(path);
    if (!s3) {
      inputs.push(...localInputs(path, forcedFormat));
      continue;
    }
    client ??= s3Client(s3Settings);
    const s3Objects = client;
    const [, bucket = "", prefix = ""] = s3;
    const objects = (await listInputObjects(s3Objects, bucket, prefix)).flatMap((o) => {
      const format = forcedFormat ?? formatOf(o.key);
      return format ? [{ ...o, format }] : [];
    });
    if (objects.length === 0) throw usage(`no .csv, .ndjson or .parquet objects under ${path}`);
    for (const o of objects) inputs.push({ name: `s3://${bucket}/${o.key}`, format: o.format, size: o.size, read: () => getObjectBytes(s3Objects, bucket, o.key) });
  }
  return inputs;
}
