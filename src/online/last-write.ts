/**
 * When the shard last changed its online records (a put, update or delete
 * that applied), so a group page can say how fresh the online store is
 * without scanning records: each shard keeps the time in memory and the
 * page asks every shard of the group (one RPC each, with the outbox status).
 *
 * Saving it on every write would add a row write to every PutRecord, so it
 * is saved in the shard's `meta` table at most once per LAST_WRITE_SAVE_MS:
 * while the object lives, the answer is exact; after an eviction it is at
 * most LAST_WRITE_SAVE_MS early (a burst's last writes may not be saved).
 * A shard that has not written since this existed answers null.
 */

/** At most one extra row write per shard per this interval, however many records it writes. */
export const LAST_WRITE_SAVE_MS = 1_000;

const META_KEY = "last_online_write_at";

export interface LastWrite {
  /** The newest write time this shard applied, in epoch ms. */
  at: number | null;
  /** When `at` was last saved. */
  savedAt: number | null;
}

/** The saved time, after a restart. */
export function readLastWrite(sql: SqlStorage): LastWrite {
  const row = sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", META_KEY).toArray()[0];
  const at = row ? Number(row.value) : null;
  return { at, savedAt: at };
}

/** Notes an online write at `now`, saving it when the last save is LAST_WRITE_SAVE_MS old. */
export function noteOnlineWrite(sql: SqlStorage, state: LastWrite, now: number): void {
  state.at = Math.max(state.at ?? now, now);
  if (state.savedAt !== null && now - state.savedAt < LAST_WRITE_SAVE_MS) return;
  sql.exec("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", META_KEY, String(state.at));
  state.savedAt = now;
}
