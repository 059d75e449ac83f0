import { asc, desc, eq, gt, lt } from "drizzle-orm";
import { drizzle, type DrizzleD1Database } from "drizzle-orm/d1";
import { masterKeyring, open, seal, type MasterKeySecret } from "../crypto/keyring";
import { z } from "zod";
import { fail, invalid, ok, type Result } from "../failure";
import { fromZod } from "../validation";
import { parsePolicy, type Policy, type PolicyDocument, type ResourceScope } from "./policy";
import { accessKeys } from "./schema";

/**
 * Access keys beyond the root: creation, rotation, status, and the lookup
 * authentication uses. Secrets are generated here, sealed with the master
 * keyring bound to `access-key:<id>`, and leave only in the create/rotate
 * response.
 *
 * Lookups are cached per isolate for KEY_CACHE_MS. A change made through
 * this module drops the entry in the same isolate at once; other isolates
 * see it within KEY_CACHE_MS (the bound docs/security.md promises).
 */
export const KEY_CACHE_MS = 5_000;
export const KEY_STATUSES = ["Active", "Inactive"] as const;
export type KeyStatus = (typeof KEY_STATUSES)[number];
export const MAX_OVERLAP_SECONDS = 7 * 24 * 3600;
export const DEFAULT_OVERLAP_SECONDS = 24 * 3600;
export const MAX_NAME_LENGTH = 128;
export const MAX_RATE_PER_SECOND = 100_000;

export interface RateLimit {
  perSecond: number;
  burst: number;
}

/** A key as the admin API shows it: never the secret. */
export interface AccessKey {
  accessKeyId: string;
  name: string;
  status: KeyStatus;
  policy: PolicyDocument | null;
  /** Null: the worker's default applies. */
  rateLimit: RateLimit | null;
  expiresAt: number | null;
  rotatedTo: string | null;
  createdAt: number;
  updatedAt: number;
}

/** What authentication and authorization need, decrypted and compiled once per cache period. */
export interface ResolvedKey {
  accessKeyId: string;
  secret: string;
  status: KeyStatus;
  expiresAt: number | null;
  policy: Policy | null;
  rateLimit: RateLimit | null;
}

export interface AccessEnv extends MasterKeySecret {
  DB: D1Database;
  FS_REGION: string;
  FS_ACCOUNT_ID: string;
}

type Row = typeof accessKeys.$inferSelect;
const dbOf = (env: AccessEnv): DrizzleD1Database => drizzle(env.DB);
const scopeOf = (env: AccessEnv): ResourceScope => ({ region: env.FS_REGION, account: env.FS_ACCOUNT_ID });
const sealContext = (id: string) => `access-key:${id}`;

// AWS-shaped: a 20-character upper-case id and a 40-character secret.
const ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const ID_PREFIX = "FSAK";
const ACCESS_KEY_ID = /^FSAK[A-Z2-7]{16}$/;

function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return ID_PREFIX + Array.from(bytes, (b) => ID_ALPHABET[b & 31]).join("");
}

function randomSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(30));
  return bytes.toBase64().replace(/\+/g, "A").replace(/\//g, "B");
}

export function isAccessKeyId(id: string): boolean {
  return ACCESS_KEY_ID.test(id);
}

function viewOf(row: Row): AccessKey {
  return {
    accessKeyId: row.accessKeyId,
    name: row.name,
    status: row.status as KeyStatus,
    policy: row.policy === null ? null : (JSON.parse(row.policy) as PolicyDocument),
    rateLimit: row.rateLimitPerSecond !== null && row.rateLimitBurst !== null ? { perSecond: row.rateLimitPerSecond, burst: row.rateLimitBurst } : null,
    expiresAt: row.expiresAt,
    rotatedTo: row.rotatedTo,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

// ---- input parsing -------------------------------------------------------

export interface KeySettings {
  name?: string;
  status?: KeyStatus;
  /** null removes the policy (the key may then do nothing). */
  policy?: Policy | null;
  rateLimit?: RateLimit | null;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

const RATE_RULE = `must be an integer from 1 to ${MAX_RATE_PER_SECOND}`;
const rate = z.int({ error: RATE_RULE }).min(1, RATE_RULE).max(MAX_RATE_PER_SECOND, RATE_RULE);
const NAME_RULE = `must be a non-empty string of at most ${MAX_NAME_LENGTH} characters`;
const keyName = z
  .string({ error: NAME_RULE })
  .max(MAX_NAME_LENGTH, NAME_RULE)
  .refine((name) => name.trim() !== "", NAME_RULE);

const SETTINGS = ["name", "status", "policy", "rateLimit"] as const;

/**
 * The settings of an update (a create is the same with `name` required):
 * their shape. A policy document's own rules (actions, resources, size)
 * are compiled by parsePolicy once the shape is known.
 */
export const keySettingsSchema = z.strictObject(
  {
    name: keyName.optional(),
    status: z.enum(KEY_STATUSES, { error: "must be Active or Inactive" }).optional(),
    policy: z
      .record(z.string(), z.unknown(), { error: "must be a policy document object {Version, Statement}" })
      .nullable()
      .optional()
      .describe('An IAM-style policy {"Version": "2012-10-17", "Statement": [...]} (docs/security.md); null removes it, leaving the key allowed nothing.'),
    rateLimit: z
      .object({ perSecond: rate, burst: rate.optional() }, { error: "must be {perSecond, burst} or null" })
      .nullable()
      .optional()
      .describe("Requests per second and burst; null: the worker's default."),
  },
  { error: (issue) => (issue.code === "unrecognized_keys" ? `is not a setting of an access key (${SETTINGS.join(", ")})` : undefined) },
);

export const createKeySettingsSchema = keySettingsSchema.extend({ name: keyName });

/** Parses the settings of a create (name required) or an update (everything optional). */
export function parseKeySettings(raw: unknown, env: AccessEnv, creating: boolean): Result<KeySettings> {
  if (!isObject(raw)) return invalid("body", "must be a JSON object");
  const parsed = fromZod((creating ? createKeySettingsSchema : keySettingsSchema).safeParse(raw), "");
  if (!parsed.ok) return parsed;
  const { name, status, policy, rateLimit } = parsed.value;
  const out: KeySettings = {
    ...(name !== undefined ? { name } : {}),
    ...(status !== undefined ? { status } : {}),
    ...(rateLimit !== undefined ? { rateLimit: rateLimit === null ? null : { perSecond: rateLimit.perSecond, burst: rateLimit.burst ?? rateLimit.perSecond } } : {}),
  };
  if (policy === null) out.policy = null;
  else if (policy !== undefined) {
    const compiled = parsePolicy(policy, "policy", scopeOf(env));
    if (!compiled.ok) return compiled;
    out.policy = compiled.value;
  }
  return ok(out);
}

const OVERLAP_RULE = `must be an integer from 0 to ${MAX_OVERLAP_SECONDS}`;

/** A rotation's request: how long the old secret keeps working. */
export const rotationSchema = z.strictObject(
  {
    overlapSeconds: z
      .int({ error: OVERLAP_RULE })
      .min(0, OVERLAP_RULE)
      .max(MAX_OVERLAP_SECONDS, OVERLAP_RULE)
      .default(DEFAULT_OVERLAP_SECONDS)
      .describe(`Seconds the old secret keeps working; ${DEFAULT_OVERLAP_SECONDS} when absent.`),
  },
  { error: (issue) => (issue.code === "unrecognized_keys" ? "is not a rotation setting (overlapSeconds)" : undefined) },
);

// ---- the per-isolate cache ----------------------------------------------

/**
 * Misses are cached too: ids are random, so no id is looked up before its
 * key exists. Bounded, oldest first out, so a flood of made-up ids cannot
 * grow it without limit.
 */
const MAX_CACHED_KEYS = 10_000;
const cache = new Map<string, { key: ResolvedKey | null; loadedAt: number }>();

function remember(accessKeyId: string, key: ResolvedKey | null, now: number): void {
  cache.delete(accessKeyId);
  if (cache.size >= MAX_CACHED_KEYS) cache.delete(cache.keys().next().value!);
  cache.set(accessKeyId, { key, loadedAt: now });
}

/** Drops a key from this isolate's cache, so the change applies to the next request here. */
function forget(accessKeyId: string): void {
  cache.delete(accessKeyId);
}

/**
 * The key, decrypted, with its policy compiled; null when there is no such
 * key. Does not check status or expiry: see usableKey.
 */
export async function resolveKey(env: AccessEnv, accessKeyId: string, now: number): Promise<Result<ResolvedKey | null>> {
  if (!isAccessKeyId(accessKeyId)) return ok(null);
  const cached = cache.get(accessKeyId);
  if (cached && now - cached.loadedAt < KEY_CACHE_MS) return ok(cached.key);
  const row = await dbOf(env).select().from(accessKeys).where(eq(accessKeys.accessKeyId, accessKeyId)).get();
  let key: ResolvedKey | null = null;
  if (row) {
    const keyring = await masterKeyring(env);
    if (!keyring.ok) return keyring;
    const secret = await open(keyring.value, row.sealedSecret, sealContext(row.accessKeyId));
    if (!secret.ok) return secret;
    const view = viewOf(row);
    // Stored documents were validated on write; a failure here means the rules tightened since.
    const policy = view.policy === null ? null : parsePolicy(view.policy, "policy", scopeOf(env));
    key = {
      accessKeyId: row.accessKeyId,
      secret: new TextDecoder().decode(secret.value),
      status: view.status,
      expiresAt: view.expiresAt,
      policy: policy === null ? null : policy.ok ? policy.value : { document: view.policy!, statements: [] },
      rateLimit: view.rateLimit,
    };
  }
  remember(accessKeyId, key, now);
  return ok(key);
}

/** An Active key that has not expired; anything else authenticates as if unknown. */
export async function usableKey(env: AccessEnv, accessKeyId: string, now: number): Promise<Result<ResolvedKey | null>> {
  const key = await resolveKey(env, accessKeyId, now);
  if (!key.ok || key.value === null) return key;
  const usable = key.value.status === "Active" && (key.value.expiresAt === null || now < key.value.expiresAt);
  return ok(usable ? key.value : null);
}

// ---- admin operations ---------------------------------------------------

export interface IssuedKey {
  accessKey: AccessKey;
  secretAccessKey: string;
}

/** A new key pair. `policy` is the stored document text (already validated). */
async function insertKey(env: AccessEnv, settings: { name: string; policy: string | null; rateLimit?: RateLimit | null }, now: number): Promise<Result<IssuedKey>> {
  const keyring = await masterKeyring(env);
  if (!keyring.ok) return keyring;
  const accessKeyId = randomId();
  const secretAccessKey = randomSecret();
  const row: Row = {
    accessKeyId,
    name: settings.name,
    status: "Active",
    sealedSecret: await seal(keyring.value, new TextEncoder().encode(secretAccessKey), sealContext(accessKeyId)),
    policy: settings.policy,
    rateLimitPerSecond: settings.rateLimit?.perSecond ?? null,
    rateLimitBurst: settings.rateLimit?.burst ?? null,
    expiresAt: null,
    rotatedTo: null,
    createdAt: now,
    updatedAt: now,
  };
  await dbOf(env).insert(accessKeys).values(row);
  return ok({ accessKey: viewOf(row), secretAccessKey });
}

export async function createAccessKey(env: AccessEnv, settings: KeySettings, now: number): Promise<Result<IssuedKey>> {
  const issued = await insertKey(env, { name: settings.name!, policy: settings.policy ? JSON.stringify(settings.policy.document) : null, rateLimit: settings.rateLimit ?? null }, now);
  if (!issued.ok || settings.status === undefined || settings.status === "Active") return issued;
  const updated = await updateAccessKey(env, issued.value.accessKey.accessKeyId, { status: settings.status }, now);
  return updated.ok ? ok({ ...issued.value, accessKey: updated.value }) : updated;
}

async function rowOf(env: AccessEnv, accessKeyId: string): Promise<Result<Row>> {
  const row = isAccessKeyId(accessKeyId) ? await dbOf(env).select().from(accessKeys).where(eq(accessKeys.accessKeyId, accessKeyId)).get() : undefined;
  return row ? ok(row) : fail({ reason: "resource_not_found", kind: "access key", name: accessKeyId });
}

export async function getAccessKey(env: AccessEnv, accessKeyId: string): Promise<Result<AccessKey>> {
  const row = await rowOf(env, accessKeyId);
  return row.ok ? ok(viewOf(row.value)) : row;
}

/**
 * A page of keys by id; `after` is the last id of the previous page. With
 * `{ before }` (the web catalog's Previous): the keys just before that id,
 * still in id order; `more` then says whether keys lie before them.
 */
export async function listAccessKeys(env: AccessEnv, limit: number, cursor?: string | { before: string }): Promise<{ keys: AccessKey[]; last?: string; more: boolean }> {
  const query = dbOf(env).select().from(accessKeys);
  if (typeof cursor === "object") {
    const rows = await query.where(lt(accessKeys.accessKeyId, cursor.before)).orderBy(desc(accessKeys.accessKeyId)).limit(limit + 1).all();
    return { keys: rows.slice(0, limit).reverse().map(viewOf), more: rows.length > limit };
  }
  const rows = await (cursor ? query.where(gt(accessKeys.accessKeyId, cursor)) : query).orderBy(asc(accessKeys.accessKeyId)).limit(limit + 1).all();
  const page = rows.slice(0, limit);
  return { keys: page.map(viewOf), more: rows.length > limit, ...(rows.length > limit ? { last: page[page.length - 1]!.accessKeyId } : {}) };
}

export async function updateAccessKey(env: AccessEnv, accessKeyId: string, settings: KeySettings, now: number): Promise<Result<AccessKey>> {
  const row = await rowOf(env, accessKeyId);
  if (!row.ok) return row;
  const changes: Partial<Row> = { updatedAt: now };
  if (settings.name !== undefined) changes.name = settings.name;
  if (settings.status !== undefined) changes.status = settings.status;
  if (settings.policy !== undefined) changes.policy = settings.policy ? JSON.stringify(settings.policy.document) : null;
  if (settings.rateLimit !== undefined) {
    changes.rateLimitPerSecond = settings.rateLimit?.perSecond ?? null;
    changes.rateLimitBurst = settings.rateLimit?.burst ?? null;
  }
  await dbOf(env).update(accessKeys).set(changes).where(eq(accessKeys.accessKeyId, accessKeyId));
  forget(accessKeyId);
  return ok(viewOf({ ...row.value, ...changes }));
}

/**
 * Rotation as AWS IAM does it: a new key pair (new id, new secret) with the
 * same name, policy and limits. The old key keeps working for
 * `overlapSeconds` (0: stops at once), or until it is deleted or disabled.
 */
export async function rotateAccessKey(env: AccessEnv, accessKeyId: string, overlapSeconds: number, now: number): Promise<Result<IssuedKey & { previous: AccessKey }>> {
  const row = await rowOf(env, accessKeyId);
  if (!row.ok) return row;
  if (row.value.rotatedTo !== null) return fail({ reason: "conflict", detail: `access key ${accessKeyId} was already rotated to ${row.value.rotatedTo}; rotate that one` });
  const old = viewOf(row.value);
  // The policy is copied as stored (validated when it was written).
  const issued = await insertKey(env, { name: old.name, policy: row.value.policy, rateLimit: old.rateLimit }, now);
  if (!issued.ok) return issued;
  const expiresAt = Math.min(now + overlapSeconds * 1000, old.expiresAt ?? Number.MAX_SAFE_INTEGER);
  await dbOf(env).update(accessKeys).set({ expiresAt, rotatedTo: issued.value.accessKey.accessKeyId, updatedAt: now }).where(eq(accessKeys.accessKeyId, accessKeyId));
  forget(accessKeyId);
  return ok({
    accessKey: issued.value.accessKey,
    secretAccessKey: issued.value.secretAccessKey,
    previous: { ...old, expiresAt, rotatedTo: issued.value.accessKey.accessKeyId, updatedAt: now },
  });
}

/** Revokes a key for good: the row goes, so the id never authenticates again. */
export async function deleteAccessKey(env: AccessEnv, accessKeyId: string): Promise<Result<void>> {
  const row = await rowOf(env, accessKeyId);
  if (!row.ok) return row;
  await dbOf(env).delete(accessKeys).where(eq(accessKeys.accessKeyId, accessKeyId));
  forget(accessKeyId);
  return ok(undefined);
}
