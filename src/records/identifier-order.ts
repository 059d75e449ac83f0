/**
 * The order of record identifiers wherever pages of identifiers from
 * different stores must line up: Unicode code-point order, which is the
 * byte order of their UTF-8 (SQLite's BINARY collation in the record
 * shards, Parquet's statistics in the offline store). JavaScript's `<`
 * compares UTF-16 code units instead, and disagrees for characters above
 * U+FFFF against U+E000–U+FFFF. Pure.
 */
export function compareIdentifiers(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate starts a code point above U+FFFF: it sorts after every unit that is not one.
    const xSurrogate = x >= 0xd800 && x <= 0xdfff;
    const ySurrogate = y >= 0xd800 && y <= 0xdfff;
    if (xSurrogate !== ySurrogate) return xSurrogate ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}
