import { fail, invalid, ok, type Result } from "../failure";
import { DEFAULT_JSON_LIMITS, parseJson, type JsonLimits } from "../formats";

/**
 * Reads a request body as JSON without ever holding more than maxBytes:
 * Content-Length is checked first, then the stream is counted as it arrives,
 * and the text is parsed under the shape limits of ./json.ts.
 */
export async function readJsonBody(request: Request, maxBytes: number, limits: JsonLimits = DEFAULT_JSON_LIMITS): Promise<Result<unknown>> {
  const text = await readTextBody(request, maxBytes);
  if (!text.ok) return text;
  return parseJson(text.value, "body", limits);
}

/**
 * Whether the declared Content-Length already exceeds maxBytes. A missing or
 * unparsable header proves nothing (chunked bodies have none), so the
 * stream is counted as well; a header that lies low is caught there.
 */
export function declaresMoreThan(request: Request, maxBytes: number): boolean {
  const declared = request.headers.get("content-length");
  return declared !== null && /^\s*\d+\s*$/.test(declared) && Number(declared) > maxBytes;
}

/** Reads the raw body bytes, refusing more than maxBytes. */
export async function readBodyBytes(request: Request, maxBytes: number): Promise<Result<Uint8Array>> {
  const tooLarge = fail<Uint8Array>({ reason: "payload_too_large", field: "body", limitBytes: maxBytes });
  if (declaresMoreThan(request, maxBytes)) return tooLarge;
  if (!request.body) return ok(new Uint8Array(0));
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      return tooLarge;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return ok(bytes);
}

export async function readTextBody(request: Request, maxBytes: number): Promise<Result<string>> {
  const bytes = await readBodyBytes(request, maxBytes);
  if (!bytes.ok) return bytes;
  try {
    return ok(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes.value));
  } catch {
    return invalid("body", "must be UTF-8 text");
  }
}

/** Narrows a parsed body to a JSON object. */
export function asObject(value: unknown, field: string): Result<Record<string, unknown>> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? ok(value as Record<string, unknown>)
    : invalid(field, "must be a JSON object");
}
