import type { OfflineRow, OfflineRowKind } from "../offline/message";

/**
 * The transactional outbox: offline rows written in the same SQLite
 * transaction as the online change. Rows are sealed into numbered batches
 * before they are sent, so a batch keeps its identity (and its rows) however
 * often sending it has to be retried.
 *
 * The outbox, not the queue, is the source of truth until the offline
 * manifest holds a batch: a sent batch stays (with `sent_at`) until its
 * registration is confirmed, and is sent again when that takes too long. A
 * queue can lose a message (a local queue lives in memory; in production a
 * purge, retention expiry or an unreplayed dead letter); the outbox cannot.
 */
export const OUTBOX_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS outbox (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     kind TEXT NOT NULL,
     record_identifier TEXT NOT NULL,
     event_key TEXT NOT NULL,
     body TEXT NOT NULL,
     is_deleted INTEGER NOT NULL,
     api_invocation_time INTEGER NOT NULL,
     catalog_version INTEGER NOT NULL,
     created_at INTEGER NOT NULL,
     batch INTEGER,
     write_sequence INTEGER
   )`,
  `CREATE INDEX IF NOT EXISTS outbox_by_batch ON outbox (batch, seq)`,
  `CREATE TABLE IF NOT EXISTS outbox_batches (
     batch INTEGER PRIMARY KEY AUTOINCREMENT,
     row_count INTEGER NOT NULL,
     bytes INTEGER NOT NULL,
     sealed_at INTEGER NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0
   )`,
];

/** Columns added after the first release; existing shard databases gain them in place. */
const OUTBOX_BATCH_COLUMNS: readonly { name: string; ddl: string }[] = [
  { name: "sent_at", ddl: "ALTER TABLE outbox_batches ADD COLUMN sent_at INTEGER" },
  { name: "sends", ddl: "ALTER TABLE outbox_batches ADD COLUMN sends INTEGER NOT NULL DEFAULT 0" },
];

/**
 * Columns of outbox rows added after the first release. write_sequence: the
 * write's place in the version order (records/order.ts); rows appended
 * before it existed are NULL and are sent as created_at × 1000.
 */
const OUTBOX_ROW_COLUMNS: readonly { name: string; ddl: string }[] = [{ name: "write_sequence", ddl: "ALTER TABLE outbox ADD COLUMN write_sequence INTEGER" }];

/** Creates the outbox tables, or brings an older shard's up to date. */
export function migrateOutbox(sql: SqlStorage): void {
  for (const statement of OUTBOX_SCHEMA) sql.exec(statement);
  const present = new Set(sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('outbox_batches')").toArray().map((c) => c.name));
  for (const column of OUTBOX_BATCH_COLUMNS) if (!present.has(column.name)) sql.exec(column.ddl);
  const rowColumns = new Set(sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('outbox')").toArray().map((c) => c.name));
  for (const column of OUTBOX_ROW_COLUMNS) if (!rowColumns.has(column.name)) sql.exec(column.ddl);
}

/** The highest write sequence the outbox holds (0 when none): part of the shard clock's state after a restart. */
export function highestOutboxSequence(sql: SqlStorage): number {
  return sql.exec<{ last: number | null }>("SELECT MAX(write_sequence) AS last FROM outbox").one().last ?? 0;
}

/** Rough JSON size of a row beyond its body, for message sizing. */
const ROW_OVERHEAD_BYTES = 200;

export interface SealLimits {
  maxRows: number;
  maxBytes: number;
}

/** Appends a row accepted at `now` (its knowledge time) with its write sequence. */
export function appendOutbox(sql: SqlStorage, row: OfflineRow & { writeSequence: number }, now: number): void {
  sql.exec(
    "INSERT INTO outbox (kind, record_identifier, event_key, body, is_deleted, api_invocation_time, catalog_version, created_at, write_sequence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    row.kind,
    row.recordIdentifier,
    row.eventKey,
    row.body,
    row.isDeleted ? 1 : 0,
    row.apiInvocationTimeMs,
    row.catalogVersion,
    now,
    row.writeSequence,
  );
}

export interface OutboxBacklog {
  rows: number;
  bytes: number;
  oldestAt: number | null;
}

/** What waits to be sent, sealed or not (sent batches awaiting confirmation are not counted). */
export function outboxBacklog(sql: SqlStorage): OutboxBacklog {
  const row = sql
    .exec<{ rows: number; bytes: number | null; oldest: number | null }>(
      `SELECT COUNT(*) AS rows, SUM(LENGTH(CAST(o.body AS BLOB))) AS bytes, MIN(o.created_at) AS oldest
       FROM outbox o LEFT JOIN outbox_batches b ON b.batch = o.batch WHERE b.sent_at IS NULL`,
    )
    .one();
  return { rows: row.rows, bytes: (row.bytes ?? 0) + row.rows * ROW_OVERHEAD_BYTES, oldestAt: row.oldest };
}

/** Groups unsealed rows, in order, into batches within the limits. A row larger than maxBytes gets a batch of its own. */
export function sealOutbox(storage: DurableObjectStorage, limits: SealLimits, now: number): void {
  storage.transactionSync(() => {
    const sql = storage.sql;
    const rows = sql.exec<{ seq: number; size: number }>("SELECT seq, LENGTH(CAST(body AS BLOB)) + ? AS size FROM outbox WHERE batch IS NULL ORDER BY seq", ROW_OVERHEAD_BYTES).toArray();
    let start = 0;
    while (start < rows.length) {
      let end = start;
      let bytes = 0;
      while (end < rows.length && end - start < limits.maxRows && (end === start || bytes + rows[end]!.size <= limits.maxBytes)) {
        bytes += rows[end]!.size;
        end += 1;
      }
      const batch = sql
        .exec<{ batch: number }>("INSERT INTO outbox_batches (row_count, bytes, sealed_at) VALUES (?, ?, ?) RETURNING batch", end - start, bytes, now)
        .one().batch;
      sql.exec("UPDATE outbox SET batch = ? WHERE batch IS NULL AND seq BETWEEN ? AND ?", batch, rows[start]!.seq, rows[end - 1]!.seq);
      start = end;
    }
  });
}

export interface SealedBatch {
  batch: number;
  attempts: number;
  /** Times the batch was handed to the queue so far. */
  sends: number;
  bytes: number;
  rows: OfflineRow[];
}

/**
 * How long a sent batch may wait for its registration before it is sent
 * again: the base delay, doubled with every send, at most MAX_REDELIVER_MS.
 * Re-sending is safe (the consumer acknowledges registered batches without
 * work); the delay only bounds the extra queue traffic while a slow consumer
 * catches up.
 */
export const MAX_REDELIVER_MS = 15 * 60_000;

export function redeliverAfterMs(baseMs: number, sends: number): number {
  return Math.min(MAX_REDELIVER_MS, baseMs * 2 ** Math.max(0, sends - 1));
}

/** The oldest sealed batches that are due: never sent, or sent and unconfirmed for longer than their redelivery delay. */
export function dueBatches(sql: SqlStorage, now: number, redeliverBaseMs: number, limit: number): SealedBatch[] {
  const due: { batch: number; attempts: number; sends: number; bytes: number }[] = [];
  const candidates = sql.exec<{ batch: number; attempts: number; sends: number; bytes: number; sent_at: number | null }>(
    "SELECT batch, attempts, sends, bytes, sent_at FROM outbox_batches ORDER BY batch",
  );
  for (const b of candidates) {
    if (b.sent_at === null || now - b.sent_at >= redeliverAfterMs(redeliverBaseMs, b.sends)) due.push(b);
    if (due.length >= limit) break;
  }
  return due.map((b) => ({
    batch: b.batch,
    attempts: b.attempts,
    sends: b.sends,
    bytes: b.bytes,
    rows: sql
      .exec<{ kind: string; record_identifier: string; event_key: string; body: string; is_deleted: number; api_invocation_time: number; catalog_version: number; write_sequence: number; created_at: number }>(
        "SELECT kind, record_identifier, event_key, body, is_deleted, api_invocation_time, catalog_version, COALESCE(write_sequence, created_at * 1000) AS write_sequence, created_at FROM outbox WHERE batch = ? ORDER BY seq",
        b.batch,
      )
      .toArray()
      .map((r) => ({
        kind: r.kind as OfflineRowKind,
        recordIdentifier: r.record_identifier,
        eventKey: r.event_key,
        body: r.body,
        isDeleted: r.is_deleted === 1,
        apiInvocationTimeMs: r.api_invocation_time,
        catalogVersion: r.catalog_version,
        writeSequence: r.write_sequence,
        availableTimeMs: r.created_at,
      })),
  }));
}

/** Notes that the queue accepted these batches; they stay until their registration is confirmed. */
export function markSent(storage: DurableObjectStorage, batches: readonly number[], now: number): void {
  storage.transactionSync(() => {
    for (const batch of batches) storage.sql.exec("UPDATE outbox_batches SET sent_at = ?, sends = sends + 1 WHERE batch = ?", now, batch);
  });
}

/** Sent batches whose registration has not been confirmed yet, oldest first. */
export function unconfirmedBatches(sql: SqlStorage, limit: number): { batch: number; sentAt: number }[] {
  return sql
    .exec<{ batch: number; sent_at: number }>("SELECT batch, sent_at FROM outbox_batches WHERE sent_at IS NOT NULL ORDER BY batch LIMIT ?", limit)
    .toArray()
    .map((b) => ({ batch: b.batch, sentAt: b.sent_at }));
}

/**
 * When the drain must look at the outbox again for sent batches: soon after
 * the latest send to confirm it (polls slow down while nothing is confirmed),
 * and at the latest when the first of them is due to be sent again.
 */
export function nextConfirmationAt(sql: SqlStorage, now: number, redeliverBaseMs: number, poll: { minMs: number; maxMs: number }): number | null {
  const row = sql
    .exec<{ newest: number | null; due: number | null }>(
      "SELECT MAX(sent_at) AS newest, MIN(sent_at + MIN(?, ? * (1 << MIN(MAX(sends, 1) - 1, 20)))) AS due FROM outbox_batches WHERE sent_at IS NOT NULL",
      MAX_REDELIVER_MS,
      redeliverBaseMs,
    )
    .one();
  if (row.newest === null || row.due === null) return null;
  const pollMs = Math.min(poll.maxMs, Math.max(poll.minMs, now - row.newest));
  return Math.min(now + pollMs, row.due);
}

/** Forgets batches the offline manifest has registered. */
export function completeBatches(storage: DurableObjectStorage, batches: readonly number[]): void {
  storage.transactionSync(() => {
    for (const batch of batches) {
      storage.sql.exec("DELETE FROM outbox WHERE batch = ?", batch);
      storage.sql.exec("DELETE FROM outbox_batches WHERE batch = ?", batch);
    }
  });
}

/** Counts a failed send; returns the highest attempt count among the batches. */
export function recordFailedAttempt(sql: SqlStorage, batches: readonly number[]): number {
  let highest = 0;
  for (const batch of batches) {
    const row = sql.exec<{ attempts: number }>("UPDATE outbox_batches SET attempts = attempts + 1 WHERE batch = ? RETURNING attempts", batch).toArray()[0];
    highest = Math.max(highest, row?.attempts ?? 0);
  }
  return highest;
}

export interface OutboxStatus {
  /** Rows not yet confirmed in the offline manifest (sent or not). */
  rows: number;
  sealedBatches: number;
  /** Batches the queue accepted whose registration is not confirmed yet. */
  sentBatches: number;
  /** Of those, batches sent more than once because no registration came in time. */
  resentBatches: number;
  /** Failed sends of the most-retried waiting batch. */
  maxAttempts: number;
  /** Sends of the most-sent waiting batch. */
  maxSends: number;
  oldestAt: number | null;
  /** When the longest-unconfirmed batch was last sent. */
  oldestSentAt: number | null;
}

/** What a shard still owes the offline store, and how its sends are going. */
export function outboxStatus(sql: SqlStorage): OutboxStatus {
  const rows = sql.exec<{ rows: number; oldest: number | null }>("SELECT COUNT(*) AS rows, MIN(created_at) AS oldest FROM outbox").one();
  const batches = sql
    .exec<{ batches: number; sent: number | null; resent: number | null; attempts: number | null; sends: number | null; oldest_sent: number | null }>(
      `SELECT COUNT(*) AS batches, SUM(sent_at IS NOT NULL) AS sent, SUM(sends > 1) AS resent, MAX(attempts) AS attempts, MAX(sends) AS sends, MIN(sent_at) AS oldest_sent
       FROM outbox_batches`,
    )
    .one();
  return {
    rows: rows.rows,
    sealedBatches: batches.batches,
    sentBatches: batches.sent ?? 0,
    resentBatches: batches.resent ?? 0,
    maxAttempts: batches.attempts ?? 0,
    maxSends: batches.sends ?? 0,
    oldestAt: rows.oldest,
    oldestSentAt: batches.oldest_sent,
  };
}
