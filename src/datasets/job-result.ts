import { arrowSchemaBytes, type JobFormat } from "./job-parts";
import { bucketSource, mergedTrailer, PARQUET_MAGIC, readFooter, type FooterLayout } from "../parquet";

/**
 * A dataset job's parts and its result in R2: each step writes one part
 * (`dataset-jobs/<id>/parts/<chunk>-<step>`, both numbered from 0); the
 * job's last message concatenates them in that order into one result
 * object and deletes them.
 */
export const JOBS_PREFIX = "dataset-jobs";
/** Result parts: every part but the last has exactly this size, as R2 multipart uploads require. */
const PART_BYTES = 8 * 1024 * 1024;

const EXTENSIONS: Record<JobFormat, string> = { ndjson: "ndjson", csv: "csv", parquet: "parquet", arrow: "arrows" };
export const CONTENT_TYPES: Record<JobFormat, string> = {
  ndjson: "application/x-ndjson",
  csv: "text/csv; charset=utf-8",
  parquet: "application/vnd.apache.parquet",
  arrow: "application/vnd.apache.arrow.stream",
};

const partsPrefix = (id: string) => `${JOBS_PREFIX}/${id}/parts/`;
export const partKey = (id: string, chunk: number, step: number) => `${partsPrefix(id)}${String(chunk).padStart(6, "0")}-${String(step).padStart(6, "0")}`;

/** Deletes every part of a job, including those of steps no progress counted. */
export async function deleteParts(bucket: R2Bucket, id: string): Promise<void> {
  for (;;) {
    const listed = await bucket.list({ prefix: partsPrefix(id), limit: 1000 });
    if (listed.objects.length > 0) await bucket.delete(listed.objects.map((o) => o.key));
    if (!listed.truncated) return;
  }
}

/** Bytes in, fixed-size multipart parts out; small results become one plain object. */
class PartWriter {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private parts: R2UploadedPart[] = [];
  private upload: R2MultipartUpload | undefined;
  total = 0;

  constructor(
    private readonly bucket: R2Bucket,
    private readonly key: string,
    private readonly contentType: string,
  ) {}

  async write(bytes: Uint8Array): Promise<void> {
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    this.total += bytes.length;
    while (this.pendingBytes >= PART_BYTES) await this.flushPart(PART_BYTES);
  }

  private take(size: number): Uint8Array {
    const out = new Uint8Array(size);
    let filled = 0;
    while (filled < size) {
      const head = this.pending[0]!;
      const n = Math.min(head.length, size - filled);
      out.set(head.subarray(0, n), filled);
      filled += n;
      if (n === head.length) this.pending.shift();
      else this.pending[0] = head.subarray(n);
    }
    this.pendingBytes -= size;
    return out;
  }

  private async flushPart(size: number): Promise<void> {
    this.upload ??= await this.bucket.createMultipartUpload(this.key, { httpMetadata: { contentType: this.contentType } });
    this.parts.push(await this.upload.uploadPart(this.parts.length + 1, this.take(size)));
  }

  async close(): Promise<void> {
    if (!this.upload) {
      await this.bucket.put(this.key, this.take(this.pendingBytes), { httpMetadata: { contentType: this.contentType } });
      return;
    }
    if (this.pendingBytes > 0) await this.flushPart(this.pendingBytes);
    await this.upload.complete(this.parts);
  }
}

async function pipe(bucket: R2Bucket, key: string, writer: PartWriter, range?: { offset: number; length: number }): Promise<void> {
  if (range && range.length <= 0) return;
  const object = await bucket.get(key, range ? { range } : {});
  if (!object) throw new Error(`job part ${key} is missing`);
  const reader = object.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    await writer.write(value);
  }
}

const ARROW_EOS = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

/** Concatenates the parts (keys in result order) into the job's result object: its key and size. */
export async function assemble(bucket: R2Bucket, id: string, format: JobFormat, parts: readonly string[]): Promise<{ key: string; bytes: number }> {
  const key = `${JOBS_PREFIX}/${id}/result.${EXTENSIONS[format]}`;
  const writer = new PartWriter(bucket, key, CONTENT_TYPES[format]);
  if (format === "parquet") {
    const layouts: FooterLayout[] = [];
    for (const part of parts) {
      const head = await bucket.head(part);
      if (!head) throw new Error(`job part ${part} is missing`);
      layouts.push((await readFooter(bucketSource(bucket, part, head.size))).layout);
    }
    await writer.write(PARQUET_MAGIC);
    for (const [n, layout] of layouts.entries()) await pipe(bucket, parts[n]!, writer, { offset: PARQUET_MAGIC.length, length: layout.footerStart - PARQUET_MAGIC.length });
    await writer.write(mergedTrailer(layouts));
  } else if (format === "arrow") {
    for (const [n, part] of parts.entries()) {
      // Each part is a whole stream: the first keeps its schema message, every part loses its end marker.
      const head = await bucket.get(part, { range: { offset: 0, length: 8 } });
      if (!head) throw new Error(`job part ${part} is missing`);
      const from = n === 0 ? 0 : arrowSchemaBytes(new Uint8Array(await head.arrayBuffer()));
      await pipe(bucket, part, writer, { offset: from, length: head.size - ARROW_EOS.length - from });
    }
    await writer.write(ARROW_EOS);
  } else {
    for (const part of parts) await pipe(bucket, part, writer);
  }
  await writer.close();
  return { key, bytes: writer.total };
}
