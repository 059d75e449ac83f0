import { describe, expect, it } from "vitest";
import { api, at, createGroup, putRecord } from "../helpers";
import { activeRows, captureDrain, deliver, groupInfo, registeredBatchIds, waitForManifestRows } from "./harness";

const DEAD_LETTER_QUEUE = "feature-store-offline-dlq";

/** Puts records, takes their batch off the way to the offline writer, and hands it to the dead-letter queue as the queue would after its retries. */
async function deadLetteredBatch(records: Record<string, unknown>[]): Promise<{ group: string; generation: string; messageId: string; batchId: string }> {
  const group = await createGroup({ offline: true, shardCount: 1 });
  const { generation } = await groupInfo(group);
  for (const record of records) expect((await putRecord(group, record)).status).toBe(200);
  const [message] = await captureDrain(group);
  const { ids } = await deliver([message], { queue: DEAD_LETTER_QUEUE, attempts: 6 });
  return { group, generation, messageId: ids[0]!, batchId: message!.batchId };
}

const deadLetter = async (messageId: string) =>
  ((await api("GET", "/v1/offline/dead-letters?limit=1000")).body.deadLetters as { messageId: string; replays: number; replayedAt: string | null }[]).find((d) => d.messageId === messageId);

describe("dead letters: replay", () => {
  it("sends a dead-lettered batch back to the offline queue, and it lands once; a second replay sends nothing", async () => {
    const { group, generation, messageId, batchId } = await deadLetteredBatch([
      { id: "u1", ts: at(10), age: 1 },
      { id: "u2", ts: at(20), age: 2 },
    ]);
    expect(await deadLetter(messageId)).toMatchObject({ replays: 0, replayedAt: null });

    const first = await api("POST", "/v1/offline/dead-letters/replay", { messageIds: [messageId] });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ replayed: [{ messageId, batchId, outcome: "sent" }], notFound: [] });
    await waitForManifestRows(group, 2);
    expect(await registeredBatchIds(generation)).toEqual([{ batch_id: batchId, row_count: 2 }]);

    const again = await api("POST", "/v1/offline/dead-letters/replay", { messageIds: [messageId] });
    expect(again.body.replayed).toEqual([{ messageId, batchId, outcome: "already_registered" }]);
    const listed = await deadLetter(messageId);
    expect(listed?.replays).toBe(2);
    expect(Date.parse(listed!.replayedAt!)).toBeGreaterThan(0);
    expect((await activeRows(group)).map((r) => [r.id, r.age]).sort()).toEqual([
      ["u1", 1],
      ["u2", 2],
    ]);
  }, 30_000);

  it("replays every dead letter not replayed yet when no ids are named, and reports unknown ids and unreadable messages", async () => {
    const { group, messageId } = await deadLetteredBatch([{ id: "u9", ts: at(10), age: 9 }]);
    const garbage = await deliver([{ v: 99, nonsense: true }], { queue: DEAD_LETTER_QUEUE, attempts: 6 });

    const replay = await api("POST", "/v1/offline/dead-letters/replay", { limit: 1000 });
    expect(replay.status).toBe(200);
    const outcomes = Object.fromEntries((replay.body.replayed as { messageId: string; outcome: string }[]).map((r) => [r.messageId, r.outcome]));
    expect(outcomes[messageId]).toBe("sent");
    expect(outcomes[garbage.ids[0]!]).toBe("unreadable");
    await waitForManifestRows(group, 1);
    // Only the unreadable one is left never replayed.
    expect(replay.body.remaining).toBeGreaterThanOrEqual(1);
    expect((await deadLetter(garbage.ids[0]!))?.replayedAt).toBeNull();

    const unknown = await api("POST", "/v1/offline/dead-letters/replay", { messageIds: ["no-such-message"] });
    expect(unknown.body).toMatchObject({ replayed: [], notFound: ["no-such-message"] });
  }, 30_000);

  it.each([
    [{ messageIds: [] }, "messageIds"],
    [{ messageIds: [7] }, "messageIds[0]"],
    [{ limit: 0 }, "limit"],
    [{ limit: 1.5 }, "limit"],
    [{ messageIds: ["a"], limit: 3 }, "limit"],
    [{ ids: ["a"] }, "ids"],
    [[], "body"],
    [{}, "messageIds"],
  ])("refuses %j with a 400 naming %s", async (body, field) => {
    const res = await api("POST", "/v1/offline/dead-letters/replay", body);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain(field);
  });
});
