import { decodeStruct, TType } from "./thrift-compact";

/**
 * num_rows of a Parquet FileMetaData (field 3, i64), from the Thrift compact
 * encoding of the footer. parquet-wasm reads the schema from footer bytes
 * alone but its metadata reader wants a whole file, so the row count is
 * taken from the decoded footer here.
 */
export function fileMetadataNumRows(metadata: Uint8Array): number {
  const numRows = decodeStruct(metadata).struct.get(3);
  if (!numRows || numRows.type !== TType.I64) throw new RangeError("FileMetaData has no num_rows");
  return Number(numRows.value as bigint);
}
