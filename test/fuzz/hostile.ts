import type { Prng } from "./prng";

/**
 * Hostile values: strings, JSON values, JSON texts and path segments that
 * break assumptions (encodings, lengths, types, nesting). Everything is
 * derived from the PRNG; large values are built once and shared.
 */

/** One UTF-16 code unit that is not a character on its own. */
const LONE_SURROGATES = ["\ud800", "\udfff", "a\udc00b", "\ud83d"];
const TRICKY_STRINGS = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\u202eevil\u202c", // right-to-left override
  "\u05e9\u05dc\u05d5\u05dd", // Hebrew (RTL)
  "e\u0301\u0301\u0301\u0301", // stacked combining marks
  "\u200b\u200d\ufeff", // zero-width characters and a BOM
  "\uffff\ufffe",
  "🙂👩‍👩‍👧",
  "Ａｄｍｉｎ", // full-width
  "..",
  "../..",
  "/",
  "%2e%2e%2f",
  "%252e%252e",
  "\\",
  "'; DROP TABLE feature_groups; --",
  '" OR 1=1 --',
  "`rm -rf`",
  "${jndi:ldap://x}",
  "<script>alert(1)</script>",
  "__proto__",
  "constructor",
  "prototype",
  "null",
  "true",
  "NaN",
  "-0",
  "1e309",
  "9223372036854775808",
  "-9223372036854775809",
  "0x10",
  "\r\n\r\nHTTP/1.1 200 OK",
  "\t\n\r\v\f",
  "2026-13-45T25:61:61Z",
  "2026-01-01T00:00:00+25:00",
  "0000-00-00T00:00:00Z",
  "99999-01-01T00:00:00Z",
];

let longStrings: string[] | undefined;
/** Built on first use: 70 KB, 400 K and 2.2 M characters (the last over every string limit). */
function long(): string[] {
  longStrings ??= ["x".repeat(70_000), "é".repeat(400_000), "\ud83d\ude42".repeat(1_100_000)];
  return longStrings;
}

export function hostileString(r: Prng): string {
  return r.oneOf([
    () => r.pick(TRICKY_STRINGS),
    () => r.pick(LONE_SURROGATES),
    () => r.pick(TRICKY_STRINGS) + r.pick(LONE_SURROGATES) + r.pick(TRICKY_STRINGS),
    () => "a".repeat(r.int(60, 3000)),
    // Megabyte values are rare: each costs real time on every layer, and a few suffice.
    () => (r.chance(0.01) ? r.pick(long()) : "b".repeat(r.int(1, 200))),
    () => Array.from({ length: r.int(1, 40) }, () => String.fromCharCode(r.int(0, 0xffff))).join(""),
  ]);
}

export function hostileNumber(r: Prng): number {
  return r.pick([0, -0, 1, -1, 0.5, 1e308, -1e308, 5e-324, 2 ** 53, 2 ** 53 + 2, -(2 ** 63), 2 ** 64, 3.14159, 1e21, 65_536, 2 ** 31]);
}

/** Any JSON value, with wrong types and edge values favoured over sensible ones. */
export function hostileValue(r: Prng, depth = 0): unknown {
  return r.oneOf([
    () => hostileString(r),
    () => hostileNumber(r),
    () => r.pick([true, false, null]),
    () => (depth > 3 ? [] : Array.from({ length: r.int(0, 4) }, () => hostileValue(r, depth + 1))),
    () => (depth > 3 ? {} : Object.fromEntries(Array.from({ length: r.int(0, 4) }, () => [hostileString(r).slice(0, 40), hostileValue(r, depth + 1)]))),
    () => nested(r.int(20, 60)),
  ]);
}

function nested(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = i % 2 ? [value] : { a: value };
  return value;
}

const BROKEN_TEXTS = [
    "",
    " ",
    "{",
    "}",
    '{"a":',
    '{"a" 1}',
    "{'a':1}",
    '{"a":1,}',
    "[1,2",
    "nul",
    "NaN",
    "Infinity",
    '{"a":01}',
    '{"a":"\\x41"}',
    '{"a":"\\ud800"}',
    '"\u0000"',
    "\ufeff{}",
    '{"__proto__":{"polluted":1}}',
    '{"a":1,"a":2}',
    "1".repeat(5000),
    "-",
    "tru",
];

let hugeTexts: string[] | undefined;
/** JSON texts over a shape limit (depth, items, string length), built once. */
function hugeBrokenTexts(): string[] {
  hugeTexts ??= [
    "[".repeat(100_000),
    "[".repeat(5_000) + "]".repeat(5_000),
    `[${"1,".repeat(150_000)}1]`,
    `{${Array.from({ length: 120_000 }, (_, i) => `"k${i}":0`).join(",")}}`,
    `"${"z".repeat(1_200_000)}"`,
  ];
  return hugeTexts;
}

export function brokenJson(r: Prng): string {
  return r.chance(0.15) ? r.pick(hugeBrokenTexts()) : r.pick(BROKEN_TEXTS);
}

/** A JSON object with hostile members: usually a wrong shape for any route. */
export function hostileObject(r: Prng): Record<string, unknown> {
  return Object.fromEntries(Array.from({ length: r.int(0, 5) }, () => [r.chance(0.5) ? hostileString(r).slice(0, 30) : r.pick(["name", "record", "Record", "features", "requests", "__proto__"]), hostileValue(r)]));
}

/** Percent-encodes any text, lone surrogates as the bytes of their (invalid) UTF-8, where encodeURIComponent throws. */
export function rawPercent(text: string): string {
  return Array.from(text, (ch) => {
    const code = ch.codePointAt(0)!;
    if (code >= 0xd800 && code <= 0xdfff) return `%${(0xe0 | (code >> 12)).toString(16)}%${(0x80 | ((code >> 6) & 0x3f)).toString(16)}%${(0x80 | (code & 0x3f)).toString(16)}`;
    return encodeURIComponent(ch);
  }).join("");
}

const PATH_TRICKS = [
  "..",
  "%2e%2e",
  "%2E%2E%2F%2E%2E",
  "a%2fb",
  "a%2Fb%2F..%2F..",
  "%252f",
  "%25",
  "%",
  "%zz",
  "%c0%ae%c0%ae", // overlong UTF-8 for ".."
  "%c0%af", // overlong "/"
  "%ed%a0%80", // an encoded lone surrogate
  "%00",
  "%ff%fe",
  ";a=b",
  "a?b",
  "%3F%23",
  "~",
  "*",
  "%20",
  "+",
  "%e2%80%ae", // RTL override
];

/** A path segment for a name or identifier: encoded tricks, raw text or a very long run. */
export function hostileSegment(r: Prng): string {
  return r.oneOf([
    () => r.pick(PATH_TRICKS),
    () => rawPercent(hostileString(r).slice(0, 200)),
    () => rawPercent(hostileString(r).slice(0, 300)).replace(/%2[eE]/g, "."),
    () => "n".repeat(r.int(65, 9000)),
    () => `${r.pick(PATH_TRICKS)}${r.pick(PATH_TRICKS)}`,
  ]);
}

/** Query-string text: repeated, empty, encoded and overlong parameters. */
export function hostileQueryValue(r: Prng): string {
  return r.oneOf([() => hostileSegment(r), () => rawPercent(hostileString(r).slice(0, 500)), () => "", () => String(hostileNumber(r))]);
}
