import type { OfflineRow, OfflineRowKind } from "../offline/message";

/**
 * The transactional outbox: offline rows written in the same SQLite
 * transaction as the online change. Rows are sealed into numbered batches
 * before they are sent, so a batch keeps its identity (and its rows) however
 * often sending it has to be retried.
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

/**
 * Columns added to the outbox after shards first stored rows, with the DDL
 * that adds each in place (SQLite cannot add a column IF NOT EXISTS).
 * write_sequence: the write's place in the version order (records/order.ts);
 * rows appended before it existed are NULL and are sent as created_at × 1000.
 */
export const OUTBOX_ADDED_COLUMNS: readonly { table: string; column: string; ddl: string }[] = [
  { table: "outbox", column: "write_sequence", ddl: "ALTER TABLE outbox ADD COLUMN write_sequence INTEGER" },
];

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

/** What waits to be sent: sealed or not. */
export function outboxBacklog(sql: SqlStorage): OutboxBacklog {
  const row = sql
    .exec<{ rows: number; bytes: number | null; oldest: number | null }>(
      "SELECT COUNT(*) AS rows, SUM(LENGTH(CAST(body AS BLOB))) AS bytes, MIN(created_at) AS oldest FROM outbox",
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
  bytes: number;
  rows: OfflineRow[];
}

/** The oldest sealed batches, with their rows. */
export function sealedBatches(sql: SqlStorage, limit: number): SealedBatch[] {
  const batches = sql.exec<{ batch: number; attempts: number; bytes: number }>("SELECT batch, attempts, bytes FROM outbox_batches ORDER BY batch LIMIT ?", limit).toArray();
  return batches.map((b) => ({
    ...b,
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

/** Forgets batches the queue has accepted. */
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
  rows: number;
  sealedBatches: number;
  /** Failed sends of the most-retried waiting batch. */
  maxAttempts: number;
  oldestAt: number | null;
}

/** What a shard still owes the offline store, and how its sends are going. */
export function outboxStatus(sql: SqlStorage): OutboxStatus {
  const rows = sql.exec<{ rows: number; oldest: number | null }>("SELECT COUNT(*) AS rows, MIN(created_at) AS oldest FROM outbox").one();
  const batches = sql.exec<{ batches: number; attempts: number | null }>("SELECT COUNT(*) AS batches, MAX(attempts) AS attempts FROM outbox_batches").one();
  return { rows: rows.rows, sealedBatches: batches.batches, maxAttempts: batches.attempts ?? 0, oldestAt: rows.oldest };
}
