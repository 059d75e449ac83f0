// The point-in-time join reads text cells straight from Arrow buffers and
// finds repeated event times by their bytes. Whatever the mix of repeated
// and distinct texts (and whether the memo gives up on a column of distinct
// ones), every row must come back as its own text.
import { Utf8 } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { columnVector } from "../../src/offline/arrow-columns";
import { ColumnCells, TextMemo } from "../../src/query/arrow-cells";

const cellsOf = (texts: readonly (string | null)[]) => new ColumnCells(columnVector(new Utf8(), texts).data[0]!);

describe("ColumnCells and TextMemo", () => {
  it("answers every row with its own text, memoised when texts repeat and after giving up on distinct ones", () => {
    // Lengths 1-40 and non-ASCII, so the four-byte comparison meets every tail length.
    const repeated = Array.from({ length: 60 }, (_, k) => `${"é".repeat(k % 3)}2026-01-01T${String(k % 24).padStart(2, "0")}:00:00.${"9".repeat(k % 9)}Z`.slice(0, 1 + (k % 40)));
    const repeatedRows = Array.from({ length: 3000 }, (_, i) => repeated[(i * 7) % repeated.length]!);
    const distinctRows = Array.from({ length: 3000 }, (_, i) => `distinct-${i}`);
    const run = (rows: string[]) => {
      const cells = cellsOf(rows);
      const memo = new TextMemo<string>();
      let computed = 0;
      const answers = rows.map((_, i) => memo.valueOf(cells, i, (text) => (computed++, `parsed:${text}`)));
      expect(answers).toEqual(rows.map((t) => `parsed:${t}`));
      return computed;
    };
    // Repeats first: each distinct text is parsed once, then the distinct ones once each.
    expect(run([...repeatedRows, ...distinctRows])).toBe(new Set(repeated).size + 3000);
    // Distinct texts first: the memo gives up and parses every row, still right.
    expect(run([...distinctRows, ...repeatedRows])).toBe(6000);
  });

  it("tells equal from different neighbours and reads nulls as null", () => {
    const cells = cellsOf(["user-0001", "user-0001", "user-0002", null, "user-00010", "user-0001"]);
    expect([1, 2, 4, 5].map((i) => cells.sameText(i, i - 1))).toEqual([true, false, false, false]);
    expect(cells.isNull(3)).toBe(true);
    expect(cells.get(3)).toBeNull();
    expect(cells.get(4)).toBe("user-00010");
    expect(cells.textHash(0)).toBe(cells.textHash(5));
  });
});
