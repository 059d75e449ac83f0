import { fail, ok, type Result } from "../failure";
import { toBase64Url } from "./base64url";

/**
 * The master keyring: AES-256-GCM keys from the worker's secret
 * FS_MASTER_KEYS, written `id:base64key[,id:base64key...]`. The first key is
 * active and seals everything new; the others stay to open what they sealed,
 * so the master key rotates without downtime (prepend a key, re-seal, then
 * drop the old one). Everything sealed records the id of the key that sealed
 * it.
 */
export interface MasterKeyring {
  activeId: string;
  keys: ReadonlyMap<string, CryptoKey>;
}

export interface MasterKeySecret {
  FS_MASTER_KEYS?: string;
}

/** Sealed values read `fsk1.<keyId>.<iv base64url>.<ciphertext+tag base64url>`. */
const SEALED_VERSION = "fsk1";
const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;
const IV_BYTES = 12;

const cache = new Map<string, Promise<Result<MasterKeyring>>>();

/** Parses and imports the keyring once per isolate and secret value. */
export function masterKeyring(env: MasterKeySecret): Promise<Result<MasterKeyring>> {
  const secret = env.FS_MASTER_KEYS ?? "";
  let keyring = cache.get(secret);
  if (!keyring) {
    keyring = importKeyring(secret);
    cache.set(secret, keyring);
  }
  return keyring;
}

async function importKeyring(secret: string): Promise<Result<MasterKeyring>> {
  // Never echo the secret: failures name the rule and the position only.
  const unavailable = (rule: string) => fail<MasterKeyring>({ reason: "unavailable", detail: `the worker's master keyring (FS_MASTER_KEYS) ${rule}` });
  if (secret.trim() === "") return unavailable("is not configured");
  const keys = new Map<string, CryptoKey>();
  let activeId: string | undefined;
  for (const [index, entry] of secret.split(",").entries()) {
    const colon = entry.indexOf(":");
    const id = entry.slice(0, colon).trim();
    if (colon < 0 || !KEY_ID.test(id)) return unavailable(`entry ${index + 1} must read id:base64key with an id of letters, digits, - or _`);
    if (keys.has(id)) return unavailable(`repeats key id ${id}`);
    const raw = decodeBase64(entry.slice(colon + 1).trim());
    if (!raw || raw.byteLength !== 32) return unavailable(`key ${id} must be 32 bytes, base64`);
    keys.set(id, await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]));
    activeId ??= id;
  }
  return ok({ activeId: activeId!, keys });
}

/**
 * Encrypts with the active master key. `context` is bound as additional
 * data, so a sealed value moved to another purpose or owner does not open.
 */
export async function seal(keyring: MasterKeyring, plaintext: Uint8Array, context: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const key = keyring.keys.get(keyring.activeId)!;
  const ciphertext = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: utf8.encode(context) }, key, plaintext);
  return [SEALED_VERSION, keyring.activeId, toBase64Url(iv), toBase64Url(new Uint8Array(ciphertext))].join(".");
}

/** The id of the master key that sealed a value, or null when it is not a sealed value. */
export function sealedKeyId(sealed: string): string | null {
  const parts = sealed.split(".");
  return parts.length === 4 && parts[0] === SEALED_VERSION ? parts[1]! : null;
}

/** Decrypts a sealed value; fails when the key is gone, the context differs or the bytes were altered. */
export async function open(keyring: MasterKeyring, sealed: string, context: string): Promise<Result<Uint8Array>> {
  const parts = sealed.split(".");
  const unreadable = (why: string) => fail<Uint8Array>({ reason: "unavailable", detail: `a sealed value cannot be opened: ${why}` });
  if (parts.length !== 4 || parts[0] !== SEALED_VERSION) return unreadable("not a sealed value");
  const key = keyring.keys.get(parts[1]!);
  if (!key) return unreadable(`master key ${parts[1]} is not in the keyring`);
  const iv = decodeBase64(parts[2]!);
  const ciphertext = decodeBase64(parts[3]!);
  if (!iv || !ciphertext) return unreadable("malformed");
  try {
    const plaintext = await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData: utf8.encode(context) }, key, ciphertext);
    return ok(new Uint8Array(plaintext));
  } catch {
    return unreadable("authentication failed (wrong key, context or altered bytes)");
  }
}

const utf8 = new TextEncoder();

/** Standard or URL-safe base64, padded or not; null when malformed. */
export function decodeBase64(text: string): Uint8Array | null {
  const standard = text.replace(/-/g, "+").replace(/_/g, "/");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(standard)) return null;
  try {
    return Uint8Array.fromBase64(standard.padEnd(Math.ceil(standard.length / 4) * 4, "="));
  } catch {
    return null;
  }
}

