import { describe, expect, it } from "vitest";
import * as records from "../../src/records";

describe("published limits", () => {
  it("states each limit in its documented unit", () => {
    expect(records.MAX_RECORD_BYTES).toBe(350 * 1024);
    expect(records.MAX_RECORD_IDENTIFIER_BYTES).toBe(2 * 1024);
    expect(records.MAX_STRING_VALUE_CHARS).toBe(350 * 1024);
    expect(records.MAX_FEATURES_PER_GROUP).toBe(2500);
    expect(records.MAX_VECTOR_DIMENSION).toBe(8192);
    expect(records.DEFAULT_SHARD_COUNT).toBe(16);
    // docs/storage-layout.md: shard_count is 1-256 (catalog changes call every shard).
    expect(records.MAX_SHARD_COUNT).toBe(256);
  });

  it("leaves room in a put body for a maximal record after JSON escaping doubles it", () => {
    expect(records.MAX_PUT_BODY_BYTES).toBeGreaterThanOrEqual(2 * records.MAX_RECORD_BYTES);
  });

  it("keeps the default shard count within the maximum", () => {
    expect(records.DEFAULT_SHARD_COUNT).toBeGreaterThanOrEqual(1);
    expect(records.DEFAULT_SHARD_COUNT).toBeLessThanOrEqual(records.MAX_SHARD_COUNT);
  });
});

describe("feature and group names", () => {
  it.each(["a", "Z", "0", "customer_id", "event-time", "a_-_b", "a".repeat(64), "A1b2C3"])("accepts %j", (name) => {
    expect(records.NAME_PATTERN.test(name)).toBe(true);
  });

  it.each(["", "_a", "a_", "-a", "a-", "a.b", "a b", "naïve", "__proto__", "a".repeat(65), "a\n"])("refuses %j", (name) => {
    expect(records.NAME_PATTERN.test(name)).toBe(false);
  });

  it("refuses a 65-character name even when it has separators", () => {
    expect(records.NAME_PATTERN.test(`a${"_b".repeat(32)}`)).toBe(false);
    expect(records.NAME_PATTERN.test(`a${"_".repeat(1000)}b`)).toBe(false);
    expect(records.NAME_PATTERN.test(`a${"_b".repeat(31)}c`)).toBe(true);
  });

  it("reserves SageMaker's system column names", () => {
    expect([...records.RESERVED_FEATURE_NAMES].sort()).toEqual(["api_invocation_time", "is_deleted", "write_time"]);
  });

  it("offers exactly three scalar types and three collection types", () => {
    expect([...records.FEATURE_TYPES]).toEqual(["Integral", "Fractional", "String"]);
    expect([...records.COLLECTION_TYPES]).toEqual(["List", "Set", "Vector"]);
    expect([...records.TTL_UNITS]).toEqual(["Seconds", "Minutes", "Hours", "Days", "Weeks"]);
  });
});
