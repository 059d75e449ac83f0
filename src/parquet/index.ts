/**
 * The Parquet read path: ranged reads of a stored object, its footer
 * (layout and statistics), and row groups decoded one at a time.
 */
export { bucketSource, counted, memorySource, ObjectGone, type ByteSource } from "./byte-source";
export { FOOTER_GUESS_BYTES, FooterMemo, MAX_FOOTER_BYTES, ParquetFooterError, readFooter, type Footer, type FooterProblem } from "./footer";
export { compareBytes, doubleOf, int64Of, mergedTrailer, PARQUET_MAGIC, PhysicalType, rowGroupFile, type ColumnStats, type FooterLayout, type RowGroupLayout } from "./layout";
export { readRowGroup } from "./row-group";
