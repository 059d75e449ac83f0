import type { Table } from "apache-arrow";
import { decodeParquet } from "../offline/parquet";
import type { ByteSource } from "./byte-source";
import { rowGroupFile, type FooterLayout, type RowGroupLayout } from "./layout";

/** One row group of a file, fetched with one ranged read and decoded on its own. */
export async function readRowGroup(source: ByteSource, layout: FooterLayout, group: RowGroupLayout): Promise<Table> {
  const data = await source.read(group.start, group.end - group.start);
  return decodeParquet(rowGroupFile(layout, group, data));
}
