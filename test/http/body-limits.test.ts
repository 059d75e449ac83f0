import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { declaresMoreThan } from "../../src/http/body";
import { MAX_NDJSON_LINE_BYTES, MAX_PUT_BODY_BYTES } from "../../src/records";
import { api, at, createGroup, getRecord, ROOT_AUTH } from "../helpers";

const utf8 = new TextEncoder();

/** A body with no Content-Length, delivered in the given chunks (as chunked transfer encoding does). */
function chunked(chunks: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]!);
      else controller.close();
    },
  });
}

async function send(method: string, path: string, body: BodyInit, headers: Record<string, string> = {}) {
  const res = await exports.default.fetch(`http://fs.test${path}`, { method, headers: { authorization: ROOT_AUTH, ...headers }, body });
  return { status: res.status, body: (await res.json()) as any };
}

describe("body size limits", () => {
  it("trusts a Content-Length only to refuse early, never to accept", () => {
    const withLength = (value: string) => new Request("http://fs.test/", { method: "POST", headers: { "content-length": value } });
    expect(declaresMoreThan(withLength("2000"), 1000)).toBe(true);
    expect(declaresMoreThan(withLength("1000"), 1000)).toBe(false);
    expect(declaresMoreThan(withLength("-5"), 1000)).toBe(false);
    expect(declaresMoreThan(withLength("1e9"), 1000)).toBe(false);
    expect(declaresMoreThan(new Request("http://fs.test/", { method: "POST" }), 1000)).toBe(false);
  });

  it("refuses a chunked put body without a length once it passes the limit, and writes nothing", async () => {
    const group = await createGroup();
    const filler = "x".repeat(64 * 1024);
    const head = utf8.encode(`{"record":{"id":"a","ts":"${at(0)}","city":"`);
    const chunks = [head, ...Array.from({ length: MAX_PUT_BODY_BYTES / filler.length + 1 }, () => utf8.encode(filler)), utf8.encode('"}}')];
    const res = await send("PUT", `/v1/feature-groups/${group}/records`, chunked(chunks));
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: "payload_too_large", field: "body" });
    expect((await getRecord(group, "a")).status).toBe(404);
  });

  it("refuses an NDJSON line over the line limit, naming the line", async () => {
    const group = await createGroup();
    const line = `{"id":"a","ts":"${at(0)}","city":"${"y".repeat(MAX_NDJSON_LINE_BYTES)}"}\n`;
    const res = await send("POST", `/v1/feature-groups/${group}/records/batch`, chunked([utf8.encode(`{"id":"b","ts":"${at(0)}"}\n`), utf8.encode(line)]), { "content-type": "application/x-ndjson" });
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: "payload_too_large", field: "body line 2" });
    expect((await getRecord(group, "b")).status).toBe(404);
  });

  it("reassembles NDJSON lines split anywhere, even inside a multi-byte character", async () => {
    const group = await createGroup();
    const bytes = utf8.encode([`{"id":"é1","ts":"${at(0)}","city":"Zürich 東京"}`, "", `{"id":"🙂","ts":"${at(0)}","city":"\u05e9\u05dc\u05d5\u05dd"}`].join("\n"));
    const oneByteChunks = Array.from(bytes, (b) => Uint8Array.of(b));
    const res = await send("POST", `/v1/feature-groups/${group}/records/batch`, chunked(oneByteChunks), { "content-type": "application/x-ndjson" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ rows: 2, written: 2, invalidRows: 0 });
    expect((await getRecord(group, "é1")).body.record.city).toBe("Zürich 東京");
    expect((await getRecord(group, "🙂")).body.record.city).toBe("\u05e9\u05dc\u05d5\u05dd");
  });

  it("reports an NDJSON line that is not UTF-8 instead of storing replacement characters", async () => {
    const group = await createGroup();
    const bad = Uint8Array.of(...utf8.encode(`{"id":"c","ts":"${at(0)}","city":"`), 0xc3, 0x28, ...utf8.encode('"}\n'));
    const res = await send("POST", `/v1/feature-groups/${group}/records/batch`, chunked([bad]), { "content-type": "application/x-ndjson" });
    expect(res.status).toBe(400);
    expect(res.body.report.invalid).toEqual([{ row: 1, code: "invalid_field", field: "row", rule: "must be UTF-8 text" }]);
  });

  it("refuses a deeply nested NDJSON row by the JSON shape rule", async () => {
    const group = await createGroup();
    const res = await send("POST", `/v1/feature-groups/${group}/records/batch`, `${"[".repeat(10_000)}\n`, { "content-type": "application/x-ndjson" });
    expect(res.status).toBe(400);
    expect(res.body.report.invalid[0].rule).toMatch(/levels deep/);
  });
});

describe("list tokens", () => {
  it("refuse a forged token naming a negative shard instead of addressing a stray shard object", async () => {
    const group = await createGroup({ shardCount: 2 });
    const { generation } = (await api("GET", `/v1/feature-groups/${group}`)).body as { generation: string };
    const forged = btoa(encodeURIComponent(JSON.stringify([generation, -1, null])));
    const res = await api("GET", `/v1/feature-groups/${group}/records?nextToken=${encodeURIComponent(forged)}`);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "invalid_field", field: "nextToken" });
  });
});

describe("dataset lookbacks", () => {
  it("are bounded like a TTL, so no request asks engines for an interval of 10^15 weeks", async () => {
    const group = await createGroup({ offline: true });
    for (const path of ["/v1/datasets", "/v1/datasets/sql"]) {
      const res = await api("POST", path, {
        ...(path === "/v1/datasets" ? { entities: { rows: [{ id: "a", t: "2026-06-01T00:00:00Z" }] } } : { entityColumns: ["id", "t"] }),
        timestampColumn: "t",
        featureGroups: [{ name: group, entityColumn: "id", lookback: { unit: "Weeks", value: 1e15 } }],
      });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: "invalid_field", field: "featureGroups[0].lookback", message: "featureGroups[0].lookback: must be at most 100 years" });
    }
  });
});
