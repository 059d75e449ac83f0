import type { StoredRecord } from "../online";

/**
 * Bounded-staleness reads: a colo-local copy of online records in the
 * Workers Cache API. A read that says how stale it may be (`maxStalenessMs`)
 * may be answered from here; every other read goes to the record's shard.
 *
 * What it will not do:
 * - hold a record of a group whose online store is encrypted (the cache is
 *   storage outside the envelope encryption; such reads go to the shard);
 * - serve a copy older than the read's bound, or past the record's expiry
 *   (both checked here, by the request's clock, whatever the Cache API's own
 *   max-age says);
 * - decide who may read: callers look it up only after authorization, and
 *   the key names the group generation and identifier only, so a copy serves
 *   every caller allowed to read that group, never anyone else;
 * - cache absences: a 404 always comes from the shard.
 *
 * A named cache (`caches.open`), not `caches.default`: the default cache is
 * the zone's CDN cache, which other Workers on the zone share; the host is
 * `.invalid` so no public request can ever address an entry.
 */

/** The largest bound a read may ask for; entries live at most this long. */
export const MAX_STALENESS_MS = 300_000;

const CACHE_NAME = "edge-feature-store:records";
const ORIGIN = "https://records.edge-feature-store.invalid";
/** When the copy was read from the shard, by the reading request's clock (epoch ms). */
const READ_AT = "x-fs-read-at";
/** The record's expiry (epoch ms), absent when it has none. */
const EXPIRES_AT = "x-fs-expires-at";

/** A record served from the colo cache, with its age at the reading request's `now`. */
export interface CachedRecord {
  record: StoredRecord;
  ageMs: number;
}

const keyOf = (generation: string, recordIdentifier: string) => `${ORIGIN}/${encodeURIComponent(generation)}/${encodeURIComponent(recordIdentifier)}`;

/** The record's copy when one is young enough for the bound and not past its expiry; null otherwise. */
export async function cachedRecord(generation: string, recordIdentifier: string, now: number, maxStalenessMs: number): Promise<CachedRecord | null> {
  const hit = await quietly("lookup", async () => (await caches.open(CACHE_NAME)).match(keyOf(generation, recordIdentifier)));
  if (!hit) return null;
  const readAt = Number(hit.headers.get(READ_AT));
  const expires = hit.headers.get(EXPIRES_AT);
  const expiresAtMs = expires === null ? null : Number(expires);
  // A copy read after this request began is younger than the request itself: age 0.
  const ageMs = Math.max(0, now - readAt);
  if (!Number.isFinite(readAt) || ageMs > maxStalenessMs || (expiresAtMs !== null && !(now < expiresAtMs))) {
    await hit.body?.cancel();
    return null;
  }
  return { record: { recordIdentifier, body: await hit.text(), expiresAtMs }, ageMs };
}

/**
 * Keeps a full record read from its shard at `readAt` (the reading
 * request's start, so stated ages err on the old side). The Cache API's
 * max-age only bounds how long the entry takes space; it is capped by the
 * record's expiry as well.
 */
export async function rememberRecord(generation: string, record: StoredRecord, readAt: number): Promise<void> {
  const lifetimeMs = record.expiresAtMs === null ? MAX_STALENESS_MS : Math.min(MAX_STALENESS_MS, record.expiresAtMs - readAt);
  const maxAge = Math.floor(lifetimeMs / 1000);
  if (maxAge < 1) return;
  const headers: Record<string, string> = { "cache-control": `max-age=${maxAge}`, "content-type": "application/json", [READ_AT]: String(readAt) };
  if (record.expiresAtMs !== null) headers[EXPIRES_AT] = String(record.expiresAtMs);
  await quietly("put", async () => (await caches.open(CACHE_NAME)).put(keyOf(generation, record.recordIdentifier), new Response(record.body, { headers })));
}

/**
 * Drops the record's copy in this colo, after a write through it changed the
 * record: reads here then see the write (read-your-writes within a colo).
 * Other colos keep theirs until it is older than their readers' bounds.
 */
export async function forgetRecord(generation: string, recordIdentifier: string): Promise<void> {
  await quietly("delete", async () => (await caches.open(CACHE_NAME)).delete(keyOf(generation, recordIdentifier)));
}

/**
 * The cache is an accelerator: a failing cache operation makes a read go to
 * the shard, and never turns a write that already happened into an error.
 * Logged without the key (identifiers may be personal data).
 */
async function quietly<T>(operation: string, run: () => Promise<T>): Promise<T | undefined> {
  try {
    return await run();
  } catch (error) {
    console.error("record cache operation failed", { operation, error: error instanceof Error ? error.message : String(error) });
    return undefined;
  }
}
