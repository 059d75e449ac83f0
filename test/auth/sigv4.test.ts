import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import { describe, expect, it } from "vitest";
import { isSigV4, SIGV4_CLOCK_SKEW, SIGV4_SIGNATURE_MISMATCH, verifySigV4, type SigV4Request } from "../../src/auth/sigv4";

// Requests are signed here exactly as the JS SDK v3 signs them: the SDK's
// serialisers percent-encode path labels and query values, and
// @smithy/signature-v4 (with a pure-JS SHA-256, independent of the
// verifier's WebCrypto one) adds x-amz-date, x-amz-content-sha256 and the
// Authorization header.

const NOW = Date.UTC(2026, 2, 1, 12, 0, 0);
const MINUTE = 60_000;
const KEY_ID = "AKIDJSSDK";
const SECRET = "js-sdk-secret/With+Chars";
const BOTO_KEY_ID = "AKIDBOTO";
const BOTO_SECRET = "boto-secret/With+Chars";
const HOST = "featurestore-runtime.sagemaker.eu-west-1.amazonaws.com";
const USERS_ARN = "arn:aws:sagemaker:us-east-1:123456789012:feature-group/users";
const ENCODED_ARN = "arn%3Aaws%3Asagemaker%3Aus-east-1%3A123456789012%3Afeature-group%2Fusers";

const secrets: Record<string, string> = { [KEY_ID]: SECRET, [BOTO_KEY_ID]: BOTO_SECRET };
const lookup = async (id: string) => secrets[id] ?? null;

/** The SDK's label/query encoding: encodeURIComponent plus !'()*. */
const sdkEscape = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

interface SignInput {
  method?: string;
  path?: string;
  query?: Record<string, string | string[]>;
  headers?: Record<string, string>;
  body?: string;
  region?: string;
  secret?: string;
  signingDate?: Date;
  uriEscapePath?: boolean;
  applyChecksum?: boolean;
}

async function sdkSigned(input: SignInput = {}): Promise<SigV4Request> {
  const { method = "GET", path = "/", query = {}, body = "", region = "eu-west-1" } = input;
  const signer = new SignatureV4({
    service: "sagemaker",
    region,
    credentials: { accessKeyId: KEY_ID, secretAccessKey: input.secret ?? SECRET },
    sha256: Sha256,
    uriEscapePath: input.uriEscapePath ?? true,
    applyChecksum: input.applyChecksum ?? true,
  });
  const headers = {
    host: HOST,
    "user-agent": "aws-sdk-js/3.0.0",
    "x-amz-user-agent": "aws-sdk-js/3.0.0",
    "amz-sdk-invocation-id": "5f0f1b9e-0000-4000-8000-000000000000",
    "amz-sdk-request": "attempt=1; max=3",
    ...(body ? { "content-type": "application/json", "content-length": String(new TextEncoder().encode(body).byteLength) } : {}),
    ...input.headers,
  };
  const signed = await signer.sign(
    { method, protocol: "https:", hostname: HOST, path, query, headers, body: body || undefined },
    { signingDate: input.signingDate ?? new Date(NOW) },
  );
  const qs = Object.entries(query)
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${sdkEscape(k)}=${sdkEscape(x)}`))
    .join("&");
  return { method, url: `https://${HOST}${path}${qs ? `?${qs}` : ""}`, headers: new Headers(signed.headers), body };
}

const getRecord = (region = "eu-west-1") =>
  sdkSigned({
    path: `/FeatureGroup/${sdkEscape(USERS_ARN)}`,
    query: { RecordIdentifierValueAsString: "ユーザー 1+é", FeatureName: ["a", "b"] },
    region,
  });
const putRecord = (extra: SignInput = {}) =>
  sdkSigned({ method: "PUT", path: "/FeatureGroup/users", body: JSON.stringify({ Record: [{ FeatureName: "id", ValueAsString: "u1" }] }), ...extra });
const describeFeatureGroup = () =>
  sdkSigned({
    method: "POST",
    body: JSON.stringify({ FeatureGroupName: "users" }),
    headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "SageMaker.DescribeFeatureGroup" },
  });

function withHeader(req: SigV4Request, name: string, value: string | null): SigV4Request {
  const headers = new Headers(req.headers);
  if (value === null) headers.delete(name);
  else headers.set(name, value);
  return { ...req, headers };
}

async function expectRejected(req: SigV4Request, detail: string | RegExp, now = NOW, secretLookup = lookup) {
  const result = await verifySigV4(req, secretLookup, now);
  expect(result).toEqual({ ok: false, failure: { reason: "signature_invalid", kind: expect.any(String), detail: expect.stringMatching(detail) } });
  if (!result.ok && result.failure.reason === "signature_invalid") {
    for (const secret of [SECRET, BOTO_SECRET]) expect(result.failure.detail).not.toContain(secret);
  }
}
const exactly = (detail: string) => new RegExp(`^${detail}$`);

describe("verifySigV4 with requests signed by the JS SDK signer", () => {
  it("encodes an ARN path label the way the feature store runtime client sends it", () => {
    expect(sdkEscape(USERS_ARN)).toBe(ENCODED_ARN);
  });

  it("accepts a GET with an encoded ARN path, repeated query parameters and unicode values", async () => {
    const req = await getRecord();
    expect(req.url).toContain(`/FeatureGroup/${ENCODED_ARN}?`);
    expect(req.url).toContain("FeatureName=a&FeatureName=b");
    expect(await verifySigV4(req, lookup, NOW)).toEqual({
      ok: true,
      value: { accessKeyId: KEY_ID, region: "eu-west-1", service: "sagemaker" },
    });
  });

  it("accepts a PUT with a JSON body and the x-amz-content-sha256 header the SDK adds", async () => {
    const req = await putRecord();
    expect(req.headers.get("x-amz-content-sha256")).toMatch(/^[0-9a-f]{64}$/);
    expect((await verifySigV4(req, lookup, NOW)).ok).toBe(true);
  });

  it("accepts a POST whose X-Amz-Target header is signed", async () => {
    const req = await describeFeatureGroup();
    expect(req.headers.get("authorization")).toContain("x-amz-target");
    expect((await verifySigV4(req, lookup, NOW)).ok).toBe(true);
  });

  it.each(["us-east-1", "eu-central-1", "ap-southeast-2", "us-gov-west-1"])("accepts a request scoped to %s and reports that region", async (region) => {
    const result = await verifySigV4(await getRecord(region), lookup, NOW);
    expect(result).toEqual({ ok: true, value: { accessKeyId: KEY_ID, region, service: "sagemaker" } });
  });

  it("accepts a request signed without x-amz-content-sha256, as boto3 sends them", async () => {
    const req = await putRecord({ applyChecksum: false });
    expect(req.headers.has("x-amz-content-sha256")).toBe(false);
    expect((await verifySigV4(req, lookup, NOW)).ok).toBe(true);
  });

  it("requires the percent-encoded path to be encoded once more in the canonical request", async () => {
    const singleEncoded = await sdkSigned({ path: `/FeatureGroup/${ENCODED_ARN}`, uriEscapePath: false });
    await expectRejected(singleEncoded, exactly(SIGV4_SIGNATURE_MISMATCH));
  });

  it("verifies the raw URL workerd gives a Request, which keeps the ARN's percent-encoding", async () => {
    const req = await getRecord();
    const incoming = new Request(req.url, { method: req.method, headers: req.headers });
    expect(incoming.url).toBe(req.url);
    expect(new URL(incoming.url).pathname).toBe(`/FeatureGroup/${ENCODED_ARN}`);
    expect((await verifySigV4({ ...req, url: incoming.url }, lookup, NOW)).ok).toBe(true);
  });
});

describe("verifySigV4 rejections", () => {
  it("rejects a request signed with the wrong secret", async () => {
    await expectRejected(await sdkSigned({ secret: "not-the-secret" }), exactly(SIGV4_SIGNATURE_MISMATCH));
  });

  it("rejects an unknown access key with the same detail as a wrong signature", async () => {
    await expectRejected(await getRecord(), exactly(SIGV4_SIGNATURE_MISMATCH), NOW, async () => null);
  });

  it.each<[string, (r: SigV4Request) => SigV4Request]>([
    ["body", (r) => ({ ...r, body: r.body.toString().replace("u1", "u2") })],
    ["path", (r) => ({ ...r, url: r.url.replace("/FeatureGroup/users", "/FeatureGroup/items") })],
    ["content-type header", (r) => withHeader(r, "content-type", "text/plain")],
  ])("rejects a PUT whose %s was changed after signing", async (_part, tamper) => {
    // Signed without x-amz-content-sha256 so that the signature alone has to catch a body change.
    await expectRejected(tamper(await putRecord({ applyChecksum: false })), exactly(SIGV4_SIGNATURE_MISMATCH));
  });

  it.each([
    ["a changed value", (url: string) => url.replace("FeatureName=b", "FeatureName=c")],
    ["an added parameter", (url: string) => `${url}&FeatureName=c`],
    ["a changed ARN", (url: string) => url.replace("users", "admins")],
  ])("rejects a GET whose query or path has %s", async (_what, tamper) => {
    const req = await getRecord();
    await expectRejected({ ...req, url: tamper(req.url) }, exactly(SIGV4_SIGNATURE_MISMATCH));
  });

  it("rejects a changed X-Amz-Target", async () => {
    await expectRejected(withHeader(await describeFeatureGroup(), "x-amz-target", "SageMaker.DeleteFeatureGroup"), exactly(SIGV4_SIGNATURE_MISMATCH));
  });

  it("rejects an x-amz-content-sha256 header that does not describe the body", async () => {
    const req = await putRecord();
    await expectRejected({ ...req, body: "{}" }, "the x-amz-content-sha256 header does not match the request body");
  });

  it("rejects a request more than 15 minutes before or after now, and accepts one just within", async () => {
    const req = await getRecord();
    await expectRejected(req, exactly(SIGV4_CLOCK_SKEW), NOW + 15 * MINUTE + 1000);
    await expectRejected(req, exactly(SIGV4_CLOCK_SKEW), NOW - 15 * MINUTE - 1000);
    expect((await verifySigV4(req, lookup, NOW + 14 * MINUTE)).ok).toBe(true);
    expect((await verifySigV4(req, lookup, NOW - 14 * MINUTE)).ok).toBe(true);
  });

  it("honours a narrower allowed clock skew", async () => {
    const result = await verifySigV4(await getRecord(), lookup, NOW + 6 * MINUTE, { maxSkewMs: 5 * MINUTE });
    expect(result).toEqual({ ok: false, failure: { reason: "signature_invalid", kind: "expired", detail: SIGV4_CLOCK_SKEW } });
  });

  it("rejects a request without x-amz-date", async () => {
    await expectRejected(withHeader(await getRecord(), "x-amz-date", null), "missing x-amz-date header");
  });

  it("rejects an x-amz-date that is not the basic ISO 8601 form or disagrees with the credential scope", async () => {
    await expectRejected(withHeader(await getRecord(), "x-amz-date", "2026-03-01T12:00:00Z"), "malformed x-amz-date");
    await expectRejected(withHeader(await getRecord(), "x-amz-date", "20260302T000100Z"), "credential scope date does not match");
  });

  it("rejects a credential scope for another service", async () => {
    const req = await getRecord();
    const auth = req.headers.get("authorization")!.replace("/sagemaker/", "/dynamodb/");
    await expectRejected(withHeader(req, "authorization", auth), "names service 'dynamodb'; expected 'sagemaker'");
  });

  it.each([
    ["an unsupported algorithm", "AWS4-HMAC-SHA512 Credential=AKIDJSSDK/20260301/eu-west-1/sagemaker/aws4_request, SignedHeaders=host, Signature=00"],
    ["a missing Signature", "AWS4-HMAC-SHA256 Credential=AKIDJSSDK/20260301/eu-west-1/sagemaker/aws4_request, SignedHeaders=host;x-amz-date"],
    ["a short credential scope", `AWS4-HMAC-SHA256 Credential=AKIDJSSDK/20260301/eu-west-1, SignedHeaders=host;x-amz-date, Signature=${"a".repeat(64)}`],
    ["a non-hex signature", `AWS4-HMAC-SHA256 Credential=AKIDJSSDK/20260301/eu-west-1/sagemaker/aws4_request, SignedHeaders=host;x-amz-date, Signature=${"z".repeat(64)}`],
    ["a repeated field", `AWS4-HMAC-SHA256 Credential=A/20260301/eu-west-1/sagemaker/aws4_request, Credential=B/20260301/eu-west-1/sagemaker/aws4_request, Signature=${"a".repeat(64)}`],
    ["a Bearer credential", "Bearer AKTESTROOT:test-root-secret"],
  ])("rejects an Authorization header with %s as malformed", async (_what, header) => {
    await expectRejected(withHeader(await getRecord(), "authorization", header), /^malformed Authorization header/);
  });

  it("rejects a request whose host header is not signed", async () => {
    const req = await getRecord();
    const auth = req.headers.get("authorization")!.replace(/SignedHeaders=[^,]*/, "SignedHeaders=x-amz-date;x-amz-user-agent");
    await expectRejected(withHeader(req, "authorization", auth), "the host header must be signed");
  });

  it("rejects an x-amz-* header that was added without being signed", async () => {
    await expectRejected(withHeader(await putRecord(), "x-amz-target", "SageMaker.DeleteFeatureGroup"), "header x-amz-target is sent but not signed");
  });

  it("rejects temporary credentials, which this service never issues", async () => {
    await expectRejected(await sdkSigned({ headers: { "x-amz-security-token": "token" } }), "x-amz-security-token");
  });
});

// Captured from botocore 1.43.11 (boto3's signer) with its clock fixed at
// 2026-03-01T12:00:00Z: GetRecord with an ARN, repeated FeatureNames and a
// unicode identifier; PutRecord; DescribeFeatureGroup over the JSON protocol.
const BOTO_SIGNED: [string, string, string, Record<string, string>, string][] = [
  ["GET", `https://fs.example.com/FeatureGroup/${ENCODED_ARN}?RecordIdentifierValueAsString=%E3%83%A6%E3%83%BC%E3%82%B6%E3%83%BC%201%2B%C3%A9&FeatureName=b&FeatureName=a`,
    "eu-west-1/sagemaker/aws4_request, SignedHeaders=host;x-amz-date, Signature=999fd50f43b96ae2f14277e2c25c8214cf62254d3197363db5b6feb42bb1ad5f", {}, ""],
  ["PUT", "https://fs.example.com/FeatureGroup/users",
    "eu-west-1/sagemaker/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=b53c01353421a064d4a490a036a304590e5db010a374d52b4432bb5f47f06980",
    { "content-type": "application/json" }, '{"Record": [{"FeatureName": "id", "ValueAsString": "u1"}]}'],
  ["POST", "https://fs.example.com/",
    "ap-southeast-2/sagemaker/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=3d89da4ef3c93b2a87a55bccbb598af387e4cf65f0c6154115ded679098fb019",
    { "content-type": "application/x-amz-json-1.1", "x-amz-target": "SageMaker.DescribeFeatureGroup" }, '{"FeatureGroupName": "users"}'],
];

describe("verifySigV4 with requests signed by boto3", () => {
  it.each(BOTO_SIGNED)("accepts a boto3-signed %s %s", async (method, url, scope, extra, body) => {
    const headers = new Headers({
      ...extra,
      host: "fs.example.com",
      "user-agent": "Botocore/1.43.11",
      "x-amz-date": "20260301T120000Z",
      authorization: `AWS4-HMAC-SHA256 Credential=${BOTO_KEY_ID}/20260301/${scope}`,
      "amz-sdk-request": "attempt=1",
    });
    const result = await verifySigV4({ method, url, headers, body }, lookup, NOW);
    expect(result).toEqual({ ok: true, value: { accessKeyId: BOTO_KEY_ID, region: scope.split("/")[0], service: "sagemaker" } });
    await expectRejected({ method, url, headers, body: `${body} ` }, exactly(SIGV4_SIGNATURE_MISMATCH));
  });
});

describe("isSigV4", () => {
  it("recognises an AWS4-HMAC-SHA256 Authorization header and nothing else", () => {
    expect(isSigV4(new Headers({ authorization: "AWS4-HMAC-SHA256 Credential=a/b/c/d/aws4_request" }))).toBe(true);
    expect(isSigV4(new Headers({ authorization: "Bearer AKTESTROOT:test-root-secret" }))).toBe(false);
    expect(isSigV4(new Headers())).toBe(false);
  });
});
