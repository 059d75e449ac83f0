/**
 * base64url without padding, the form of sealed values and their ids: the
 * runtime's Uint8Array base64 methods (native, so a 350 KB record body costs
 * microseconds), with the options spelled once.
 */

export function toBase64Url(bytes: Uint8Array): string {
  return bytes.toBase64({ alphabet: "base64url", omitPadding: true });
}

/** Only the alphabet's characters, no padding or whitespace (which fromBase64 would skip). */
const BASE64URL_TEXT = /^[A-Za-z0-9_-]*$/;

/** Decodes unpadded base64url; null when a character is outside the alphabet or the length is impossible. */
export function fromBase64Url(text: string): Uint8Array | null {
  if (!BASE64URL_TEXT.test(text)) return null;
  try {
    return Uint8Array.fromBase64(text, { alphabet: "base64url" });
  } catch {
    // A length of 4n + 1 characters cannot encode whole bytes.
    return null;
  }
}
