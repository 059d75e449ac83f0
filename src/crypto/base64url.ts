/**
 * Table-driven base64url (no padding) for sealed values. Record bodies are
 * up to 350 KB, and the generic helpers (atob plus a per-character callback,
 * string building byte by byte) cost milliseconds per record; these loops
 * cost tens of microseconds.
 */
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;
/** Two characters per 12 bits, so encoding takes one lookup per 1.5 bytes. */
const PAIRS: string[] = [];
for (let i = 0; i < 4096; i++) PAIRS.push(ALPHABET[i >> 6]! + ALPHABET[i & 63]!);

/** Chunks joined at the end: one string per 3 KB keeps concatenation cheap. */
const CHUNK_BYTES = 3 * 1024;

export function toBase64Url(bytes: Uint8Array): string {
  const parts: string[] = [];
  let out = "";
  const whole = bytes.length - (bytes.length % 3);
  for (let i = 0; i < whole; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += PAIRS[n >> 12]! + PAIRS[n & 4095]!;
    if (out.length >= CHUNK_BYTES) {
      parts.push(out);
      out = "";
    }
  }
  const rest = bytes.length - whole;
  if (rest === 1) {
    const n = bytes[whole]! << 4;
    out += PAIRS[n]!;
  } else if (rest === 2) {
    const n = (bytes[whole]! << 10) | (bytes[whole + 1]! << 2);
    out += PAIRS[n >> 6]! + ALPHABET[n & 63]!;
  }
  parts.push(out);
  return parts.join("");
}

/** Decodes unpadded base64url; null when a character is outside the alphabet or the length is impossible. */
export function fromBase64Url(text: string): Uint8Array | null {
  const length = text.length;
  if (length % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((length * 3) / 4));
  let o = 0;
  let i = 0;
  const at = (k: number) => {
    const c = text.charCodeAt(k);
    return c < 128 ? DECODE[c]! : -1;
  };
  for (; i + 4 <= length; i += 4) {
    const a = at(i), b = at(i + 1), c = at(i + 2), d = at(i + 3);
    if ((a | b | c | d) < 0) return null;
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = n >> 16;
    out[o++] = (n >> 8) & 255;
    out[o++] = n & 255;
  }
  const rest = length - i;
  if (rest >= 2) {
    const a = at(i), b = at(i + 1), c = rest === 3 ? at(i + 2) : 0;
    if ((a | b | c) < 0) return null;
    out[o++] = (a << 2) | (b >> 4);
    if (rest === 3) out[o++] = ((b & 15) << 4) | (c >> 2);
  }
  return out;
}
