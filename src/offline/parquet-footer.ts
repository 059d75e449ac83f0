import { tableFromIPC, type Schema } from "apache-arrow";
import { readSchema } from "parquet-wasm/esm";
import { bucketSource, ObjectGone, ParquetFooterError, readFooter, type FooterProblem } from "../parquet";
import { ensureParquetWasm } from "./parquet";

/**
 * What a Parquet object declares (its Arrow schema and row count), from its
 * footer alone (src/parquet/footer.ts): registering a 1 GB file reads a few
 * KB of it.
 */
export interface ParquetFooter {
  schema: Schema;
  numRows: number;
}

/** The footer of the object at `key` whose size is `size`; null when the object vanished meanwhile. */
export async function readParquetFooter(bucket: R2Bucket, key: string, size: number): Promise<ParquetFooter | FooterProblem | null> {
  try {
    const { layout, trailer } = await readFooter(bucketSource(bucket, key, size));
    ensureParquetWasm();
    return { schema: tableFromIPC(readSchema(trailer).intoIPCStream()).schema, numRows: layout.numRows };
  } catch (error) {
    if (error instanceof ObjectGone) return null;
    return error instanceof ParquetFooterError ? error.problem : "unreadable_footer";
  }
}
