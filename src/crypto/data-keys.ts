import { and, eq, max } from "drizzle-orm";
import type { CatalogDb } from "../catalog";
import { fail, ok, type Result } from "../failure";
import { masterKeyring, open, seal, sealedKeyId, type MasterKeyring, type MasterKeySecret } from "./keyring";
import { dataKeys, type DataKeyRow } from "./schema";
import type { DataKeyMaterial } from "./values";

/**
 * Envelope encryption: every encrypted group has its own 256-bit data keys,
 * one set for the online store and one for the offline store, sealed by the
 * master keyring and kept in D1 (data_keys). Unwrapped keys live only in
 * isolate memory (and travel to the group's record shards with each call).
 */
export type KeyStore = "online" | "offline";
export const KEY_STORES: readonly KeyStore[] = ["online", "offline"];

export interface GroupEncryption {
  online: boolean;
  offline: boolean;
}

/** A group's unwrapped data keys per store; a store without keys is not encrypted. */
export type GroupDataKeys = Partial<Record<KeyStore, DataKeyMaterial>>;

const DATA_KEY_BYTES = 32;
/**
 * Keys are re-read this often anyway (as catalog definitions are), so an
 * offline key rotation reaches every isolate's writer within it. Online
 * rotations do not wait for it: they bump the catalog version.
 */
const MAX_AGE_MS = 5 * 60_000;
const MAX_CACHED_GROUPS = 1_000;

const wrapContext = (generation: string, store: KeyStore, version: number) => `data-key:${generation}:${store}:${version}`;

/** Statements that create version 1 of each asked store's data key (run them in the group's creation batch). */
export async function newDataKeyStatements(db: CatalogDb, keyring: MasterKeyring, generation: string, encryption: GroupEncryption, now: number): Promise<D1PreparedStatement[]> {
  const statements: D1PreparedStatement[] = [];
  for (const store of KEY_STORES) {
    if (!encryption[store]) continue;
    const row = await wrappedKeyRow(keyring, generation, store, 1, now);
    const { sql, params } = db.insert(dataKeys).values(row).toSQL();
    statements.push(db.$client.prepare(sql).bind(...params));
  }
  return statements;
}

async function wrappedKeyRow(keyring: MasterKeyring, generation: string, store: KeyStore, version: number, now: number): Promise<DataKeyRow> {
  const raw = crypto.getRandomValues(new Uint8Array(DATA_KEY_BYTES));
  return { generation, store, version, wrapped: await seal(keyring, raw, wrapContext(generation, store, version)), createdAt: now, wrappedAt: now };
}

/** Which stores of a generation are encrypted, and their active versions (no unwrapping: Describe works without the master key). */
export async function encryptionOf(db: CatalogDb, generation: string): Promise<Partial<Record<KeyStore, number>>> {
  const rows = await db
    .select({ store: dataKeys.store, version: max(dataKeys.version) })
    .from(dataKeys)
    .where(eq(dataKeys.generation, generation))
    .groupBy(dataKeys.store)
    .all();
  return Object.fromEntries(rows.map((r) => [r.store, r.version ?? 0]));
}

interface CachedKeys {
  loadedAt: number;
  keys: Promise<Result<GroupDataKeys>>;
}
const cache = new Map<string, CachedKeys>();

/**
 * A generation's unwrapped data keys, cached per isolate for MAX_AGE_MS.
 * `loadedAfter` forces a reload of entries older than it (a rotation the
 * caller knows about). Failures are not cached, so a fixed secret works at once.
 */
export async function groupDataKeys(db: CatalogDb, secret: MasterKeySecret, generation: string, now: number, loadedAfter = 0): Promise<Result<GroupDataKeys>> {
  const cached = cache.get(generation);
  if (cached && now - cached.loadedAt < MAX_AGE_MS && cached.loadedAt >= loadedAfter) return cached.keys;
  const keys = loadGroupDataKeys(db, secret, generation);
  if (cache.size >= MAX_CACHED_GROUPS) cache.clear();
  cache.set(generation, { loadedAt: now, keys });
  const result = await keys;
  if (!result.ok && cache.get(generation)?.keys === keys) cache.delete(generation);
  return result;
}

export function forgetGroupDataKeys(generation: string): void {
  cache.delete(generation);
}

async function loadGroupDataKeys(db: CatalogDb, secret: MasterKeySecret, generation: string): Promise<Result<GroupDataKeys>> {
  const rows = await db.select().from(dataKeys).where(eq(dataKeys.generation, generation)).all();
  if (rows.length === 0) return ok({});
  const keyring = await masterKeyring(secret);
  if (!keyring.ok) return keyring;
  const keys: GroupDataKeys = {};
  for (const row of rows) {
    const store = row.store as KeyStore;
    const raw = await open(keyring.value, row.wrapped, wrapContext(generation, store, row.version));
    if (!raw.ok) {
      return fail({ reason: "unavailable", detail: `the ${store} data key (version ${row.version}) of this feature group cannot be unwrapped: ${raw.failure.reason === "unavailable" ? raw.failure.detail : "unknown"}` });
    }
    const material = (keys[store] ??= { active: 0, keys: [] });
    material.keys.push({ version: row.version, raw: raw.value });
    material.active = Math.max(material.active, row.version);
  }
  return ok(keys);
}

/** Adds the next version of a store's data key; new writes use it, older versions stay readable. */
export async function rotateDataKey(db: CatalogDb, secret: MasterKeySecret, generation: string, store: KeyStore, now: number): Promise<Result<{ version: number } | null>> {
  const keyring = await masterKeyring(secret);
  if (!keyring.ok) return keyring;
  const current = await db.select({ version: max(dataKeys.version) }).from(dataKeys).where(and(eq(dataKeys.generation, generation), eq(dataKeys.store, store))).get();
  if (!current?.version) return ok(null);
  const row = await wrappedKeyRow(keyring.value, generation, store, current.version + 1, now);
  try {
    await db.insert(dataKeys).values(row);
  } catch (error) {
    if (String(error).includes("UNIQUE constraint failed")) return fail({ reason: "conflict", detail: `another rotation of the ${store} data key is in progress; retry` });
    throw error;
  }
  forgetGroupDataKeys(generation);
  return ok({ version: row.version });
}

export interface RewrapReport {
  rewrapped: number;
  alreadyCurrent: number;
  activeMasterKeyId: string;
}

/** Rows re-sealed per D1 batch. */
const REWRAP_BATCH = 50;

/**
 * Re-seals every data key not yet sealed by the active master key. Each key
 * is unwrapped and sealed again, unchanged, so no stored value needs to be
 * touched; afterwards the old master key can leave FS_MASTER_KEYS.
 * Idempotent: a repeat after a partial run finishes the job.
 */
export async function rewrapAllDataKeys(db: CatalogDb, secret: MasterKeySecret, now: number): Promise<Result<RewrapReport>> {
  const keyring = await masterKeyring(secret);
  if (!keyring.ok) return keyring;
  const rows = await db.select().from(dataKeys).all();
  const stale = rows.filter((r) => sealedKeyId(r.wrapped) !== keyring.value.activeId);
  for (let i = 0; i < stale.length; i += REWRAP_BATCH) {
    const statements: D1PreparedStatement[] = [];
    for (const row of stale.slice(i, i + REWRAP_BATCH)) {
      const context = wrapContext(row.generation, row.store as KeyStore, row.version);
      const raw = await open(keyring.value, row.wrapped, context);
      if (!raw.ok) return fail({ reason: "unavailable", detail: `the ${row.store} data key (version ${row.version}) of generation ${row.generation} cannot be unwrapped; keep its master key in FS_MASTER_KEYS` });
      const wrapped = await seal(keyring.value, raw.value, context);
      const { sql, params } = db
        .update(dataKeys)
        .set({ wrapped, wrappedAt: now })
        .where(and(eq(dataKeys.generation, row.generation), eq(dataKeys.store, row.store), eq(dataKeys.version, row.version), eq(dataKeys.wrapped, row.wrapped)))
        .toSQL();
      statements.push(db.$client.prepare(sql).bind(...params));
    }
    await db.$client.batch(statements);
  }
  return ok({ rewrapped: stale.length, alreadyCurrent: rows.length - stale.length, activeMasterKeyId: keyring.value.activeId });
}
