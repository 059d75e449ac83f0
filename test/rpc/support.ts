import { env } from "cloudflare:test";
import { drizzle } from "drizzle-orm/d1";
import { accessKeys } from "../../src/access/schema";
import { masterKeyring, seal } from "../../src/crypto/keyring";

/**
 * An access key with an id chosen in advance, as a caller's wrangler.toml
 * names it in a service binding's props (the admin API draws ids at random,
 * and a binding's props are fixed before the test runs). Written as the
 * admin API writes keys: the secret sealed with the master keyring under
 * `access-key:<id>`; the binding never uses the secret.
 */
export async function insertAccessKey(accessKeyId: string, policy: unknown): Promise<void> {
  const keyring = await masterKeyring(env);
  if (!keyring.ok) throw new Error(`no keyring: ${keyring.failure.reason}`);
  const secret = crypto.getRandomValues(new Uint8Array(30));
  const now = Date.now();
  await drizzle(env.DB)
    .insert(accessKeys)
    .values({
      accessKeyId,
      name: "service binding",
      status: "Active",
      sealedSecret: await seal(keyring.value, secret, `access-key:${accessKeyId}`),
      policy: JSON.stringify(policy),
      rateLimitPerSecond: null,
      rateLimitBurst: null,
      expiresAt: null,
      rotatedTo: null,
      createdAt: now,
      updatedAt: now,
    });
}
