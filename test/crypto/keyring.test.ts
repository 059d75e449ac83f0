import { describe, expect, it } from "vitest";
import { masterKeyring, open, seal, sealedKeyId } from "../../src/crypto/keyring";

const keyA = "a:" + btoa("A".repeat(32));
const keyB = "b:" + btoa("B".repeat(32));

async function ring(secret: string) {
  const result = await masterKeyring({ FS_MASTER_KEYS: secret });
  if (!result.ok) throw new Error(JSON.stringify(result.failure));
  return result.value;
}

describe("master keyring", () => {
  it("seals with the first key and opens with the same context", async () => {
    const keyring = await ring(`${keyA},${keyB}`);
    const sealed = await seal(keyring, new TextEncoder().encode("secret value"), "access-key:AK1");
    expect(sealedKeyId(sealed)).toBe("a");
    expect(sealed).not.toContain("secret value");
    const opened = await open(keyring, sealed, "access-key:AK1");
    expect(opened.ok && new TextDecoder().decode(opened.value)).toBe("secret value");
  });

  it("refuses another context, an altered value and a key no longer in the ring", async () => {
    const sealed = await seal(await ring(keyA), new Uint8Array([1, 2, 3]), "ctx");
    const keyring = await ring(`${keyB},${keyA}`);
    expect((await open(keyring, sealed, "other")).ok).toBe(false);
    const parts = sealed.split(".");
    const altered = [...parts.slice(0, 3), (parts[3]![0] === "A" ? "B" : "A") + parts[3]!.slice(1)].join(".");
    expect((await open(keyring, altered, "ctx")).ok).toBe(false);
    expect((await open(keyring, sealed, "ctx")).ok).toBe(true);
    const dropped = await open(await ring(keyB), sealed, "ctx");
    expect(dropped.ok).toBe(false);
    expect(!dropped.ok && dropped.failure.reason === "unavailable" && dropped.failure.detail).toContain("master key a is not in the keyring");
  });

  it("rejects a malformed keyring without echoing it", async () => {
    for (const secret of ["", "nocolon", "a:" + btoa("short"), `${keyA},${keyA}`]) {
      const result = await masterKeyring({ FS_MASTER_KEYS: secret });
      expect(result.ok).toBe(false);
      if (!result.ok && result.failure.reason === "unavailable" && secret.length > 2) expect(result.failure.detail).not.toContain(secret.slice(2));
    }
  });
});
