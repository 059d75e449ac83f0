import { describe, expect, it } from "vitest";
import { fromBase64Url, toBase64Url } from "../../src/crypto/base64url";
import { decodeBase64 } from "../../src/crypto/keyring";

/** The hand-written encoder the runtime's toBase64 replaced: sealed values must read the same. */
function btoaBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

describe("base64url of sealed values", () => {
  it("has the runtime's Uint8Array base64 methods at our compatibility date", () => {
    expect(typeof Uint8Array.prototype.toBase64).toBe("function");
    expect(typeof Uint8Array.fromBase64).toBe("function");
  });

  it("encodes exactly as btoa did and decodes back, for every length remainder", () => {
    for (const length of [0, 1, 2, 3, 4, 5, 31, 32, 33, 3071, 3072, 3073, 20_000]) {
      const bytes = crypto.getRandomValues(new Uint8Array(length));
      const text = toBase64Url(bytes);
      expect(text).toBe(btoaBase64Url(bytes));
      expect(fromBase64Url(text)).toEqual(bytes);
      expect(decodeBase64(text)).toEqual(bytes);
    }
  });

  it("refuses text outside the alphabet or of an impossible length", () => {
    expect(fromBase64Url("ab+c")).toBeNull();
    expect(fromBase64Url("abc=")).toBeNull();
    expect(fromBase64Url("ab c")).toBeNull();
    expect(fromBase64Url("abcde")).toBeNull();
    expect(fromBase64Url("é")).toBeNull();
  });
});

describe("base64 of master keys", () => {
  it("reads standard and URL-safe base64, padded or not, and refuses the malformed", () => {
    const bytes = Uint8Array.from([0xfb, 0xff, 0xbf, 0x00, 0x01]);
    for (const text of ["+/+/AAE=", "+/+/AAE", "-_-_AAE=", "-_-_AAE"]) expect(decodeBase64(text)).toEqual(bytes);
    for (const text of ["+/+/A", "+/+/AAE==x", "+/+/ AAE=", "é"]) expect(decodeBase64(text)).toBeNull();
  });
});
