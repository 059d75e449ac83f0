/**
 * The parsing half of SigV4 verification: the Authorization header, the
 * x-amz-date stamp and the query string, turned into the inputs that
 * @smithy/signature-v4 (the SDK's own signer) expects. The canonical form
 * itself is left to that library so it stays byte-for-byte what SDKs sign.
 */

/** The parts of `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`. */
export interface SigV4Authorization {
  accessKeyId: string;
  /** The credential scope's date, YYYYMMDD. */
  scopeDate: string;
  region: string;
  service: string;
  /** Lower-case header names, in the order the client listed them. */
  signedHeaders: string[];
  /** Lower-case hex, 64 characters. */
  signature: string;
}

export const SIGV4_ALGORITHM = "AWS4-HMAC-SHA256";

// RFC 7230 token characters; SDKs send header names in lower case.
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;
const SIGNATURE = /^[0-9a-f]{64}$/;
// Region and service names are lower-case DNS-ish labels in every AWS partition.
const SCOPE_LABEL = /^[a-z0-9-]+$/;

/** Parses the header, or returns null when it is not a well-formed SigV4 header. */
export function parseAuthorization(header: string): SigV4Authorization | null {
  const trimmed = header.trim();
  if (!trimmed.startsWith(`${SIGV4_ALGORITHM} `)) return null;
  const fields = new Map<string, string>();
  // botocore and smithy both write ", " between fields; accept any spacing and order.
  for (const part of trimmed.slice(SIGV4_ALGORITHM.length).split(",")) {
    const eq = part.indexOf("=");
    if (eq < 0) return null;
    const key = part.slice(0, eq).trim();
    if (fields.has(key)) return null;
    fields.set(key, part.slice(eq + 1).trim());
  }
  const credential = fields.get("Credential");
  const signedHeaders = fields.get("SignedHeaders");
  const signature = fields.get("Signature");
  if (fields.size !== 3 || !credential || !signedHeaders || !signature) return null;

  const scope = credential.split("/");
  if (scope.length !== 5) return null;
  const [accessKeyId, scopeDate, region, service, terminator] = scope as [string, string, string, string, string];
  if (!accessKeyId || !/^\d{8}$/.test(scopeDate) || terminator !== "aws4_request") return null;
  if (!SCOPE_LABEL.test(region) || !SCOPE_LABEL.test(service)) return null;

  const names = signedHeaders.split(";");
  if (!names.every((name) => HEADER_NAME.test(name)) || new Set(names).size !== names.length) return null;
  if (!SIGNATURE.test(signature)) return null;
  return { accessKeyId, scopeDate, region, service, signedHeaders: names, signature };
}

/**
 * Parses the ISO 8601 basic form SDKs send (`20260301T120000Z`). Strict,
 * because the signer re-formats the date and any other spelling would
 * silently change the string to sign.
 */
export function parseAmzDate(value: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const date = new Date(ms);
  // Date.UTC rolls 20260231 over to March; reject instead of signing a different day.
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return null;
  return date;
}

/**
 * Decodes a raw query string (without "?") into the shape the signer takes.
 * Decoding here and letting the signer RFC 3986-encode again makes the
 * canonical query independent of how the client or the runtime spelled the
 * escapes. `+` stays a plus: SDKs encode spaces as %20, and SigV4 does not
 * use form encoding. Returns null for malformed percent-escapes.
 */
export function parseQuery(raw: string): Record<string, string | string[]> | null {
  const query: Record<string, string | string[]> = Object.create(null);
  if (raw === "") return query;
  for (const pair of raw.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    let key: string;
    let value: string;
    try {
      key = decodeURIComponent(eq < 0 ? pair : pair.slice(0, eq));
      value = eq < 0 ? "" : decodeURIComponent(pair.slice(eq + 1));
    } catch {
      return null;
    }
    const existing = query[key];
    if (existing === undefined) query[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else query[key] = [existing, value];
  }
  return query;
}

const utf8 = new TextEncoder();

/** What the signer hands a hash: key material or data. */
type SourceData = string | ArrayBuffer | ArrayBufferView;

function toBytes(data: SourceData): Uint8Array {
  if (typeof data === "string") return utf8.encode(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/**
 * SHA-256 / HMAC-SHA-256 for the signer, on WebCrypto: native in workerd and
 * much faster than a pure-JS hash on request bodies. WebCrypto has no
 * incremental API, so chunks are buffered; SigV4 inputs are small.
 */
export class WebCryptoSha256 {
  private chunks: Uint8Array[] = [];
  private readonly key: Promise<CryptoKey> | null;

  constructor(secret?: SourceData) {
    this.key = secret === undefined
      ? null
      : crypto.subtle.importKey("raw", toBytes(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  }

  update(chunk: Uint8Array): void {
    this.chunks.push(toBytes(chunk).slice());
  }

  async digest(): Promise<Uint8Array> {
    const data = new Uint8Array(this.chunks.reduce((n, c) => n + c.byteLength, 0));
    let offset = 0;
    for (const chunk of this.chunks) {
      data.set(chunk, offset);
      offset += chunk.byteLength;
    }
    const out = this.key
      ? await crypto.subtle.sign("HMAC", await this.key, data)
      : await crypto.subtle.digest("SHA-256", data);
    return new Uint8Array(out);
  }

  reset(): void {
    this.chunks = [];
  }
}

/** Lower-case hex SHA-256 of a request body, as x-amz-content-sha256 carries it. */
export async function sha256Hex(body: Uint8Array | string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", toBytes(body)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
