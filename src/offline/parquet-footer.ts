import { tableFromIPC, type Schema } from "apache-arrow";
import { readSchema } from "parquet-wasm/esm";
import { ensureParquetWasm } from "./parquet";
import { fileMetadataNumRows } from "./thrift-rows";

/**
 * Reads what a Parquet object declares (its Arrow schema and row count) from
 * the footer alone: one ranged R2 read of the object's tail, a second only
 * when the footer is larger than the first guess. The data pages are never
 * fetched, so checking a 1 GB file costs about as much as a 1 KB one.
 */
export interface ParquetFooter {
  schema: Schema;
  numRows: number;
}

/** Most footers of offline files are a few KB; one read usually suffices. */
const FIRST_TAIL_BYTES = 64 * 1024;
/** A footer larger than this is not one of ours (and would strain isolate memory). */
export const MAX_FOOTER_BYTES = 8 * 1024 * 1024;
const MAGIC = "PAR1";
const TRAILER_BYTES = 8;

export type FooterProblem = "not_parquet" | "footer_too_large" | "unreadable_footer";

async function readTail(bucket: R2Bucket, key: string, size: number, length: number): Promise<Uint8Array | null> {
  const object = await bucket.get(key, { range: { offset: size - length, length } });
  return object ? new Uint8Array(await object.arrayBuffer()) : null;
}

/** The footer of the object at `key` whose size is `size`; null when the object vanished meanwhile. */
export async function readParquetFooter(bucket: R2Bucket, key: string, size: number): Promise<ParquetFooter | FooterProblem | null> {
  if (size < 12) return "not_parquet";
  let tail = await readTail(bucket, key, size, Math.min(size, FIRST_TAIL_BYTES));
  if (!tail) return null;
  if (new TextDecoder().decode(tail.subarray(tail.byteLength - 4)) !== MAGIC) return "not_parquet";
  const footerLength = new DataView(tail.buffer, tail.byteOffset, tail.byteLength).getUint32(tail.byteLength - TRAILER_BYTES, true);
  if (footerLength > MAX_FOOTER_BYTES) return "footer_too_large";
  if (footerLength + TRAILER_BYTES + 4 > size) return "not_parquet";
  if (footerLength + TRAILER_BYTES > tail.byteLength) {
    tail = await readTail(bucket, key, size, footerLength + TRAILER_BYTES);
    if (!tail) return null;
  }
  const footer = tail.subarray(tail.byteLength - footerLength - TRAILER_BYTES);
  try {
    ensureParquetWasm();
    const schema = tableFromIPC(readSchema(footer).intoIPCStream()).schema;
    return { schema, numRows: fileMetadataNumRows(footer.subarray(0, footerLength)) };
  } catch {
    return "unreadable_footer";
  }
}
