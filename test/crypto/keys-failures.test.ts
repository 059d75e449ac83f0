import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { forgetServingGroup } from "../../src/catalog";
import { forgetGroupDataKeys } from "../../src/crypto/data-keys";
import { masterKeyring, seal } from "../../src/crypto/keyring";
import { shardIndexOf, shardName } from "../../src/online";
import { createFeatureGroup, storeContext } from "../../src/service";
import { api, at, getRecord, putRecord } from "../helpers";
import { createEncryptedGroup } from "./support";

/**
 * What a client sees when keys are wrong or missing: a 503 `unavailable`
 * that says what is wrong, never plaintext, key material or a 500.
 */

const SECRET_CITY = "Timbuktu-Plaintext-Marker";
const stubOf = (generation: string, id: string) => env.RECORD_SHARD.get(env.RECORD_SHARD.idFromName(shardName(generation, shardIndexOf(id, 1))));

async function replaceWrappedKey(generation: string, wrapped: string): Promise<void> {
  await env.DB.prepare("UPDATE data_keys SET wrapped = ? WHERE generation = ? AND store = 'online'").bind(wrapped, generation).run();
  forgetGroupDataKeys(generation);
}

function expectNoSecrets(text: string, extra: string[] = []) {
  expect(text).not.toContain(SECRET_CITY);
  expect(text).not.toContain(env.FS_MASTER_KEYS!.split(":")[1]!);
  for (const s of extra) expect(text).not.toContain(s);
}

describe("wrong or missing keys", () => {
  it("does not open stored values with a different data key: the shard refuses without plaintext", async () => {
    const { name, generation } = await createEncryptedGroup();
    await putRecord(name, { id: "u1", ts: at(1), city: SECRET_CITY });
    const wrong = crypto.getRandomValues(new Uint8Array(32));
    const reply = await stubOf(generation, "u1").get({ catalogVersion: 1, recordIdentifiers: ["u1"], keys: { active: 1, keys: [{ version: 1, raw: wrong }] } });
    expect(reply).toEqual({ refused: "data_key", detail: expect.stringContaining("data key version 1 does not open it") });
    expectNoSecrets(JSON.stringify(reply));
    // Without any key the values stay closed too.
    const keyless = await stubOf(generation, "u1").get({ catalogVersion: 1, recordIdentifiers: ["u1"] });
    expect(keyless).toEqual({ refused: "data_key", detail: expect.stringContaining("data key version 1 was not provided") });
  });

  it("answers 503 unavailable when the group's data key is not the one its values were sealed with", async () => {
    const { name, generation } = await createEncryptedGroup();
    await putRecord(name, { id: "u1", ts: at(1), city: SECRET_CITY });
    const keyring = await masterKeyring(env);
    if (!keyring.ok) throw new Error("test keyring");
    const impostor = crypto.getRandomValues(new Uint8Array(32));
    await replaceWrappedKey(generation, await seal(keyring.value, impostor, `data-key:${generation}:online:1`));
    forgetServingGroup(name);
    const res = await getRecord(name, "u1");
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe("unavailable");
    expect(res.body.error.message).toContain("cannot be decrypted");
    expectNoSecrets(res.text);
    const batch = await api("POST", "/v1/records/batch-get", { requests: [{ featureGroup: name, recordIdentifiers: ["u1"] }] });
    expect(batch.status).toBe(200);
    expect(batch.body.errors[0].error.code).toBe("unavailable");
    expectNoSecrets(batch.text);
    const sagemaker = await api("GET", `/FeatureGroup/${name}?RecordIdentifierValueAsString=u1`);
    expect(sagemaker.status).toBe(503);
    expect(sagemaker.body.__type).toBe("ServiceUnavailable");
    expectNoSecrets(sagemaker.text);
  });

  it("answers 503 unavailable, naming the missing master key, when the master key that wrapped a data key is gone", async () => {
    const { name, generation } = await createEncryptedGroup();
    await putRecord(name, { id: "u1", ts: at(1), city: SECRET_CITY });
    const [, , iv, ct] = (await env.DB.prepare("SELECT wrapped FROM data_keys WHERE generation = ?").bind(generation).first<{ wrapped: string }>())!.wrapped.split(".");
    await replaceWrappedKey(generation, `fsk1.retired-mk.${iv}.${ct}`);
    forgetServingGroup(name);
    for (const res of [await getRecord(name, "u1"), await putRecord(name, { id: "u2", ts: at(1) })]) {
      expect(res.status).toBe(503);
      expect(res.body.error.message).toContain("master key retired-mk is not in the keyring");
      expectNoSecrets(res.text, [ct!]);
    }
  });

  it("does not create an encrypted group when the master keyring is not configured", async () => {
    const ctx = storeContext({ ...env, FS_MASTER_KEYS: "" }, Date.now());
    const body = { name: "needs-keys", recordIdentifierFeature: "id", eventTimeFeature: "ts", features: [{ name: "id", type: "String" }, { name: "ts", type: "String" }], encryption: { online: true } };
    const created = await createFeatureGroup(ctx, body);
    expect(created).toEqual({ ok: false, failure: { reason: "unavailable", detail: "the worker's master keyring (FS_MASTER_KEYS) is not configured" } });
    expect((await api("GET", "/v1/feature-groups/needs-keys")).status).toBe(404);
    // Unencrypted groups do not need the keyring at all.
    expect((await createFeatureGroup(ctx, { ...body, name: "plain", encryption: undefined })).ok).toBe(true);
  });
});
