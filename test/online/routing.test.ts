import { describe, expect, it } from "vitest";
import { fnv1a32, shardIndexOf, shardName } from "../../src/online/routing";

/**
 * Independent FNV-1a 32-bit reference over explicit bytes, in BigInt
 * arithmetic (no Math.imul, no TextEncoder), to check the production hash.
 */
function referenceFnv1a32(bytes: readonly number[]): number {
  let hash = 0x811c9dc5n;
  for (const byte of bytes) hash = ((hash ^ BigInt(byte)) * 0x01000193n) & 0xffffffffn;
  return Number(hash);
}

describe("fnv1a32", () => {
  it.each([
    ["", 0x811c9dc5],
    ["a", 0xe40c292c],
    ["b", 0xe70c2de5],
    ["c", 0xe60c2c52],
    ["foo", 0xa9f37ed7],
    ["foob", 0x3f5076ef],
    ["fooba", 0x39aaa18a],
    ["foobar", 0xbf9cf968],
  ])("matches the published FNV-1a 32-bit test vector for %j", (text, expected) => {
    expect(fnv1a32(text)).toBe(expected);
  });

  it("agrees with an independent reference on ASCII identifiers", () => {
    for (const id of ["customer-42", "9223372036854775807", "-1", "A".repeat(300)]) {
      expect(fnv1a32(id)).toBe(referenceFnv1a32([...id].map((c) => c.charCodeAt(0))));
    }
  });

  it.each([
    ["é (U+00E9)", "é", [0xc3, 0xa9]],
    ["e + combining acute", "e\u0301", [0x65, 0xcc, 0x81]],
    ["日本", "日本", [0xe6, 0x97, 0xa5, 0xe6, 0x9c, 0xac]],
    ["😀 (astral)", "😀", [0xf0, 0x9f, 0x98, 0x80]],
    ["ü in an ASCII id", "user-ü", [0x75, 0x73, 0x65, 0x72, 0x2d, 0xc3, 0xbc]],
  ] as const)("hashes the UTF-8 bytes of the unicode identifier %s", (_label, text, bytes) => {
    expect(fnv1a32(text)).toBe(referenceFnv1a32(bytes));
  });

  it("does not hash UTF-16 code units or Latin-1 bytes", () => {
    // "é" as the single byte 0xE9 (UTF-16 unit / Latin-1) must not be what is hashed.
    expect(fnv1a32("é")).not.toBe(referenceFnv1a32([0xe9]));
    // Nor the UTF-16LE bytes of the surrogate pair of 😀 (D83D DE00).
    expect(fnv1a32("😀")).not.toBe(referenceFnv1a32([0x3d, 0xd8, 0x00, 0xde]));
  });

  it("does not normalise: precomposed and decomposed é route independently", () => {
    expect(fnv1a32("é")).not.toBe(fnv1a32("e\u0301"));
  });

  it("returns an unsigned 32-bit integer even when the top bit is set", () => {
    // 0xe40c292c has its top bit set; a signed result would be negative.
    expect(fnv1a32("a")).toBeGreaterThan(2 ** 31);
    for (let i = 0; i < 2000; i++) {
      const h = fnv1a32(`id-${i}`);
      expect(Number.isInteger(h)).toBe(true);
      expect(h).toBeGreaterThanOrEqual(0);
      expect(h).toBeLessThanOrEqual(0xffffffff);
    }
  });

  it.each([
    ["user-1", 0xf5537974, 4],
    ["ユーザー/1", 0xb2158fb6, 6],
  ])("matches the vector docs/storage-layout.md publishes for %j", (id, hash, shard) => {
    expect(fnv1a32(id)).toBe(hash);
    expect(shardIndexOf(id, 16)).toBe(shard);
  });
});

describe("shardIndexOf", () => {
  it("routes by the hash modulo the shard count, as stored records depend on", () => {
    // Low nibbles of the test vectors: 0x...c5, 0x...2c, 0x...68.
    expect(shardIndexOf("", 16)).toBe(5);
    expect(shardIndexOf("a", 16)).toBe(12);
    expect(shardIndexOf("foobar", 16)).toBe(8);
    // 0xe40c292c = 3,826,002,220.
    expect(shardIndexOf("a", 1000)).toBe(220);
    expect(shardIndexOf("a", 1)).toBe(0);
  });

  it("puts every identifier on shard 0 when there is one shard", () => {
    for (const id of ["", "a", "😀", "9223372036854775807"]) expect(shardIndexOf(id, 1)).toBe(0);
  });

  it.each([1, 2, 3, 7, 16, 100, 256])("always returns an integer shard in [0, %i)", (shardCount) => {
    for (let i = 0; i < 3000; i++) {
      const index = shardIndexOf(`${i}-é-${i * 7919}`, shardCount);
      expect(Number.isInteger(index)).toBe(true);
      expect(index).toBeGreaterThanOrEqual(0);
      expect(index).toBeLessThan(shardCount);
    }
  });

  it("uses every one of 256 shards (the maximum) for 20,000 identifiers", () => {
    const used = new Set<number>();
    for (let i = 0; i < 20_000; i++) used.add(shardIndexOf(`user-${i}`, 256));
    expect(used.size).toBe(256);
  });

  it.each([
    ["0 to 9999", (i: number) => String(i)],
    ["user-0 to user-9999", (i: number) => `user-${i}`],
    ["zero-padded 00000000 to 00009999", (i: number) => String(i).padStart(8, "0")],
  ] as [string, (i: number) => string][])("spreads 10,000 sequential ids (%s) over 16 shards within ±20% of the mean", (_label, idOf) => {
    const counts = new Array<number>(16).fill(0);
    for (let i = 0; i < 10_000; i++) counts[shardIndexOf(idOf(i), 16)]! += 1;
    const mean = 10_000 / 16;
    for (const count of counts) {
      expect(count).toBeGreaterThanOrEqual(mean * 0.8);
      expect(count).toBeLessThanOrEqual(mean * 1.2);
    }
    expect(counts.reduce((a, b) => a + b, 0)).toBe(10_000);
  });
});

describe("shardName", () => {
  it("names a shard by generation and index", () => {
    expect(shardName("3f2c0b9e-1111-4222-8333-944455556666", 7)).toBe("3f2c0b9e-1111-4222-8333-944455556666:7");
  });

  it("gives different shards of one generation different names", () => {
    const names = new Set(Array.from({ length: 16 }, (_, i) => shardName("g", i)));
    expect(names.size).toBe(16);
  });
});
