import { arrowSchemaBytes, type JobFormat } from "./job-parts";
import { bucketSource, mergedTrailer, PARQUET_MAGIC, readFooter, type FooterLayout } from "../parquet";

/**
 * A dataset job's parts and its result in R2: each step writes one part
 * (`dataset-jobs/<id>/parts/<n>`, numbered from 0); the last step
 * concatenates them into one result object and deletes them.
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

export const partKey = (id: string, n: number) => `${JOBS_PREFIX}/${id}/parts/${String(n).padStart(6, "0")}`;

/** Deletes parts 0 … parts − 1 (absent ones are no error). */
export async function deleteParts(bucket: R2Bucket, id: string, parts: number): Promise<void> {
  const keys = Array.from({ length: parts }, (_, n) => partKey(id, n));
  for (let i = 0; i < keys.length; i += 1000) await bucket.delete(keys.slice(i, i + 1000));
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

/** Concatenates parts 0 … parts − 1 into the job's result object: its key and size. */
export async function assemble(bucket: R2Bucket, id: string, format: JobFormat, parts: number): Promise<{ key: string; bytes: number }> {
  const key = `${JOBS_PREFIX}/${id}/result.${EXTENSIONS[format]}`;
  const writer = new PartWriter(bucket, key, CONTENT_TYPES[format]);
  if (format === "parquet") {
    const layouts: FooterLayout[] = [];
    for (let n = 0; n < parts; n++) {
      const head = await bucket.head(partKey(id, n));
      if (!head) throw new Error(`job part ${n} is missing`);
      layouts.push((await readFooter(bucketSource(bucket, partKey(id, n), head.size))).layout);
    }
    await writer.write(PARQUET_MAGIC);
    for (const [n, layout] of layouts.entries()) await pipe(bucket, partKey(id, n), writer, { offset: PARQUET_MAGIC.length, length: layout.footerStart - PARQUET_MAGIC.length });
    await writer.write(mergedTrailer(layouts));
  } else if (format === "arrow") {
    for (let n = 0; n < parts; n++) {
      // Each part is a whole stream: the first keeps its schema message, every part loses its end marker.
      const head = await bucket.get(partKey(id, n), { range: { offset: 0, length: 8 } });
      if (!head) throw new Error(`job part ${n} is missing`);
      const from = n === 0 ? 0 : arrowSchemaBytes(new Uint8Array(await head.arrayBuffer()));
      await pipe(bucket, partKey(id, n), writer, { offset: from, length: head.size - ARROW_EOS.length - from });
    }
    await writer.write(ARROW_EOS);
  } else {
    for (let n = 0; n < parts; n++) await pipe(bucket, partKey(id, n), writer);
  }
  await writer.close();
  return { key, bytes: writer.total };
}
