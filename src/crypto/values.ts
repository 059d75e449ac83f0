import { fail, ok, type Result } from "../failure";
import { fromBase64Url, toBase64Url } from "./base64url";

/**
 * Value encryption with a group's data keys (AES-256-GCM, WebCrypto). A
 * sealed value reads `fse1.<key version>.<iv>.<ciphertext+tag>` (base64url),
 * so every value names the data key version that encrypted it and old
 * versions stay readable after a rotation. Plain record JSON always starts
 * with `{`, so sealed and plaintext values never look alike.
 *
 * This module never persists or logs key material; it caches imported keys
 * in isolate memory only.
 */

/** Data key material as it travels to a record shard over RPC (never stored there). */
export interface DataKeyMaterial {
  /** The version new values are sealed with. */
  active: number;
  keys: { version: number; raw: Uint8Array }[];
}

/** Imported data keys, ready for WebCrypto. */
export interface ValueKeys {
  active: number;
  keys: ReadonlyMap<number, CryptoKey>;
}

const PREFIX = "fse1.";
const IV_BYTES = 12;
const MAX_CACHED_KEYS = 1_000;
const imported = new Map<string, Promise<CryptoKey>>();
const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** The additional data every record value is bound to: a sealed value moved to another record or group does not open. */
export const recordContext = (generation: string, recordIdentifier: string) => `record:${generation}:${recordIdentifier}`;

export const isSealedValue = (text: string) => text.startsWith(PREFIX);

function importRaw(version: number, raw: Uint8Array): Promise<CryptoKey> {
  // Keyed by the bytes too: a different key under a known version must not reuse the cached one.
  const id = `${version}:${toBase64Url(raw)}`;
  let key = imported.get(id);
  if (!key) {
    if (imported.size >= MAX_CACHED_KEYS) imported.clear();
    key = crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
    imported.set(id, key);
  }
  return key;
}

/** Imports key material (cached per isolate). */
export async function importValueKeys(material: DataKeyMaterial): Promise<ValueKeys> {
  const entries = await Promise.all(material.keys.map(async ({ version, raw }) => [version, await importRaw(version, raw)] as const));
  return { active: material.active, keys: new Map(entries) };
}

export async function sealValue(keys: ValueKeys, plaintext: string, context: string): Promise<string> {
  const key = keys.keys.get(keys.active);
  if (!key) throw new Error(`active data key version ${keys.active} is missing from the key material`);
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const ciphertext = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: utf8.encode(context) }, key, utf8.encode(plaintext));
  return `${PREFIX}${keys.active}.${toBase64Url(iv)}.${toBase64Url(new Uint8Array(ciphertext))}`;
}

/** The data key version a sealed value names, or null for plaintext. */
export function sealedValueVersion(text: string): number | null {
  if (!isSealedValue(text)) return null;
  const version = Number(text.slice(PREFIX.length, text.indexOf(".", PREFIX.length)));
  return Number.isSafeInteger(version) ? version : null;
}

/**
 * Opens a sealed value; plaintext passes through unchanged. Failures name
 * the key version and never include the value or the key.
 */
export async function openValue(keys: ValueKeys | null, text: string, context: string): Promise<Result<string>> {
  if (!isSealedValue(text)) return ok(text);
  const parts = text.split(".");
  const version = Number(parts[1]);
  const unreadable = (why: string) => fail<string>({ reason: "unavailable", detail: `a stored value cannot be decrypted: ${why}` });
  if (parts.length !== 4 || !Number.isSafeInteger(version)) return unreadable("it is malformed");
  const key = keys?.keys.get(version);
  if (!key) return unreadable(`data key version ${version} was not provided`);
  const iv = fromBase64Url(parts[2]!);
  const ciphertext = fromBase64Url(parts[3]!);
  if (!iv || !ciphertext) return unreadable("it is malformed");
  try {
    const plaintext = await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData: utf8.encode(context) }, key, ciphertext);
    return ok(utf8Decoder.decode(plaintext));
  } catch {
    return unreadable(`data key version ${version} does not open it (wrong key, or the bytes were altered)`);
  }
}
