import { env, runInDurableObject } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { shardName } from "../../src/online";
import { parseEventTime } from "../../src/records";
import { api, at, createGroup, getRecord, putRecord, ROOT_AUTH } from "../helpers";
import { offlineRows } from "../offline/support";

/** A body that arrives in pieces of `size` bytes, as a slow client's would. */
function trickle(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.byteLength) return controller.close();
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

const utf8 = (text: string) => new TextEncoder().encode(text);

function bulk(group: string, body: BodyInit, contentType: string, query = "") {
  return exports.default
    .fetch(`http://fs.test/v1/feature-groups/${group}/records/batch${query}`, { method: "POST", headers: { authorization: ROOT_AUTH, "content-type": contentType }, body })
    .then(async (res) => ({ status: res.status, body: (await res.json()) as any }));
}

describe("bulk ingest of streamed bodies", () => {
  it("reads NDJSON split anywhere, even inside a character, and reports only the line that is not UTF-8, by its physical line", async () => {
    const group = await createGroup({ features: [{ name: "name", type: "String" }] });
    const lines = [utf8(`{"id":"a","ts":"${at(0)}","name":"Zoë 🙂"}\n`), utf8(`\n\ufeff{"id":"b","ts":"${at(0)}","name":"b"}\n`), new Uint8Array([0x7b, 0xff, 0x7d, 0x0a]), utf8(`{"id":"c","ts":"${at(0)}","name":"çà"}`)];
    const body = new Uint8Array(lines.reduce((n, l) => n + l.byteLength, 0));
    lines.reduce((offset, l) => (body.set(l, offset), offset + l.byteLength), 0);
    for (const size of [1, 3, 7, body.byteLength]) {
      const res = await bulk(group, trickle(body, size), "application/x-ndjson", "?onInvalid=skip");
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ rows: 4, written: 3, invalidRows: 1, invalid: [{ row: 4, field: "row", rule: "must be UTF-8 text" }] });
    }
    expect((await getRecord(group, "a")).body.record.name).toBe("Zoë 🙂");
    expect((await getRecord(group, "b")).body.record.name).toBe("b");
    expect((await getRecord(group, "c")).body.record.name).toBe("çà");
  });

  it("reads CSV split anywhere: quoted commas, line breaks and quotes, CRLF rows", async () => {
    const group = await createGroup({ features: [{ name: "note", type: "String" }, { name: "age", type: "Integral" }] });
    const csv = `id,ts,note,age\r\na,${at(0)},"one, ""two""\r\nthree",7\r\n\r\nb,${at(0)},x"y,-0\r\nc,${at(0)},,\r\n`;
    for (const size of [1, 2, 5, csv.length]) {
      const res = await bulk(group, trickle(utf8(csv), size), "text/csv");
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ rows: 3, written: 3, invalidRows: 0 });
    }
    expect((await getRecord(group, "a")).body.record).toEqual({ id: "a", ts: at(0), note: 'one, "two"\r\nthree', age: 7 });
    expect((await getRecord(group, "b")).body.record).toEqual({ id: "b", ts: at(0), note: 'x"y', age: 0 });
    expect((await getRecord(group, "c")).body.record).toEqual({ id: "c", ts: at(0) });
  });

  it("reports a CSV row of the wrong width as an invalid row on its line, and a body that cannot be split as a whole, writing nothing", async () => {
    const group = await createGroup({ features: [{ name: "age", type: "Integral" }] });
    const wide = `id,ts,age\na,${at(0)},1\nb,${at(0)},2,extra\nc,${at(0)},3\n`;
    const narrow = await bulk(group, trickle(utf8(wide), 4), "text/csv");
    expect(narrow.status).toBe(400);
    expect(narrow.body.error.code).toBe("invalid_rows");
    expect(narrow.body.report.invalid).toEqual([{ row: 3, code: "invalid_field", field: "row", rule: "must have 3 fields, has 4" }]);
    const unterminated = await bulk(group, trickle(utf8(`${wide}d,${at(0)},"4\n`), 4), "text/csv");
    expect(unterminated.status).toBe(400);
    expect(unterminated.body.error.message).toContain("unterminated quoted field");
    const notText = await bulk(group, trickle(new Uint8Array([...utf8(wide), 0xff]), 4), "text/csv");
    expect(notText.status).toBe(400);
    expect(notText.body.error.message).toContain("must be UTF-8 text");
    expect((await getRecord(group, "a")).status).toBe(404);
  });

  it("writes ASCII and non-ASCII text columns to the offline store byte for byte", async () => {
    const group = await createGroup({ offline: true, features: [{ name: "city", type: "String" }, { name: "code", type: "String" }] });
    const rows = [{ id: "a", ts: at(0), city: "Zürich", code: "ZRH" }, { id: "b", ts: at(1), city: "Paris", code: "CDG" }, { id: "c", ts: at(2), city: "東京 🗼", code: "" }, { id: "d", ts: at(3) }];
    const res = await bulk(group, rows.map((r) => JSON.stringify(r)).join("\n"), "application/x-ndjson", "?targetStores=offline");
    expect(res.body).toMatchObject({ offline: { written: 4 } });
    const stored = await offlineRows(group);
    expect(stored.map(({ id, city, code }) => ({ id, city, code })).sort((x, y) => String(x.id).localeCompare(String(y.id)))).toEqual([
      { id: "a", city: "Zürich", code: "ZRH" },
      { id: "b", city: "Paris", code: "CDG" },
      { id: "c", city: "東京 🗼", code: "" },
      { id: "d", city: null, code: null },
    ]);
  });

  it("treats a stored record past its TTL as absent, so an older bulk row replaces it", async () => {
    const group = await createGroup({ shardCount: 1 });
    const isoAgo = (ms: number) => new Date(Date.now() - ms).toISOString();
    await putRecord(group, { id: "u2", ts: isoAgo(120_000), age: 1 });
    // A record that expired a minute ago and that no expiry alarm has swept yet (a put would arm one that sweeps it at once).
    const { generation } = (await api("GET", `/v1/feature-groups/${group}`)).body;
    const shard = env.RECORD_SHARD.get(env.RECORD_SHARD.idFromName(shardName(generation, 0)));
    const stored = parseEventTime("ts", "String", isoAgo(120_000));
    if (!stored.ok) throw new Error("bad event time");
    await runInDurableObject(shard, (_instance, state) => {
      state.storage.sql.exec("INSERT INTO records (record_identifier, event_key, expires_at, deleted, offline, body, written_at) VALUES ('u1', ?, ?, 0, 0, '{}', ?)", stored.value.key, Date.now() - 60_000, Date.now());
    });
    const rows = [{ id: "u1", ts: isoAgo(180_000), age: 2 }, { id: "u2", ts: isoAgo(180_000), age: 2 }];
    const res = await bulk(group, rows.map((r) => JSON.stringify(r)).join("\n"), "application/x-ndjson");
    expect(res.body).toMatchObject({ written: 2, online: { written: 1, olderEventTimeIgnored: 1 } });
    expect((await getRecord(group, "u1")).body.record.age).toBe(2);
    expect((await getRecord(group, "u2")).body.record.age).toBe(1);
  });
});
