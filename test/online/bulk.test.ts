import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { at, createGroup, getRecord, ROOT_AUTH } from "../helpers";
import { drainShards, waitForOfflineRows } from "../offline/support";

function bulk(group: string, body: string, query = "", contentType = "application/x-ndjson") {
  return exports.default
    .fetch(`http://fs.test/v1/feature-groups/${group}/records/batch${query}`, { method: "POST", headers: { authorization: ROOT_AUTH, "content-type": contentType }, body })
    .then(async (res) => ({ status: res.status, body: (await res.json()) as any }));
}

const ndjson = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join("\n") + "\n";

describe("bulk ingest", () => {
  it("writes every row of an NDJSON body across shards, with the single-put event-time rule", async () => {
    const group = await createGroup({ shardCount: 4 });
    const rows = Array.from({ length: 2_000 }, (_, i) => ({ id: `u${i % 500}`, ts: at(Math.floor(i / 500)), age: i }));
    rows.push({ id: "u0", ts: at(-1), age: -1 }); // older: ignored online
    const res = await bulk(group, ndjson(rows));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ rows: 2_001, written: 2_001, invalidRows: 0, notWritten: 0, online: { written: 2_000, olderEventTimeIgnored: 1 } });
    expect((await getRecord(group, "u0")).body.record.age).toBe(1_500);
    expect((await getRecord(group, "u499")).body.record.age).toBe(1_999);
  });

  it("rejects the whole request when one row is invalid, naming each bad row, field and rule", async () => {
    const group = await createGroup();
    const body = ndjson([{ id: "a", ts: at(0), age: 1 }, { id: "b", ts: "soon" }, { id: "c", ts: at(0), agee: 2 }]) + "{not json\n";
    const res = await bulk(group, body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_rows");
    expect(res.body.report.invalid).toEqual([
      expect.objectContaining({ row: 2, field: "ts" }),
      expect.objectContaining({ row: 3, field: "agee", code: "unknown_feature" }),
      expect.objectContaining({ row: 4, field: "row" }),
    ]);
    expect(res.body.report.written).toBe(0);
    expect((await getRecord(group, "a")).status).toBe(404);
  });

  it("writes the valid rows and reports the rest when asked to skip invalid ones", async () => {
    const group = await createGroup();
    const res = await bulk(group, ndjson([{ id: "a", ts: at(0), age: 1 }, { id: "b", ts: at(0), age: "x" }]), "?onInvalid=skip");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ rows: 2, written: 1, invalidRows: 1, invalid: [{ row: 2, field: "age" }] });
    expect((await getRecord(group, "a")).status).toBe(200);
  });

  it("reads CSV with empty cells as missing values and collections as JSON arrays", async () => {
    const group = await createGroup({ features: [{ name: "age", type: "Integral" }, { name: "tags", type: "String", collection: { type: "List" } }] });
    const csv = `id,ts,age,tags\na,${at(0)},7,"[""x"",""y""]"\nb,${at(0)},,\n`;
    const res = await bulk(group, csv, "", "text/csv");
    expect(res.status).toBe(200);
    expect((await getRecord(group, "a")).body.record).toEqual({ id: "a", ts: at(0), age: 7, tags: ["x", "y"] });
    expect((await getRecord(group, "b")).body.record).toEqual({ id: "b", ts: at(0) });
  });

  it("loads only the offline store when targeted, each row exactly once", async () => {
    const group = await createGroup({ offline: true, shardCount: 2 });
    const res = await bulk(group, ndjson(Array.from({ length: 50 }, (_, i) => ({ id: `h${i}`, ts: at(i), age: i }))), "?targetStores=offline");
    expect(res.body).toMatchObject({ written: 50, offline: { written: 50, alreadyWritten: 0 }, online: { written: 0 } });
    expect((await getRecord(group, "h1")).status).toBe(404);
    await drainShards(group);
    const files = await waitForOfflineRows(group, 50);
    expect(files.reduce((n, f) => n + f.row_count, 0)).toBe(50);
  }, 30_000);

  it("refuses an unknown content type and a bad target", async () => {
    const group = await createGroup();
    expect((await bulk(group, "x", "", "application/xml")).status).toBe(400);
    expect((await bulk(group, "{}", "?targetStores=disk")).status).toBe(400);
    expect((await bulk(group, "{}", "?onInvalid=maybe")).status).toBe(400);
    expect((await bulk("ghost", "{}")).status).toBe(404);
  });
});
