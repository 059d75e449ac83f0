// Hostile HTTP at the byte level, against the bundled worker on real
// loopback: what fetch() cannot send (lying Content-Length, raw bytes in
// paths, oversized headers) and SigV4 signatures that are replayed onto other
// requests or have expired. Never a 5xx; refusals in the documented shapes.
import { createConnection } from "node:net";
import { setImmediate } from "node:timers/promises";
import { SignatureV4 } from "@smithy/signature-v4";
import { Sha256 } from "@aws-crypto/sha256-js";
import { describe, expect, it } from "vitest";
import { ENDPOINT, SDK_ACCESS_KEY_ID, SDK_SECRET_ACCESS_KEY } from "./support";

const { hostname, port } = new URL(ENDPOINT);
const BEARER = `Bearer ${SDK_ACCESS_KEY_ID}:${SDK_SECRET_ACCESS_KEY}`;
const utf8 = new TextEncoder();

interface RawResponse {
  status: number;
  head: string;
  body: string;
}

/**
 * The server closed the connection while the request was still being sent
 * (the write failed with EPIPE or ECONNRESET) and no response had arrived.
 * Legitimate for a request refused before its end: a server answers and
 * closes without reading the rest, and the client may then never see the answer.
 */
interface CutOff {
  cutOff: string;
}

/** Bytes per write: small enough that the client reads between them, so it sees an early answer before writing into a closed connection. */
const WRITE_PIECE_BYTES = 64 * 1024;

/**
 * Sends bytes as they are and reads the first response (headers, then
 * Content-Length bytes or until close). The bytes go out a piece at a time
 * with a turn of the event loop between pieces, and stop as soon as the
 * server answers or closes: a server may refuse a request before it has all
 * of it. If the server closes first and a write fails, the answer may be
 * lost with the connection; that is a CutOff, not an error.
 */
function raw(parts: readonly (string | Uint8Array)[], keepOpen = false): Promise<RawResponse | CutOff> {
  return new Promise((resolve, reject) => {
    let received = new Uint8Array(0);
    let settled = false;
    let sending = true;
    const socket = createConnection({ host: hostname, port: Number(port) }, () => {
      void send().then(
        () => {
          sending = false;
          if (!keepOpen && !settled) socket.end();
        },
        (error: unknown) => settle(() => reject(error)),
      );
    });
    const settle = (done: () => void) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      done();
    };
    const send = async () => {
      for (const part of parts) {
        const bytes = typeof part === "string" ? utf8.encode(part) : part;
        for (let at = 0; at < bytes.length; at += WRITE_PIECE_BYTES) {
          if (settled || !socket.writable) return;
          await new Promise<void>((written) => socket.write(bytes.subarray(at, at + WRITE_PIECE_BYTES), () => written()));
          await setImmediate();
        }
      }
    };
    const finish = () => {
      const text = new TextDecoder().decode(received);
      const split = text.indexOf("\r\n\r\n");
      if (split < 0) return false;
      const head = text.slice(0, split);
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      const bodyBytes = utf8.encode(text.slice(split + 4));
      if (length && bodyBytes.length < Number(length[1])) return false;
      // Anything after the declared length is the next response (a pipelined leftover).
      const body = new TextDecoder().decode(length ? bodyBytes.subarray(0, Number(length[1])) : bodyBytes);
      settle(() => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), head, body }));
      return true;
    };
    socket.on("data", (data) => {
      // Bytes: the socket has no encoding set, so it never hands over strings.
      const chunk = typeof data === "string" ? utf8.encode(data) : data;
      const next = new Uint8Array(received.length + chunk.length);
      next.set(received);
      next.set(chunk, received.length);
      received = next;
      finish();
    });
    socket.on("end", () => {
      if (!finish()) settle(() => reject(new Error(`connection closed before a full response: ${new TextDecoder().decode(received).slice(0, 200)}`)));
    });
    socket.on("error", (error) => {
      if (finish()) return;
      // A socket's errors are system errors, with a code.
      const code = (error as NodeJS.ErrnoException).code ?? "";
      if (sending && (code === "EPIPE" || code === "ECONNRESET")) settle(() => resolve({ cutOff: code }));
      else settle(() => reject(error));
    });
    socket.setTimeout(15_000, () => settle(() => reject(new Error("no response within 15 s"))));
  });
}

/** Tries of rawUntilAnswered: a cut-off takes a few percent of tries, so all of them being cut off is vanishingly rare. */
const TRIES_FOR_AN_ANSWER = 5;

/**
 * For a request the server may refuse before its end: sends it again after a
 * cut-off, so the test sees the answer a client gets when it gets one.
 */
async function rawUntilAnswered(parts: readonly (string | Uint8Array)[]): Promise<RawResponse | CutOff> {
  let outcome = await raw(parts);
  for (let tries = 1; "cutOff" in outcome && tries < TRIES_FOR_AN_ANSWER; tries++) outcome = await raw(parts);
  return outcome;
}

/** The response itself: a test that sends a small request must get one. */
function answered(outcome: RawResponse | CutOff): RawResponse {
  if ("cutOff" in outcome) throw new Error(`the server closed the connection (${outcome.cutOff}) before answering`);
  return outcome;
}

const request = (method: string, path: string, headers: Record<string, string>, body = "") =>
  `${method} ${path} HTTP/1.1\r\nhost: ${hostname}:${port}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n${body}`;

function nativeError(res: RawResponse): { code: string; field?: string; requestId: string } {
  return (JSON.parse(res.body) as { error: { code: string; field?: string; requestId: string } }).error;
}

describe("hostile HTTP on the wire", () => {
  it("refuses a body whose Content-Length claims too much before reading it", async () => {
    // Only 20 of the claimed bytes are ever sent, and the connection stays open: the answer cannot wait for the rest.
    const res = answered(await raw([request("PUT", "/v1/feature-groups/users/records", { authorization: BEARER, "content-type": "application/json", "content-length": "1000000000" }, '{"record":{"id":"a"}')], true));
    expect(res.status).toBe(413);
    expect(nativeError(res)).toMatchObject({ code: "payload_too_large", field: "body" });
  });

  it("counts a chunked body without a length and refuses it past the limit", async () => {
    const chunk = "x".repeat(256 * 1024);
    const chunks = Array.from({ length: 10 }, () => `${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    const outcome = await rawUntilAnswered([request("PUT", "/v1/feature-groups/users/records", { authorization: BEARER, "content-type": "application/json", "transfer-encoding": "chunked" }), ...chunks, "0\r\n\r\n"]);
    // A server that read the whole body cannot have cut the client off; every try being cut off is as much a refusal.
    if ("cutOff" in outcome) return;
    expect(outcome.status).toBe(413);
    expect(nativeError(outcome).code).toBe("payload_too_large");
  });

  it("reads only the declared bytes when Content-Length claims too little", async () => {
    const res = answered(await raw([request("POST", "/v1/records/batch-get", { authorization: BEARER, "content-type": "application/json", "content-length": "5" }, '{"requests":[]}')]));
    expect(res.status).toBe(400);
    expect(nativeError(res)).toMatchObject({ code: "invalid_field", field: "body" });
  });

  it("answers raw non-UTF-8 bytes and control characters in the path without a 5xx", async () => {
    for (const path of [Uint8Array.of(...utf8.encode("/v1/feature-groups/"), 0xff, 0xfe, 0xc0, 0xaf), utf8.encode("/FeatureGroup/a\u0001b?RecordIdentifierValueAsString=%ED%A0%80")]) {
      const head = utf8.encode(` HTTP/1.1\r\nhost: ${hostname}:${port}\r\nauthorization: ${BEARER}\r\n\r\n`);
      const res = answered(await raw([utf8.encode("GET "), path, head]));
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
  });

  it("answers an oversized header without a 5xx", async () => {
    const res = answered(await raw([request("GET", "/v1/health", { authorization: `Bearer ${"A".repeat(200_000)}:x` })]));
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });
});

describe("SigV4 signatures out of their request", () => {
  const sign = async (method: string, path: string, body: string, signingDate = new Date()) => {
    const signer = new SignatureV4({ service: "sagemaker", region: "us-east-1", credentials: { accessKeyId: SDK_ACCESS_KEY_ID, secretAccessKey: SDK_SECRET_ACCESS_KEY }, sha256: Sha256 });
    const signed = await signer.sign({ method, protocol: "http:", hostname, port: Number(port), path, query: {}, headers: { host: `${hostname}:${port}`, "content-type": "application/x-amz-json-1.1", "x-amz-target": "SageMaker.ListFeatureGroups" }, body }, { signingDate });
    return signed.headers;
  };
  const send = (path: string, headers: Record<string, string>, body: string) => fetch(`${ENDPOINT}${path}`, { method: "POST", headers, body });

  it("accepts the signed request itself", async () => {
    const res = await send("/", await sign("POST", "/", "{}"), "{}");
    expect(res.status).toBe(200);
  });

  it("refuses the signature replayed with another body or operation", async () => {
    const headers = await sign("POST", "/", "{}");
    for (const [body, target] of [['{"MaxResults":1}', "SageMaker.ListFeatureGroups"], ["{}", "SageMaker.DeleteFeatureGroup"]] as const) {
      const res = await send("/", { ...headers, "x-amz-target": target }, body);
      expect(res.status).toBe(403);
      expect(res.headers.get("x-amzn-ErrorType")).toBe("InvalidSignatureException");
      expect(((await res.json()) as { __type: string }).__type).toBe("InvalidSignatureException");
    }
  });

  it("refuses a signature older than the allowed clock skew", async () => {
    const res = await send("/", await sign("POST", "/", "{}", new Date(Date.now() - 16 * 60_000)), "{}");
    expect(res.status).toBe(403);
    expect(res.headers.get("x-amzn-ErrorType")).toBe("InvalidSignatureException");
    expect(((await res.json()) as { Message: string }).Message).toMatch(/expired/i);
  });
});
