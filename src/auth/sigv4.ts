import { SignatureV4 } from "@smithy/signature-v4";
import { fail, ok, type Result, type SignatureFailureKind } from "../failure";
import { parseAmzDate, parseAuthorization, parseQuery, sha256Hex, SIGV4_ALGORITHM, WebCryptoSha256 } from "./sigv4-canonical";

/**
 * Verifies AWS Signature Version 4 (header form) the way AWS does for requests
 * signed by the SDKs (JS v3 / @smithy/signature-v4, boto3 / botocore). The
 * expected signature is computed by @smithy/signature-v4 itself over the
 * request as received, so the canonical request is the SDK's by construction.
 * Presigned (query-string) SigV4 is not supported: SDKs use it for S3, not
 * for the SageMaker APIs.
 */

/** An incoming request. `url` must be the raw request URL so the path keeps the client's percent-encoding. */
export interface SigV4Request {
  method: string;
  url: string;
  headers: Headers;
  body: Uint8Array | string;
}

/** Returns the secret for an access key id, or null when the key is unknown. */
export type SecretLookup = (accessKeyId: string) => Promise<string | null>;

/** Who signed a verified request, and for which scope. */
export interface SigV4Identity {
  accessKeyId: string;
  region: string;
  service: string;
}

export interface SigV4Options {
  /** Signing name the credential scope must carry; "sagemaker" for both the control plane and the feature store runtime. */
  service?: string;
  /** Largest allowed |now - x-amz-date|, in ms; AWS uses 15 minutes. */
  maxSkewMs?: number;
}

/**
 * Exact failure details the HTTP layer can match on to choose the SDK error
 * (both are InvalidSignatureException on the SageMaker JSON protocol; the
 * expired one lets SDKs correct their clock from the Date response header).
 * Every other SigV4 failure detail describes a malformed or incomplete request.
 */
export const SIGV4_SIGNATURE_MISMATCH = "the request signature does not match";
export const SIGV4_CLOCK_SKEW = "request time is outside the allowed clock skew";

const DEFAULT_SERVICE = "sagemaker";
const DEFAULT_MAX_SKEW_MS = 15 * 60 * 1000;
// Signing still runs for unknown keys so that "no such key" and "wrong
// signature" take the same path and return the same detail.
const UNKNOWN_KEY_SECRET = "unknown-access-key-placeholder";
const AUTHORIZATION_FORM =
  "expected 'AWS4-HMAC-SHA256 Credential=<accessKeyId>/<yyyymmdd>/<region>/<service>/aws4_request, SignedHeaders=<h1;h2>, Signature=<hex>'";

const utf8 = new TextEncoder();
const rejected = (kind: SignatureFailureKind, detail: string): Result<SigV4Identity> => fail({ reason: "signature_invalid", kind, detail });
const malformed = (detail: string) => rejected("malformed", detail);

/** True when the request carries a SigV4 Authorization header (as opposed to Bearer or none). */
export function isSigV4(headers: Headers): boolean {
  return headers.get("authorization")?.trimStart().startsWith(`${SIGV4_ALGORITHM} `) ?? false;
}

/**
 * Verifies a SigV4-signed request at time `now` (ms since the epoch).
 * Failures are `signature_invalid` with a kind; their details never contain a secret
 * and do not tell an unknown key from a wrong signature.
 */
export async function verifySigV4(
  req: SigV4Request,
  lookup: SecretLookup,
  now: number,
  opts: SigV4Options = {},
): Promise<Result<SigV4Identity>> {
  const service = opts.service ?? DEFAULT_SERVICE;
  const maxSkewMs = opts.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;

  const header = req.headers.get("authorization");
  if (header === null) return rejected("missing", `missing Authorization header; ${AUTHORIZATION_FORM}`);
  const auth = parseAuthorization(header);
  if (!auth) return malformed(`malformed Authorization header; ${AUTHORIZATION_FORM}`);
  if (auth.service !== service) return malformed(`the credential scope names service '${auth.service}'; expected '${service}'`);

  const amzDate = req.headers.get("x-amz-date");
  if (amzDate === null) return malformed("missing x-amz-date header");
  const signingDate = parseAmzDate(amzDate);
  if (!signingDate) return malformed("malformed x-amz-date header; expected YYYYMMDDTHHMMSSZ");
  if (amzDate.slice(0, 8) !== auth.scopeDate) return malformed("the credential scope date does not match x-amz-date");
  if (Math.abs(now - signingDate.getTime()) > maxSkewMs) return rejected("expired", SIGV4_CLOCK_SKEW);

  // Unsigned headers could be altered in transit, so host and every x-amz-*
  // header that affects how the request is read must be covered.
  const signed = new Set(auth.signedHeaders);
  if (!signed.has("host")) return malformed("the host header must be signed");
  for (const [name] of req.headers) {
    if (name.startsWith("x-amz-") && !signed.has(name)) return malformed(`header ${name} is sent but not signed`);
  }
  // Session tokens come with temporary (STS) credentials, which this service never issues.
  if (req.headers.has("x-amz-security-token")) return malformed("temporary credentials (x-amz-security-token) are not supported");

  const headers: Record<string, string> = {};
  for (const name of auth.signedHeaders) {
    const value = req.headers.get(name);
    if (value === null) return malformed(`signed header ${name} is missing from the request`);
    headers[name] = value;
  }
  // The signer takes a present x-amz-content-sha256 at its word, so check it
  // against the body here; without the header the signer hashes the body.
  const claimedHash = req.headers.get("x-amz-content-sha256");
  if (claimedHash !== null && claimedHash !== (await sha256Hex(req.body))) {
    return rejected("mismatch", "the x-amz-content-sha256 header does not match the request body");
  }

  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    return malformed("malformed request URL");
  }
  const query = parseQuery(url.search.slice(1));
  if (!query) return malformed("malformed percent-encoding in the query string");

  const secret = await lookup(auth.accessKeyId);
  const signer = new SignatureV4({
    service,
    region: auth.region,
    credentials: { accessKeyId: auth.accessKeyId, secretAccessKey: secret ?? UNKNOWN_KEY_SECRET },
    sha256: WebCryptoSha256,
    // Non-S3 services: the already-encoded path is URI-encoded once more.
    uriEscapePath: true,
    // Never add an x-amz-content-sha256 header the client did not sign.
    applyChecksum: false,
  });
  const resigned = await signer.sign(
    // url.pathname is the path as sent (WHATWG URL parsing keeps %-escapes).
    { method: req.method, protocol: url.protocol, hostname: url.hostname, path: url.pathname, query, headers, body: req.body },
    { signingDate, signingRegion: auth.region, signingService: service, signableHeaders: signed },
  );
  const expected = parseAuthorization(resigned.headers["authorization"] ?? "");
  // The signer drops headers it never signs (e.g. user-agent, date); a list
  // that differs from the client's can never verify.
  const sameHeaders = expected !== null && expected.signedHeaders.join(";") === auth.signedHeaders.join(";");
  const sameSignature =
    expected !== null && crypto.subtle.timingSafeEqual(utf8.encode(expected.signature), utf8.encode(auth.signature));
  if (secret === null || !sameHeaders || !sameSignature) return rejected("mismatch", SIGV4_SIGNATURE_MISMATCH);
  return ok({ accessKeyId: auth.accessKeyId, region: auth.region, service });
}
