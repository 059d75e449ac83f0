import { invalid, ok, type Result } from "../failure";
import { sha256Hex } from "../offline/layout";

/**
 * The identity of a bulk request's offline rows, so a client retry never
 * writes them twice. With an `Idempotency-Key` header the key is the
 * identity (the client promises a retry carries the same rows); without one
 * it is the content: the canonical rows in input order, so resending the
 * same body is recognised while any other body is new.
 */
export const IDEMPOTENCY_KEY_HEADER = "idempotency-key";
export const MAX_IDEMPOTENCY_KEY_CHARS = 255;
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;

/** Parses the optional header value; undefined when absent. */
export function parseIdempotencyKey(raw: string | null | undefined): Result<string | undefined> {
  if (raw === null || raw === undefined) return ok(undefined);
  if (raw.length === 0 || raw.length > MAX_IDEMPOTENCY_KEY_CHARS || !PRINTABLE_ASCII.test(raw)) {
    return invalid("Idempotency-Key", `must be 1-${MAX_IDEMPOTENCY_KEY_CHARS} printable ASCII characters without spaces`);
  }
  return ok(raw);
}

const utf8 = new TextEncoder();
const hex = (bytes: ArrayBuffer) => Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");

/**
 * The 32-hex-digit digest naming a request's offline batches, fed the valid
 * rows' canonical bodies chunk by chunk as the body is read: the content is
 * hashed as it streams (crypto.DigestStream), never held whole. The digest
 * is SHA-256 of "content\n" and the bodies joined by "\n" (or of "key\n"
 * and the Idempotency-Key).
 */
export class OfflineIdentity {
  readonly #key: string | undefined;
  readonly #stream: DigestStream | undefined;
  readonly #writer: WritableStreamDefaultWriter<ArrayBuffer | ArrayBufferView> | undefined;
  #empty = true;

  constructor(key: string | undefined) {
    this.#key = key;
    if (key !== undefined) return;
    this.#stream = new crypto.DigestStream("SHA-256");
    this.#writer = this.#stream.getWriter();
  }

  /**
   * Adds the canonical bodies of the next valid rows, in input order, as
   * UTF-8 already joined by "\n" (service/chunk-bodies.ts): hashed as they
   * are, never copied into a string.
   */
  async add(joined: Uint8Array): Promise<void> {
    if (!this.#writer || joined.byteLength === 0) return;
    await this.#writer.write(utf8.encode(this.#empty ? "content\n" : "\n"));
    this.#empty = false;
    await this.#writer.write(joined);
  }

  async digest(): Promise<string> {
    if (this.#key !== undefined) return (await sha256Hex(`key\n${this.#key}`)).slice(0, 32);
    if (this.#empty) await this.#writer!.write(utf8.encode("content\n"));
    await this.#writer!.close();
    return hex(await this.#stream!.digest).slice(0, 32);
  }
}
