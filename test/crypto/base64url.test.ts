import { describe, expect, it } from "vitest";
import { fromBase64Url, toBase64Url } from "../../src/crypto/base64url";
import { encodeBase64Url } from "../../src/crypto/keyring";

describe("base64url of sealed values", () => {
  it("encodes exactly as the keyring's generic helper and decodes back, for every length remainder", () => {
    for (const length of [0, 1, 2, 3, 4, 5, 31, 32, 33, 3071, 3072, 3073, 20_000]) {
      const bytes = crypto.getRandomValues(new Uint8Array(length));
      const text = toBase64Url(bytes);
      expect(text).toBe(encodeBase64Url(bytes));
      expect(fromBase64Url(text)).toEqual(bytes);
    }
  });

  it("refuses text outside the alphabet or of an impossible length", () => {
    expect(fromBase64Url("ab+c")).toBeNull();
    expect(fromBase64Url("abc=")).toBeNull();
    expect(fromBase64Url("abcde")).toBeNull();
    expect(fromBase64Url("é")).toBeNull();
  });
});
