import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, createGroup, putRecord } from "../helpers";
import { setObjectClock, TestClock } from "../clock";
import { shardName } from "../../src/online";
import { LAST_WRITE_SAVE_MS } from "../../src/online/last-write";
import { signedIn } from "./support";

/** The group page's freshness of the online store: when a shard of the group last changed a record. */

const lastWrite = (html: string): string | undefined => /<dt>Last write<\/dt><dd>([^<]*)<\/dd>/.exec(html)?.[1];

async function shardOf(group: string) {
  const { generation } = (await api("GET", `/v1/feature-groups/${group}`)).body as { generation: string };
  return env.RECORD_SHARD.get(env.RECORD_SHARD.idFromName(shardName(generation, 0)));
}

describe("last online write on a group page", () => {
  it("shows none before the first write, and the write's time after a PutRecord", async () => {
    const group = await createGroup({ shardCount: 4 });
    const browser = await signedIn();
    expect(lastWrite((await browser.get(`/ui/feature-groups/${group}`)).html)).toBe("none recorded yet");
    const before = Date.now();
    expect((await putRecord(group, { id: "u1", ts: new Date().toISOString(), age: 3 })).status).toBe(200);
    const after = Date.now();
    const shown = lastWrite((await browser.get(`/ui/feature-groups/${group}`)).html);
    const at = Date.parse(/^(\S+Z) \(/.exec(shown ?? "")?.[1] ?? "");
    // The page prints whole seconds.
    expect(at).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(at).toBeLessThanOrEqual(after);
    expect(shown).toMatch(/ \(\d+ ms ago\)$| \(\d+ s ago\)$/);
  });

  it("says nothing of online writes for a group without an online store", async () => {
    const group = await createGroup({ online: false, offline: true });
    const page = await (await signedIn()).get(`/ui/feature-groups/${group}`);
    expect(page.status).toBe(200);
    expect(lastWrite(page.html)).toBeUndefined();
  });

  it("answers each write exactly but saves it at most once a second, so a burst costs one extra row write", async () => {
    const group = await createGroup({ shardCount: 1 });
    const shard = await shardOf(group);
    const clock = new TestClock();
    await setObjectClock(shard, clock);
    const saved = () => runInDurableObject(shard, (_, state) => state.storage.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'last_online_write_at'").toArray()[0]?.value);
    const t0 = clock.now();
    await putRecord(group, { id: "a", ts: clock.iso(), age: 1 });
    expect(await saved()).toBe(String(t0));
    clock.advance(200);
    await putRecord(group, { id: "b", ts: clock.iso(), age: 2 });
    expect((await shard.writeStatus()).lastOnlineWriteAt).toBe(t0 + 200);
    expect(await saved()).toBe(String(t0));
    clock.advance(LAST_WRITE_SAVE_MS);
    await api("DELETE", `/v1/feature-groups/${group}/records/a?eventTime=${encodeURIComponent(clock.iso())}`);
    expect((await shard.writeStatus()).lastOnlineWriteAt).toBe(t0 + 200 + LAST_WRITE_SAVE_MS);
    expect(await saved()).toBe(String(t0 + 200 + LAST_WRITE_SAVE_MS));
  });
});
