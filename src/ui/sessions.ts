import { and, eq, lt } from "drizzle-orm";
import type { CatalogDb } from "../catalog";
import { toBase64Url } from "../crypto";
import { uiSessions } from "./schema";

/**
 * Web catalog sessions in D1. The browser holds a random token; the table
 * holds its SHA-256, the access key id it acts for (never the secret) and
 * the CSRF token of its forms. Every sign-in makes a new session, so an id
 * planted before sign-in (fixation) is never the one that gets signed in.
 */

/** Idle timeout: a session not used for this long is over. */
export const SESSION_IDLE_MS = 8 * 3600_000;
/** Absolute lifetime, however active: the key's policy and status are re-read on every request, but a day bounds a stolen cookie. */
export const SESSION_MAX_MS = 24 * 3600_000;
/** last_seen_at is written at most this often, so browsing does not write D1 on every page. */
const TOUCH_EVERY_MS = 60_000;
/** 256-bit tokens. */
const TOKEN_BYTES = 32;

export interface UiSession {
  accessKeyId: string;
  csrfToken: string;
  expiresAt: number;
}

const randomToken = (): string => toBase64Url(crypto.getRandomValues(new Uint8Array(TOKEN_BYTES)));

async function hashOf(token: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Starts a session for a verified access key; returns the cookie's token and the session. Sweeps expired sessions on the way. */
export async function startSession(db: CatalogDb, accessKeyId: string, now: number): Promise<{ token: string; session: UiSession }> {
  const token = randomToken();
  const session: UiSession = { accessKeyId, csrfToken: randomToken(), expiresAt: now + SESSION_MAX_MS };
  await db.delete(uiSessions).where(lt(uiSessions.expiresAt, now)).run();
  await db.insert(uiSessions).values({ idHash: await hashOf(token), accessKeyId, csrfToken: session.csrfToken, createdAt: now, lastSeenAt: now, expiresAt: session.expiresAt }).run();
  return { token, session };
}

/** The live session of a cookie token, or null when unknown, idle too long or past its end. */
export async function findSession(db: CatalogDb, token: string, now: number): Promise<UiSession | null> {
  const idHash = await hashOf(token);
  const row = await db.select().from(uiSessions).where(eq(uiSessions.idHash, idHash)).get();
  if (!row) return null;
  if (row.expiresAt <= now || row.lastSeenAt + SESSION_IDLE_MS <= now) {
    await db.delete(uiSessions).where(eq(uiSessions.idHash, idHash)).run();
    return null;
  }
  if (now - row.lastSeenAt >= TOUCH_EVERY_MS) await db.update(uiSessions).set({ lastSeenAt: now }).where(and(eq(uiSessions.idHash, idHash), lt(uiSessions.lastSeenAt, now))).run();
  return { accessKeyId: row.accessKeyId, csrfToken: row.csrfToken, expiresAt: row.expiresAt };
}

/** Ends a session (sign-out); unknown tokens are ignored. */
export async function endSession(db: CatalogDb, token: string): Promise<void> {
  await db.delete(uiSessions).where(eq(uiSessions.idHash, await hashOf(token))).run();
}

/** Compares two tokens in constant time (digests first, so lengths do not leak either). */
export async function tokensEqual(presented: string, expected: string): Promise<boolean> {
  const encode = (text: string) => crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  const [a, b] = await Promise.all([encode(presented), encode(expected)]);
  return crypto.subtle.timingSafeEqual(a, b);
}
