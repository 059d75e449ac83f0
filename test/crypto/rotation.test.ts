import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { catalogDb, forgetServingGroup } from "../../src/catalog";
import { dataKeyLookup } from "../../src/crypto/offline-objects";
import { settle } from "../offline/support";
import { forgetGroupDataKeys } from "../../src/crypto/data-keys";
import { sealedKeyId } from "../../src/crypto/keyring";
import { toBase64Url } from "../../src/crypto/base64url";
import { shardIndexOf, shardName } from "../../src/online";
import { getRecord as getRecordService, storeContext } from "../../src/service";
import { rewrapDataKeys } from "../../src/service/encryption";
import { api, at, getRecord, putRecord } from "../helpers";
import { createEncryptedGroup, readAllVersions, storedRows } from "./support";

/** Data key rotation and master key re-wrapping, without downtime and without losing old values. */

const stubOf = (generation: string, id: string) => env.RECORD_SHARD.get(env.RECORD_SHARD.idFromName(shardName(generation, shardIndexOf(id, 1))));
const rotate = (name: string, store: string) => api("POST", `/v1/admin/feature-groups/${name}/keys/rotate?store=${store}`);

describe("data key rotation", () => {
  it("seals new writes with the new version and still reads values sealed with the old one", async () => {
    const { name, generation } = await createEncryptedGroup();
    await putRecord(name, { id: "before", ts: at(1), city: "Accra" });
    const rotated = await rotate(name, "online");
    expect(rotated.status).toBe(200);
    expect(rotated.body).toEqual({ featureGroup: name, store: "online", activeKeyVersion: 2 });
    await putRecord(name, { id: "after", ts: at(1), city: "Dakar" });
    const rows = await storedRows(stubOf(generation, "before"));
    expect(Object.fromEntries(rows.records.map((r) => [r.record_identifier, r.body!.slice(0, 7)]))).toEqual({ before: "fse1.1.", after: "fse1.2." });
    expect((await getRecord(name, "before")).body.record.city).toBe("Accra");
    expect((await getRecord(name, "after")).body.record.city).toBe("Dakar");
    // An update re-seals the old record with the active version.
    await api("PATCH", `/v1/feature-groups/${name}/records/before`, { features: { city: "Kumasi" } });
    expect((await storedRows(stubOf(generation, "before"))).records.find((r) => r.record_identifier === "before")!.body!.slice(0, 7)).toBe("fse1.2.");
    expect((await getRecord(name, "before")).body.record.city).toBe("Kumasi");
    expect((await api("GET", `/v1/feature-groups/${name}`)).body.encryption.online).toEqual({ enabled: true, activeKeyVersion: 2 });
  });

  it("makes other isolates' cached keys stale: a shard refuses the old catalog version, and the caller reloads", async () => {
    const { name, generation } = await createEncryptedGroup();
    await putRecord(name, { id: "u1", ts: at(1), city: "Quito" });
    expect((await rotate(name, "online")).status).toBe(200);
    const reply = await stubOf(generation, "u1").get({ catalogVersion: 1, recordIdentifiers: ["u1"] });
    expect(reply).toEqual({ refused: "stale_catalog", catalogVersion: 2 });
  });

  it("refuses a bad store or a store the group does not encrypt, changing nothing", async () => {
    const { name } = await createEncryptedGroup({ online: true, offline: false, offlineStore: true });
    const bad = await rotate(name, "cold");
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe("store");
    const notEncrypted = await rotate(name, "offline");
    expect(notEncrypted.status).toBe(400);
    expect(notEncrypted.body.error.message).toContain("does not encrypt its offline store");
    expect((await rotate("no-such-group", "online")).status).toBe(404);
  });
});

describe("master key rotation", () => {
  it("re-wraps every data key under the new master key, after which the old master key can be dropped", async () => {
    const { name, generation } = await createEncryptedGroup({ offline: true, offlineStore: true });
    await putRecord(name, { id: "u1", ts: at(1), city: "Hanoi" });
    await settle(name, 1);
    const oldKeys = env.FS_MASTER_KEYS!;
    const newMaster = `mk-2:${toBase64Url(crypto.getRandomValues(new Uint8Array(32)))}`;

    // Step 1: the new key goes first, the old one stays; re-wrap.
    const both = storeContext({ ...env, FS_MASTER_KEYS: `${newMaster},${oldKeys}` }, Date.now());
    const report = await rewrapDataKeys(both);
    expect(report.ok && report.value.activeMasterKeyId).toBe("mk-2");
    expect(report.ok && report.value.rewrapped).toBeGreaterThanOrEqual(2);
    const wrapped = (await env.DB.prepare("SELECT wrapped FROM data_keys").all<{ wrapped: string }>()).results;
    expect(new Set(wrapped.map((r) => sealedKeyId(r.wrapped)))).toEqual(new Set(["mk-2"]));
    expect((await rewrapDataKeys(both)).ok && (await rewrapDataKeys(both))).toMatchObject({ value: { rewrapped: 0 } });

    // Step 2: only the new key remains; records written before are still readable, new ones too.
    forgetGroupDataKeys(generation);
    forgetServingGroup(name);
    const onlyNew = storeContext({ ...env, FS_MASTER_KEYS: newMaster }, Date.now());
    const read = await getRecordService(onlyNew, { featureGroup: name, recordIdentifier: "u1", recordIdentifierField: "id", features: [], featuresField: "features" });
    expect(read.ok && JSON.parse(read.value!.body).city).toBe("Hanoi");
    // The offline objects (SSE-C under the offline data key) read with the new master key alone too.
    forgetGroupDataKeys(generation);
    const db = catalogDb(env.DB);
    const offline = await readAllVersions(db, env.OFFLINE_BUCKET, dataKeyLookup(db, { FS_MASTER_KEYS: newMaster }), generation);
    expect(offline.ok && offline.value.map((v) => v.values.city)).toEqual(["Hanoi"]);

    // The worker's own keyring (the old key only) no longer opens the data keys: a clear 503.
    forgetGroupDataKeys(generation);
    forgetServingGroup(name);
    const stale = await getRecord(name, "u1");
    expect(stale.status).toBe(503);
    expect(stale.body.error.message).toContain("master key mk-2 is not in the keyring");

    // A re-wrap under a keyring that lacks the wrapping key stops with a 503 and changes nothing.
    const stuck = await api("POST", "/v1/admin/master-key/rewrap");
    expect(stuck.status).toBe(503);
    expect(stuck.body.error.message).toContain("keep its master key in FS_MASTER_KEYS");
    expect(stuck.text).not.toContain(newMaster.split(":")[1]!);

    // Back to the worker's keyring, so later tests of this file see a consistent store.
    const back = await rewrapDataKeys(storeContext({ ...env, FS_MASTER_KEYS: `${oldKeys},${newMaster}` }, Date.now()));
    expect(back.ok).toBe(true);
    forgetGroupDataKeys(generation);
    forgetServingGroup(name);
    expect((await getRecord(name, "u1")).body.record.city).toBe("Hanoi");
  });

  it("answers the re-wrap route with what it did", async () => {
    await createEncryptedGroup();
    const res = await api("POST", "/v1/admin/master-key/rewrap");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ rewrapped: expect.any(Number), alreadyCurrent: expect.any(Number), activeMasterKeyId: "test-mk-1" });
  });
});
