import { epochMsOfKey, eventKeyFromEpochMs, MAX_RECORD_BYTES, nextSequence, SEQUENCE_PER_MS } from "../records";
import { appendOutbox, highestOutboxSequence, migrateOutbox } from "./outbox";
import type { DeleteCommand, DeleteOutcome, GetCommand, ListCommand, ParityEntry, ParitySelection, PutCommand, PutOutcome, StoredRecord, UpdateCommand, UpdateOutcome } from "./protocol";

/**
 * The record shard's storage logic over the Durable Object's SQLite. Plain
 * functions that take `now`, so the object class stays a thin RPC shell.
 *
 * Version order (records/order.ts): every write the shard applies gets a
 * write sequence from the shard's hybrid clock, later than every sequence
 * it has stored or seen, and the same sequence travels to the offline row.
 * A put (or a soft delete) applies online when no live record exists or it
 * is newer by (event key, write sequence): for the shard's own stamps that
 * is event key >= the stored one (ties: the later write wins); bulk rows
 * bring the stamps their offline rows carry and apply only if newer. A
 * record past its expiresAt counts as absent, exactly as after the expiry
 * alarm removed it, so the outcome never depends on when the alarm ran.
 */
export const SHARD_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS records (
     record_identifier TEXT PRIMARY KEY,
     event_key TEXT NOT NULL,
     expires_at INTEGER,
     deleted INTEGER NOT NULL DEFAULT 0,
     offline INTEGER NOT NULL DEFAULT 0,
     body TEXT,
     written_at INTEGER NOT NULL,
     write_sequence INTEGER NOT NULL DEFAULT 0,
     cached_until INTEGER NOT NULL DEFAULT 0
   )`,
  `CREATE INDEX IF NOT EXISTS records_by_expiry ON records (expires_at) WHERE expires_at IS NOT NULL`,
  `CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
];

/** SQLite's bound-parameter limit in Durable Objects. */
const MAX_BOUND_PARAMETERS = 100;
/** Expired rows removed per alarm run, so one run stays short. */
export const EXPIRY_SWEEP_BATCH = 500;

/**
 * Columns added after shards first stored data, added in place to existing
 * shard databases. records.write_sequence: the stored version's place in the
 * version order; rows from before it hold 0, so any later write is newer.
 */
const ADDED_COLUMNS = [
  { table: "records", column: "write_sequence", ddl: "ALTER TABLE records ADD COLUMN write_sequence INTEGER NOT NULL DEFAULT 0" },
  { table: "records", column: "cached_until", ddl: "ALTER TABLE records ADD COLUMN cached_until INTEGER NOT NULL DEFAULT 0" },
];

/**
 * How long after a bounded-staleness read a colo may serve its copy: the
 * largest bound a read may ask for (MAX_STALENESS_MS in
 * src/service/read-cache.ts), plus a second for the copy's whole-second
 * max-age. A copy is never served older than its reader's bound, by the
 * reader's clock, so after this no write needs to look for it.
 */
export const CACHED_COPY_WINDOW_MS = 301_000;

/**
 * Meta key: until when any record of the shard may have a cached copy the
 * rows do not record: a hard delete removed a row whose copy may still be
 * served, or the shard's rows predate `cached_until`.
 */
const ANY_COPY_UNTIL = "any_cached_copy_until";

export interface ShardMeta {
  catalogVersion: number;
  dropped: boolean;
}

export function migrateShard(sql: SqlStorage, now: number): void {
  migrateOutbox(sql);
  for (const statement of SHARD_SCHEMA) sql.exec(statement);
  for (const { table, column, ddl } of ADDED_COLUMNS) {
    const columns = sql.exec<{ name: string }>("SELECT name FROM pragma_table_info(?)", table).toArray();
    if (columns.some((c) => c.name === column)) continue;
    sql.exec(ddl);
    // Copies made before the shard marked them may be served for one more window.
    if (column === "cached_until") extendAnyCopyUntil(sql, now + CACHED_COPY_WINDOW_MS);
  }
}

function extendAnyCopyUntil(sql: SqlStorage, until: number): void {
  sql.exec("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = MAX(CAST(value AS INTEGER), excluded.value)", ANY_COPY_UNTIL, String(until));
}

function anyCopyUntil(sql: SqlStorage): number {
  const row = sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", ANY_COPY_UNTIL).toArray()[0];
  return row ? Number(row.value) : 0;
}

/**
 * The shard's clock of write sequences: the last stamp given or seen, in
 * memory. After a restart it resumes from the highest stamp still stored
 * in the outbox or saved in meta (bulk stamps ahead of the clock are saved
 * there); past that, the wall clock keeps stamps increasing.
 */
export interface SequenceClock {
  last: number;
}

export function readSequenceClock(sql: SqlStorage): SequenceClock {
  const saved = sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'last_sequence'").toArray()[0];
  return { last: Math.max(Number(saved?.value ?? 0), highestOutboxSequence(sql)) };
}

/** Stamps a write applied at `now`, later than the clock and than `floor` (a stored version's sequence). */
function stamp(clock: SequenceClock, now: number, floor = 0): number {
  clock.last = nextSequence(clock.last, now, floor);
  return clock.last;
}

/** Moves the clock past stamps a caller assigned; saves it when they run ahead of the wall clock, so a restart stays past them. */
function observe(sql: SqlStorage, clock: SequenceClock, sequences: Iterable<number>, now: number): void {
  let last = clock.last;
  for (const sequence of sequences) if (sequence > last) last = sequence;
  if (last === clock.last) return;
  clock.last = last;
  if (last > now * SEQUENCE_PER_MS) sql.exec("INSERT INTO meta (key, value) VALUES ('last_sequence', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", String(last));
}

export function readShardMeta(sql: SqlStorage): ShardMeta {
  const meta: ShardMeta = { catalogVersion: 0, dropped: false };
  for (const row of sql.exec<{ key: string; value: string }>("SELECT key, value FROM meta")) {
    if (row.key === "catalog_version") meta.catalogVersion = Number(row.value);
    if (row.key === "dropped") meta.dropped = row.value === "1";
  }
  return meta;
}

export function writeShardMeta(sql: SqlStorage, meta: ShardMeta): void {
  sql.exec(
    "INSERT INTO meta (key, value) VALUES ('catalog_version', ?), ('dropped', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    String(meta.catalogVersion),
    meta.dropped ? "1" : "0",
  );
}

interface ExpiringRow {
  record_identifier: string;
  expires_at: number;
  offline: number;
  body: string | null;
  [key: string]: SqlStorageValue;
}

/**
 * Removes an expired row as the expiry sweep does, writing its offline
 * deletion row (at the expiry instant, so as-of reads before it still see
 * the record) when its group has an offline store.
 */
function expireRow(sql: SqlStorage, clock: SequenceClock, row: ExpiringRow, catalogVersion: number, now: number): void {
  sql.exec("DELETE FROM records WHERE record_identifier = ?", row.record_identifier);
  if (row.offline && row.body !== null) {
    const writeSequence = stamp(clock, now);
    appendOutbox(sql, { kind: "expire", recordIdentifier: row.record_identifier, eventKey: eventKeyFromEpochMs(row.expires_at), body: row.body, isDeleted: true, apiInvocationTimeMs: now, catalogVersion, writeSequence }, now);
  }
}

interface LiveRow {
  event_key: string;
  write_sequence: number;
  /** Until when a colo may serve a cached copy (markCached); 0 when no bounded read took the record. */
  cached_until: number;
  [key: string]: SqlStorageValue;
}

/** Whether a write at (eventKey, sequence) is newer than the stored version. */
const newerThan = (eventKey: string, sequence: number, stored: LiveRow): boolean => eventKey > stored.event_key || (eventKey === stored.event_key && sequence > stored.write_sequence);

/**
 * The live row for an identifier, or null. An expired row found here is
 * swept first, exactly as the alarm would have, so the offline store gets
 * its deletion row however late the alarm runs.
 */
function liveRow(sql: SqlStorage, clock: SequenceClock, recordIdentifier: string, catalogVersion: number, now: number): LiveRow | null {
  // One small read in the common case; the body is fetched only for an expired row that owes its expiry row.
  const row = sql
    .exec<{ event_key: string; write_sequence: number; expires_at: number | null; offline: number; cached_until: number }>(
      "SELECT event_key, write_sequence, expires_at, offline, cached_until FROM records WHERE record_identifier = ?",
      recordIdentifier,
    )
    .toArray()[0];
  if (!row) return null;
  if (row.expires_at === null || row.expires_at > now) return row;
  const body = row.offline ? (sql.exec<{ body: string | null }>("SELECT body FROM records WHERE record_identifier = ?", recordIdentifier).toArray()[0]?.body ?? null) : null;
  expireRow(sql, clock, { record_identifier: recordIdentifier, expires_at: row.expires_at, offline: row.offline, body }, catalogVersion, now);
  return null;
}

/** Applies a put: the online change and its outbox row commit together. */
export function putRecord(storage: DurableObjectStorage, clock: SequenceClock, cmd: PutCommand, now: number): PutOutcome {
  return storage.transactionSync(() => applyPut(storage.sql, clock, cmd, now));
}

/**
 * Applies puts in order in one transaction (bulk ingest). Each put runs
 * without a savepoint of its own: a nested transactionSync per row costs
 * two more statements each, and the batch commits or fails as a whole.
 */
export function putRecords(storage: DurableObjectStorage, clock: SequenceClock, cmds: readonly PutCommand[], now: number): boolean[] {
  return storage.transactionSync(() => {
    const sql = storage.sql;
    // Bulk rows bring their stamps: whatever the shard stamps after them must come later.
    observe(sql, clock, cmds.flatMap((cmd) => (cmd.writeSequence === undefined ? [] : [cmd.writeSequence])), now);
    if (!cmds.every((cmd) => cmd.online && cmd.writeSequence !== undefined && (cmd.expiresAtMs === null || cmd.expiresAtMs > now))) return cmds.map((cmd) => applyPut(sql, clock, cmd, now).applied);
    // No row of the batch is born expired, so only rows stored before it can be: sweep those first, then upsert the rows in runs.
    expireStored(sql, clock, cmds, now);
    const applied: boolean[] = [];
    for (let start = 0; start < cmds.length; ) {
      const run = distinctRun(cmds, start);
      const written = upsertIfNewer(sql, run, now);
      for (const cmd of run) {
        applied.push(written.has(cmd.recordIdentifier));
        if (cmd.offline && !cmd.offlineRowWritten) {
          appendOutbox(sql, { kind: "put", recordIdentifier: cmd.recordIdentifier, eventKey: cmd.eventKey, body: cmd.body, isDeleted: false, apiInvocationTimeMs: cmd.apiInvocationTimeMs, catalogVersion: cmd.catalogVersion, writeSequence: cmd.writeSequence! }, now);
        }
      }
      start += run.length;
    }
    return applied;
  });
}

/** Values bound per row by upsertIfNewer (plus `now`, bound once), and so the most rows one statement takes. */
const UPSERT_PARAMETERS = 6;
const MAX_UPSERT_ROWS = Math.floor((MAX_BOUND_PARAMETERS - 1) / UPSERT_PARAMETERS);

/** The puts from `start` on, up to MAX_UPSERT_ROWS, that name distinct identifiers (so RETURNING tells each one's outcome). */
function distinctRun(cmds: readonly PutCommand[], start: number): PutCommand[] {
  const ids = new Set<string>();
  const run: PutCommand[] = [];
  for (let i = start; i < cmds.length && run.length < MAX_UPSERT_ROWS; i++) {
    const cmd = cmds[i]!;
    if (ids.has(cmd.recordIdentifier)) break;
    ids.add(cmd.recordIdentifier);
    run.push(cmd);
  }
  return run;
}

/** Sweeps, as liveRow would, the rows of these puts' identifiers that expired before the batch. */
function expireStored(sql: SqlStorage, clock: SequenceClock, cmds: readonly PutCommand[], now: number): void {
  const expired = sql
    .exec<ExpiringRow>(
      "SELECT record_identifier, expires_at, offline, body FROM records WHERE record_identifier IN (SELECT value FROM json_each(?)) AND expires_at IS NOT NULL AND expires_at <= ?",
      JSON.stringify(cmds.map((cmd) => cmd.recordIdentifier)),
      now,
    )
    .toArray();
  for (const row of expired) expireRow(sql, clock, row, cmds[0]!.catalogVersion, now);
}

/**
 * applyPut for online puts of distinct identifiers, each with its stamp,
 * when no stored row is expired, as one statement: the version rule is the
 * upsert's WHERE (a stored row older by event key, or by sequence at an
 * equal one, is replaced) and RETURNING names the rows it applied to.
 * Statements per chunk drop from two per row to one per MAX_UPSERT_ROWS rows.
 */
function upsertIfNewer(sql: SqlStorage, run: readonly PutCommand[], now: number): Set<string> {
  // Numbered parameters: ?1 is `now`, then six per row, so one statement text per run length (the statement cache keys on it).
  const params: SqlStorageValue[] = [now];
  for (const cmd of run) params.push(cmd.recordIdentifier, cmd.eventKey, cmd.expiresAtMs, cmd.offline ? 1 : 0, cmd.body, cmd.writeSequence!);
  const rows = sql.exec<{ record_identifier: string }>(
    `INSERT INTO records (record_identifier, event_key, expires_at, deleted, offline, body, written_at, write_sequence)
     VALUES ${run.map((_, i) => { const p = 2 + i * UPSERT_PARAMETERS; return `(?${p}, ?${p + 1}, ?${p + 2}, 0, ?${p + 3}, ?${p + 4}, ?1, ?${p + 5})`; }).join(", ")}
     ON CONFLICT (record_identifier) DO UPDATE SET event_key = excluded.event_key, expires_at = excluded.expires_at,
       deleted = 0, offline = excluded.offline, body = excluded.body, written_at = excluded.written_at, write_sequence = excluded.write_sequence
     WHERE excluded.event_key > records.event_key OR (excluded.event_key = records.event_key AND excluded.write_sequence > records.write_sequence)
     RETURNING record_identifier`,
    ...params,
  );
  return new Set(rows.toArray().map((row) => row.record_identifier));
}

function applyPut(sql: SqlStorage, clock: SequenceClock, cmd: PutCommand, now: number): PutOutcome {
  let applied = false;
  let cachedCopy = false;
  let writeSequence = cmd.writeSequence;
  if (cmd.online) {
    const stored = liveRow(sql, clock, cmd.recordIdentifier, cmd.catalogVersion, now);
    cachedCopy = (stored !== null && stored.cached_until > now) || anyCopyUntil(sql) > now;
    writeSequence ??= stamp(clock, now, stored?.write_sequence);
    if (!stored || newerThan(cmd.eventKey, writeSequence, stored)) {
      sql.exec(
        `INSERT INTO records (record_identifier, event_key, expires_at, deleted, offline, body, written_at, write_sequence) VALUES (?, ?, ?, 0, ?, ?, ?, ?)
         ON CONFLICT (record_identifier) DO UPDATE SET event_key = excluded.event_key, expires_at = excluded.expires_at,
           deleted = 0, offline = excluded.offline, body = excluded.body, written_at = excluded.written_at, write_sequence = excluded.write_sequence`,
        cmd.recordIdentifier,
        cmd.eventKey,
        cmd.expiresAtMs,
        cmd.offline ? 1 : 0,
        cmd.body,
        now,
        writeSequence,
      );
      applied = true;
    }
  }
  if (cmd.offline && !cmd.offlineRowWritten) {
    writeSequence ??= stamp(clock, now);
    appendOutbox(sql, { kind: "put", recordIdentifier: cmd.recordIdentifier, eventKey: cmd.eventKey, body: cmd.body, isDeleted: false, apiInvocationTimeMs: cmd.apiInvocationTimeMs, catalogVersion: cmd.catalogVersion, writeSequence }, now);
  }
  return { applied, cachedCopy };
}

/** Marks records a bounded-staleness read is about to keep in its colo cache: for CACHED_COPY_WINDOW_MS, puts of them report `cachedCopy`. */
export function markCached(sql: SqlStorage, recordIdentifiers: readonly string[], now: number): void {
  const chunk = MAX_BOUND_PARAMETERS - 1;
  for (let i = 0; i < recordIdentifiers.length; i += chunk) {
    const ids = recordIdentifiers.slice(i, i + chunk);
    sql.exec(`UPDATE records SET cached_until = ?1 WHERE record_identifier IN (${ids.map((_, j) => `?${j + 2}`).join(",")})`, now + CACHED_COPY_WINDOW_MS, ...ids);
  }
}

/** The named features of a record's JSON, as JSON. */
export function pick(body: string, features: readonly string[]): string {
  const record = JSON.parse(body) as Record<string, unknown>;
  const subset: Record<string, unknown> = {};
  for (const name of features) if (name in record) subset[name] = record[name];
  return JSON.stringify(subset);
}

/** Reads live records; misses are simply absent from the result. */
export function getRecords(sql: SqlStorage, cmd: GetCommand, now: number): StoredRecord[] {
  const found: StoredRecord[] = [];
  const chunk = MAX_BOUND_PARAMETERS - 1;
  for (let i = 0; i < cmd.recordIdentifiers.length; i += chunk) {
    const ids = cmd.recordIdentifiers.slice(i, i + chunk);
    const rows = sql.exec<{ record_identifier: string; body: string; expires_at: number | null }>(
      `SELECT record_identifier, body, expires_at FROM records
       WHERE record_identifier IN (${ids.map(() => "?").join(",")}) AND deleted = 0 AND (expires_at IS NULL OR expires_at > ?)`,
      ...ids,
      now,
    );
    for (const row of rows) {
      found.push({
        recordIdentifier: row.record_identifier,
        body: cmd.features ? pick(row.body, cmd.features) : row.body,
        expiresAtMs: row.expires_at,
      });
    }
  }
  return found;
}

/**
 * Applies a delete. A soft delete newer than the stored record by (event
 * time, write sequence) leaves a tombstone, which is never served and still
 * orders later puts: with the shard's own stamp, that is any delete whose
 * event time is not older, so a delete at the stored event time wins, as it
 * does offline. An older one leaves the record and still writes the offline
 * marker. A hard delete with a strictly newer event time removes the record
 * (SageMaker's rule); otherwise it is refused and writes nothing.
 */
export function deleteRecord(storage: DurableObjectStorage, clock: SequenceClock, cmd: DeleteCommand, now: number): DeleteOutcome {
  return storage.transactionSync((): DeleteOutcome => {
    const sql = storage.sql;
    let outcome: DeleteOutcome = { outcome: "deleted" };
    let writeSequence: number | undefined;
    if (cmd.online) {
      const stored = liveRow(sql, clock, cmd.recordIdentifier, cmd.catalogVersion, now);
      if (cmd.mode === "hard") {
        if (stored && cmd.eventKey <= stored.event_key) return { outcome: "refused_not_newer", storedEventKey: stored.event_key };
        // The row that says a copy may be served goes: the shard as a whole remembers it until then.
        if (stored && stored.cached_until > now) extendAnyCopyUntil(sql, stored.cached_until);
        sql.exec("DELETE FROM records WHERE record_identifier = ?", cmd.recordIdentifier);
      } else {
        writeSequence = stamp(clock, now, stored?.write_sequence);
        if (!stored || newerThan(cmd.eventKey, writeSequence, stored)) {
          sql.exec(
            `INSERT INTO records (record_identifier, event_key, expires_at, deleted, offline, body, written_at, write_sequence) VALUES (?, ?, NULL, 1, ?, NULL, ?, ?)
             ON CONFLICT (record_identifier) DO UPDATE SET event_key = excluded.event_key, expires_at = NULL, deleted = 1,
               offline = excluded.offline, body = NULL, written_at = excluded.written_at, write_sequence = excluded.write_sequence`,
            cmd.recordIdentifier,
            cmd.eventKey,
            cmd.offline ? 1 : 0,
            now,
            writeSequence,
          );
        } else {
          outcome = { outcome: "online_unchanged" };
        }
      }
    }
    if (cmd.offline) {
      writeSequence ??= stamp(clock, now);
      appendOutbox(sql, { kind: "delete", recordIdentifier: cmd.recordIdentifier, eventKey: cmd.eventKey, body: cmd.body, isDeleted: true, apiInvocationTimeMs: cmd.apiInvocationTimeMs, catalogVersion: cmd.catalogVersion, writeSequence }, now);
    }
    return outcome;
  });
}

const utf8 = new TextEncoder();

/** The stored body of an identifier (sealed or not), read before an encrypted update. */
export function storedBody(sql: SqlStorage, recordIdentifier: string): string | null {
  return sql.exec<{ body: string | null }>("SELECT body FROM records WHERE record_identifier = ?", recordIdentifier).toArray()[0]?.body ?? null;
}

/** The stored record with the update's features merged in, as JSON. */
export function mergeFeatures(body: string, features: string): string {
  return JSON.stringify({ ...(JSON.parse(body) as object), ...(JSON.parse(features) as object) });
}

/**
 * An update of an encrypted record, decrypted and re-sealed outside the
 * transaction (WebCrypto is asynchronous): it applies only if the stored
 * body is still the one it was computed from.
 */
export interface PreparedUpdate {
  storedBody: string | null;
  /** The merged record, sealed; null when there was nothing to merge into. */
  body: string | null;
  /** Size of the merged record as plaintext JSON. */
  plainBytes: number;
}

/**
 * Applies a partial update (SageMaker UpdateRecord): the given features are
 * merged into the live record. A missing record, or an event time older than
 * the stored one, changes nothing.
 */
export function updateRecord(storage: DurableObjectStorage, clock: SequenceClock, cmd: UpdateCommand, now: number, prepared?: PreparedUpdate): UpdateOutcome | { outcome: "changed_meanwhile" } {
  return storage.transactionSync((): UpdateOutcome | { outcome: "changed_meanwhile" } => {
    const sql = storage.sql;
    const stored = sql
      .exec<{ event_key: string; expires_at: number | null; body: string | null; deleted: number; write_sequence: number }>(
        "SELECT event_key, expires_at, body, deleted, write_sequence FROM records WHERE record_identifier = ?",
        cmd.recordIdentifier,
      )
      .toArray()[0];
    if (prepared && (stored?.body ?? null) !== prepared.storedBody) return { outcome: "changed_meanwhile" };
    if (!stored || stored.deleted || stored.body === null || (stored.expires_at !== null && stored.expires_at <= now)) return { outcome: "not_found" };
    if (cmd.eventKey !== null && cmd.eventKey < stored.event_key) return { outcome: "older_event_time", storedEventKey: stored.event_key };
    const body = prepared?.body ?? mergeFeatures(stored.body, cmd.features);
    const sizeBytes = prepared ? prepared.plainBytes : utf8.encode(body).byteLength;
    if (sizeBytes > MAX_RECORD_BYTES) return { outcome: "too_large", sizeBytes };
    const eventKey = cmd.eventKey ?? stored.event_key;
    const expiresAtMs = cmd.ttlMs === undefined ? stored.expires_at : cmd.ttlMs === null ? null : epochMsOfKey(eventKey) + cmd.ttlMs;
    const writeSequence = stamp(clock, now, stored.write_sequence);
    if (cmd.online) {
      sql.exec(
        "UPDATE records SET event_key = ?, expires_at = ?, body = ?, written_at = ?, write_sequence = ? WHERE record_identifier = ?",
        eventKey,
        expiresAtMs,
        body,
        now,
        writeSequence,
        cmd.recordIdentifier,
      );
    }
    if (cmd.offline) {
      appendOutbox(sql, { kind: "put", recordIdentifier: cmd.recordIdentifier, eventKey, body, isDeleted: false, apiInvocationTimeMs: cmd.apiInvocationTimeMs, catalogVersion: cmd.catalogVersion, writeSequence }, now);
    }
    return { outcome: "updated", expiresAtMs };
  });
}

/** Identifiers in order after a bound: live records, and tombstones when asked. */
export function listRecordIdentifiers(sql: SqlStorage, cmd: ListCommand, now: number): string[] {
  return sql
    .exec<{ record_identifier: string }>(
      `SELECT record_identifier FROM records
       WHERE record_identifier > ? AND (expires_at IS NULL OR expires_at > ?) ${cmd.includeSoftDeleted ? "" : "AND deleted = 0"}
       ORDER BY record_identifier LIMIT ?`,
      cmd.after ?? "",
      now,
      cmd.limit,
    )
    .toArray()
    .map((row) => row.record_identifier);
}

/**
 * The identifiers a parity audit page covers, in identifier order: every
 * one with a record row (tombstones included) or an outbox row, with its
 * state. Reads only: an expired row is reported as such, not swept. The
 * outbox has no index on identifiers; it is small once drained, and only
 * audits read it this way.
 */
export function parityEntries(sql: SqlStorage, select: ParitySelection, now: number): ParityEntry[] {
  const ids =
    "recordIdentifiers" in select
      ? [...new Set(select.recordIdentifiers)]
      : sql
          .exec<{ id: string }>(
            `SELECT record_identifier AS id FROM records WHERE record_identifier > ?1 AND (?2 IS NULL OR record_identifier <= ?2)
             UNION SELECT record_identifier FROM outbox WHERE record_identifier > ?1 AND (?2 IS NULL OR record_identifier <= ?2)
             ORDER BY 1 LIMIT ?3`,
            select.after ?? "",
            select.atMost,
            select.limit,
          )
          .toArray()
          .map((row) => row.id);
  if (ids.length === 0) return [];
  const list = JSON.stringify(ids);
  const rows = new Map(
    sql
      .exec<{ record_identifier: string; event_key: string; expires_at: number | null; deleted: number; body: string | null; write_sequence: number }>(
        "SELECT record_identifier, event_key, expires_at, deleted, body, write_sequence FROM records WHERE record_identifier IN (SELECT value FROM json_each(?))",
        list,
      )
      .toArray()
      .map((row) => [row.record_identifier, row]),
  );
  const pending = new Set(
    sql
      .exec<{ record_identifier: string }>("SELECT DISTINCT record_identifier FROM outbox WHERE record_identifier IN (SELECT value FROM json_each(?))", list)
      .toArray()
      .map((row) => row.record_identifier),
  );
  return ids.map((id): ParityEntry => {
    const row = rows.get(id);
    const base = { recordIdentifier: id, pending: pending.has(id) };
    if (!row) return { ...base, state: "absent", body: null, eventKey: null, writeSequence: null };
    const state = row.deleted ? "deleted" : row.expires_at !== null && row.expires_at <= now ? "expired" : "live";
    return { ...base, state, body: row.deleted ? null : row.body, eventKey: row.event_key, writeSequence: row.write_sequence };
  });
}

/**
 * Removes up to EXPIRY_SWEEP_BATCH expired records, writing an offline
 * deletion row for each that belongs to an offline-enabled group.
 */
export function removeExpired(storage: DurableObjectStorage, clock: SequenceClock, catalogVersion: number, now: number): number {
  return storage.transactionSync(() => {
    const sql = storage.sql;
    const expired = sql
      .exec<ExpiringRow>(
        "SELECT record_identifier, expires_at, offline, body FROM records WHERE expires_at IS NOT NULL AND expires_at <= ? ORDER BY expires_at LIMIT ?",
        now,
        EXPIRY_SWEEP_BATCH,
      )
      .toArray();
    for (const row of expired) expireRow(sql, clock, row, catalogVersion, now);
    return expired.length;
  });
}

/** The earliest expiry still stored, in epoch ms. */
export function nextExpiry(sql: SqlStorage): number | null {
  for (const row of sql.exec<{ at: number | null }>("SELECT MIN(expires_at) AS at FROM records WHERE expires_at IS NOT NULL")) {
    return row.at;
  }
  return null;
}

/** Forgets every record of a dropped generation; the outbox stays for the offline store. */
export function dropRecords(storage: DurableObjectStorage): void {
  storage.transactionSync(() => {
    storage.sql.exec("DELETE FROM records");
  });
}
