import { describe, expect, it } from "vitest";
import { histogramOf } from "../../src/query/sample-histogram";

describe("histograms of a sample", () => {
  it("bins values into equal-width bins from min to max, the last bin including max", () => {
    expect(histogramOf("x", [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 5)).toEqual({ feature: "x", min: 0, max: 10, counts: [2, 2, 2, 2, 3], values: 11 });
  });

  it("puts equal values in one bin and leaves out what is not a finite number", () => {
    expect(histogramOf("x", [3, 3, Number.NaN, Infinity, 3], 12)).toEqual({ feature: "x", min: 3, max: 3, counts: [3], values: 3 });
    expect(histogramOf("x", [Number.NaN], 12)).toBeNull();
  });
});
