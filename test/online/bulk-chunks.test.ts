import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BULK_CHUNK_BYTES, BULK_CHUNK_ROWS } from "../../src/service/bulk-ingest";
import { at, createGroup, getRecord, ROOT_AUTH } from "../helpers";
import { manifest, offlineRows } from "../offline/support";

// A request larger than one chunk: its offline rows are written chunk by
// chunk and its online rows staged in R2 until the body is known valid
// (isolate memory, docs/limits.md). These tests check that nothing of that
// is visible: same rows, same order, nothing left behind, nothing on reject.

function bulk(group: string, body: string, query = "", headers: Record<string, string> = {}) {
  return exports.default
    .fetch(`http://fs.test/v1/feature-groups/${group}/records/batch${query}`, { method: "POST", headers: { authorization: ROOT_AUTH, "content-type": "application/x-ndjson", ...headers }, body })
    .then(async (res) => ({ status: res.status, body: (await res.json()) as any }));
}

const ndjson = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join("\n") + "\n";
const ROWS = BULK_CHUNK_ROWS * 2 + 123;

/** Every object left under the offline prefix that no manifest row names (staged rows, discarded files). */
async function unregisteredObjects(): Promise<string[]> {
  const registered = new Set((await env.DB.prepare("SELECT key FROM offline_files").all<{ key: string }>()).results.map((r) => r.key));
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.OFFLINE_BUCKET.list({ prefix: "offline-store/", ...(cursor ? { cursor } : {}) });
    keys.push(...page.objects.map((o) => o.key).filter((k) => !registered.has(k) && !k.includes("/_staging/")));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return keys;
}

describe("bulk ingest larger than one chunk", () => {
  it("writes every row online and offline exactly once, in body order, and leaves nothing staged", async () => {
    const group = await createGroup({ offline: true, shardCount: 4 });
    // Each identifier three times at the same event time: the last in the body wins, online as offline.
    const rows = Array.from({ length: ROWS }, (_, i) => ({ id: `u${i % Math.ceil(ROWS / 3)}`, ts: at(i % 7200), age: i }));
    const res = await bulk(group, ndjson(rows));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ rows: ROWS, written: ROWS, notWritten: 0, offline: { written: ROWS, alreadyWritten: 0 } });
    const files = (await manifest(group)).filter((f) => f.state === "active");
    expect(files.reduce((n, f) => n + f.row_count, 0)).toBe(ROWS);
    expect(new Set(files.map((f) => f.partition)).size).toBe(2);
    const offline = await offlineRows(group);
    expect(offline).toHaveLength(ROWS);
    // write_sequence follows body order across chunks.
    const sequences = offline.sort((a, b) => Number(a.age) - Number(b.age)).map((r) => BigInt(r.write_sequence as bigint));
    expect(sequences.every((s, i) => i === 0 || s > sequences[i - 1]!)).toBe(true);
    const winner = rows.filter((r) => r.id === "u1").reduce((w, r) => (r.ts > w.ts || (r.ts === w.ts && r.age > w.age) ? r : w));
    expect((await getRecord(group, "u1")).body.record.age).toBe(winner.age);
    expect(await unregisteredObjects()).toEqual([]);
  }, 120_000);

  it("writes nothing and leaves nothing behind when the last row of a large body is invalid", async () => {
    const group = await createGroup({ offline: true, shardCount: 2 });
    const rows: unknown[] = Array.from({ length: ROWS }, (_, i) => ({ id: `r${i}`, ts: at(0), age: i }));
    rows.push({ id: "bad", ts: "soon" });
    const res = await bulk(group, ndjson(rows));
    expect(res.status).toBe(400);
    expect(res.body.report).toMatchObject({ rows: ROWS + 1, invalidRows: 1, written: 0 });
    expect(await manifest(group)).toEqual([]);
    expect((await getRecord(group, "r0")).status).toBe(404);
    expect(await unregisteredObjects()).toEqual([]);
  }, 120_000);

  it("registers a retried large request once and gives its online rows the first attempt's stamps", async () => {
    const group = await createGroup({ offline: true, shardCount: 2 });
    const rows = Array.from({ length: ROWS }, (_, i) => ({ id: `k${i}`, ts: at(0), age: i }));
    const first = await bulk(group, ndjson(rows), "", { "idempotency-key": "big-1" });
    const retry = await bulk(group, ndjson(rows), "", { "idempotency-key": "big-1" });
    expect(first.body.offline).toEqual({ written: ROWS, alreadyWritten: 0 });
    expect(retry.body).toMatchObject({ written: ROWS, offline: { written: 0, alreadyWritten: ROWS } });
    // The retry's online rows carry the same stamps as the registered offline rows: each applies as "not newer".
    expect(retry.body.online).toEqual({ written: 0, olderEventTimeIgnored: ROWS });
    expect((await manifest(group)).reduce((n, f) => n + f.row_count, 0)).toBe(ROWS);
    expect(await unregisteredObjects()).toEqual([]);
  }, 120_000);

  it("closes a chunk by bytes before rows when records are large", async () => {
    const group = await createGroup({ offline: true, shardCount: 2 });
    const city = "x".repeat(64 * 1024);
    const count = Math.ceil((BULK_CHUNK_BYTES * 2.5) / city.length);
    const res = await bulk(group, ndjson(Array.from({ length: count }, (_, i) => ({ id: `b${i}`, ts: at(0), city }))));
    expect(res.body).toMatchObject({ written: count, offline: { written: count } });
    expect((await manifest(group)).length).toBe(3);
    expect((await getRecord(group, `b${count - 1}`)).body.record.city).toBe(city);
  }, 120_000);

  it("closes chunks of wide rows by bytes well before BULK_CHUNK_ROWS, keeping line numbers, exact values and the content digest", async () => {
    const group = await createGroup({ offline: true, shardCount: 2 });
    // ~2 KiB of UTF-8 per row (two- and four-byte characters): a chunk closes by bytes at about 1,000 rows.
    const city = "é😀-".repeat(300);
    const count = Math.ceil((BULK_CHUNK_BYTES * 2.5) / 2100);
    const bad = new Set([5, Math.floor(count / 2) + 1, count - 2]);
    const lines: string[] = [];
    const valid: string[] = [];
    for (let i = 0; i < count; i++) {
      if (i === 7) lines.push(""); // a blank line: no row, but counted in the line numbers after it
      // Integral beyond 2^53 arrives as a decimal string and must come back as exactly that.
      const row = bad.has(i) ? { id: `w${i}`, ts: "soon" } : { id: `w${i}`, ts: at(i % 60), age: i % 5 === 0 ? "9007199254740993" : i, score: i / 3, city: `${i}${city}` };
      if (!bad.has(i)) valid.push(`w${i}`);
      lines.push(JSON.stringify(row));
    }
    const body = lines.join("\n") + "\n";
    const res = await bulk(group, body, "?onInvalid=skip");
    expect(res.status).toBe(200);
    // Line numbers: row i is on line i + 1, one more after the blank line.
    expect(res.body.invalid.map((p: { row: number }) => p.row)).toEqual([...bad].map((i) => (i >= 7 ? i + 2 : i + 1)));
    expect(res.body).toMatchObject({ rows: count, invalidRows: bad.size, written: valid.length, notWritten: 0, offline: { written: valid.length, alreadyWritten: 0 } });

    const files = (await manifest(group)).filter((f) => f.state === "active");
    expect(files.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...files.map((f) => f.row_count))).toBeLessThan(BULK_CHUNK_ROWS);
    const offline = await offlineRows(group);
    expect(offline.map((r) => String(r.id)).sort()).toEqual([...valid].sort());
    const first = offline.find((r) => r.id === "w0")!;
    expect({ age: String(first.age), city: first.city }).toEqual({ age: "9007199254740993", city: `0${city}` });
    const lastId = valid.at(-1)!;
    const online = (await getRecord(group, lastId)).body.record;
    expect(online).toMatchObject({ city: `${lastId.slice(1)}${city}`, score: Number(lastId.slice(1)) / 3 });

    // Without an idempotency key the content identifies the request: the same body again is recognised as written.
    const again = await bulk(group, body, "?onInvalid=skip");
    expect(again.body.offline).toEqual({ written: 0, alreadyWritten: valid.length });
    expect(await unregisteredObjects()).toEqual([]);
  }, 120_000);
});
