import { describe, expect, it } from "vitest";
import { compareSides, differingFeatures, type OfflineSide, type OnlineSide } from "../../src/parity";
import { LatestPage, type RecordVersion } from "../../src/query/versions";
import { compareIdentifiers } from "../../src/records";

const live = (record: OnlineSide["record"], extra: Partial<OnlineSide> = {}): OnlineSide => ({ state: "live", record, outboxPending: false, ...extra });
const offline = (record: OfflineSide["record"], isDeleted = false): OfflineSide => ({ isDeleted, record, writeSequence: 1, writeTime: "2026-01-01T00:00:00.000Z" });

describe("comparing one identifier's two sides", () => {
  it("matches equal values feature by feature, collections element by element", () => {
    expect(compareSides(live({ id: "a", v: [1, 2], n: "9223372036854775807" }), offline({ n: "9223372036854775807", v: [1, 2], id: "a" }))).toEqual({ verdict: "matching" });
    expect(differingFeatures({ a: 1, b: [1, 2], c: "x" }, { a: 1, b: [2, 1], d: "y" })).toEqual(["b", "c", "d"]);
  });

  it("counts two sides that agree a record is gone as matching, whichever way it went", () => {
    for (const state of ["deleted", "expired", "absent"] as const) {
      expect(compareSides({ state, outboxPending: false }, offline({ id: "a" }, true)).verdict).toBe("matching");
      expect(compareSides({ state, outboxPending: false }, undefined).verdict).toBe("matching");
    }
    expect(compareSides(undefined, offline({ id: "a" }, true)).verdict).toBe("matching");
  });

  it("names the side that still serves a record", () => {
    expect(compareSides(live({ id: "a" }), offline({ id: "a" }, true)).verdict).toBe("onlineOnly");
    expect(compareSides(live({ id: "a" }), undefined).verdict).toBe("onlineOnly");
    expect(compareSides({ state: "deleted", outboxPending: false }, offline({ id: "a" })).verdict).toBe("offlineOnly");
  });

  it("reports a difference as pending while the shard owes the offline store rows for it", () => {
    expect(compareSides(live({ id: "a", v: 2 }, { outboxPending: true }), offline({ id: "a", v: 1 }))).toEqual({ verdict: "pending", pendingReason: "outbox" });
    expect(compareSides({ state: "expired", record: { id: "a" }, outboxPending: false }, offline({ id: "a" }))).toEqual({ verdict: "pending", pendingReason: "expiry" });
    // Owing rows does not hide agreement.
    expect(compareSides(live({ id: "a" }, { outboxPending: true }), offline({ id: "a" })).verdict).toBe("matching");
  });
});

describe("identifier order", () => {
  it("is the byte order of UTF-8, where JavaScript's < is not", () => {
    const ids = ["b", "a", "ab", "\uE000", "😀", "\uFFFD", "ä", "10", "9", ""];
    const utf8 = new TextEncoder();
    const byBytes = [...ids].sort((x, y) => Buffer.compare(utf8.encode(x), utf8.encode(y)));
    expect([...ids].sort(compareIdentifiers)).toEqual(byBytes);
    expect("😀" < "\uE000").toBe(true);
    expect(compareIdentifiers("😀", "\uE000")).toBeGreaterThan(0);
  });
});

describe("a page of latest versions", () => {
  const version = (recordIdentifier: string, writeSequence: number, isDeleted = false): RecordVersion => ({
    recordIdentifier,
    eventKey: "000000000001000000000",
    writeTimeMs: 0,
    apiInvocationTimeMs: 0,
    writeSequence,
    availableTimeMs: 0,
    isDeleted,
    values: { v: writeSequence },
  });

  it("keeps the winner of each of the smallest identifiers, holding at most twice its capacity", () => {
    const page = new LatestPage(3);
    const ids = ["h", "c", "g", "a", "f", "b", "e", "d"];
    for (const [i, id] of ids.entries()) page.offer(version(id, i));
    page.offer(version("a", 100, true));
    page.offer(version("b", 0));
    const { versions, coveredThrough } = page.result();
    expect(versions.map((v) => [v.recordIdentifier, v.writeSequence, v.isDeleted])).toEqual([
      ["a", 100, true],
      ["b", 5, false],
      ["c", 1, false],
    ]);
    expect(coveredThrough).toBe("c");
    expect(page.admits("d")).toBe(false);
  });

  it("says nothing about coverage when every identifier fits", () => {
    const page = new LatestPage(5);
    for (const id of ["b", "a"]) page.offer(version(id, 1));
    expect(page.result()).toEqual({ versions: [version("a", 1), version("b", 1)] });
  });
});
