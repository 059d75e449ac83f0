// Uint8Array to and from base64 (TC39 "Uint8Array to/from base64", ES2026).
// workerd at our compatibility_date has them (test/crypto/base64url.test.ts
// calls them in workerd); TypeScript 5.9's lib does not declare them yet, so
// this declares the two we use, as the proposal specifies them. Remove it
// when the lib we target declares them (a duplicate member then fails tsc).

interface Uint8Array<TArrayBuffer extends ArrayBufferLike = ArrayBufferLike> {
  /** Base64 of the bytes; `omitPadding` drops the trailing `=`. */
  toBase64(options?: { alphabet?: "base64" | "base64url"; omitPadding?: boolean }): string;
}

interface Uint8ArrayConstructor {
  /**
   * The bytes of base64 text. Throws a SyntaxError on a character outside
   * the alphabet or an impossible length; `loose` (the default) accepts a
   * missing final padding.
   */
  fromBase64(
    text: string,
    options?: { alphabet?: "base64" | "base64url"; lastChunkHandling?: "loose" | "strict" | "stop-before-partial" },
  ): Uint8Array<ArrayBuffer>;
}
