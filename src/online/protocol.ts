import type { DataKeyMaterial } from "../crypto/values";
import type { OutboxStatus } from "./outbox";

/**
 * The record shard's RPC surface: plain, structured-clonable data. Every
 * call carries the caller's cached catalogVersion (see catalog/cache.ts).
 */
export interface ShardCall {
  catalogVersion: number;
  /**
   * The group's online data keys when its online store is encrypted. They
   * travel with every call, like catalogVersion, and are kept in memory only:
   * the shard never persists them.
   */
  keys?: DataKeyMaterial;
}

export interface PutCommand extends ShardCall {
  recordIdentifier: string;
  eventKey: string;
  expiresAtMs: number | null;
  body: string;
  /** Write to the online store (false for offline-only puts). */
  online: boolean;
  /** The record belongs in the offline store (its TTL expiry then writes an offline deletion row). */
  offline: boolean;
  /**
   * The caller has already written this put's offline row (bulk ingest
   * writes Parquet itself), so no outbox row is added for it.
   */
  offlineRowWritten?: boolean;
  apiInvocationTimeMs: number;
  /**
   * The write's place in the version order when the caller assigned it (bulk
   * ingest, records/order.ts): the shard applies it online only if it is
   * newer than the stored record by (event time, sequence). Without it the
   * shard stamps the write itself, as the newest.
   */
  writeSequence?: number;
}

/**
 * Many puts to one shard in one call (bulk ingest), as parallel arrays:
 * what every row shares travels once, and structured clone copies four
 * arrays instead of an object with eleven fields per row.
 */
export interface PutBatch extends ShardCall {
  recordIdentifiers: string[];
  eventKeys: string[];
  /** Each row's write sequence (see PutCommand.writeSequence). */
  sequences: number[];
  expiresAtMs: (number | null)[];
  bodies: string[];
  online: boolean;
  offline: boolean;
  offlineRowWritten: boolean;
  apiInvocationTimeMs: number;
}

/** The puts of a batch, one command per row. */
export function putCommandsOf(batch: PutBatch): PutCommand[] {
  const { catalogVersion, keys, online, offline, offlineRowWritten, apiInvocationTimeMs } = batch;
  return batch.recordIdentifiers.map((recordIdentifier, i) => ({
    catalogVersion,
    ...(keys ? { keys } : {}),
    recordIdentifier,
    eventKey: batch.eventKeys[i]!,
    writeSequence: batch.sequences[i]!,
    expiresAtMs: batch.expiresAtMs[i]!,
    body: batch.bodies[i]!,
    online,
    offline,
    offlineRowWritten,
    apiInvocationTimeMs,
  }));
}

export interface GetCommand extends ShardCall {
  recordIdentifiers: string[];
  /** Only these features; undefined for the whole record. */
  features?: string[];
  /**
   * Stop before the records' JSON passes this many characters (always
   * returning at least one record); the found identifiers left out are
   * listed as `unread`. Bounds what one reply adds to the caller's memory.
   */
  maxChars?: number;
  /**
   * The caller keeps the records it reads in its colo cache (a
   * bounded-staleness read): the shard marks them, so later puts of them
   * report `cachedCopy` and the writer drops its colo's copy.
   */
  fillsCache?: boolean;
}

export type DeletionMode = "soft" | "hard";

export interface DeleteCommand extends ShardCall {
  recordIdentifier: string;
  eventKey: string;
  /** The deletion's offline row (identifier and event time features), as JSON. */
  body: string;
  mode: DeletionMode;
  online: boolean;
  offline: boolean;
  apiInvocationTimeMs: number;
}

export interface UpdateCommand extends ShardCall {
  recordIdentifier: string;
  /** Canonical values of the features to change, as a JSON object. */
  features: string;
  /** The new event key, when the update carries the event-time feature. */
  eventKey: string | null;
  /** Effective TTL (record's own, else the group's) when expiry must be recomputed; undefined keeps the stored expiry. */
  ttlMs?: number | null;
  online: boolean;
  offline: boolean;
  apiInvocationTimeMs: number;
}

export interface ListCommand extends ShardCall {
  /** Exclusive lower bound on the identifier. */
  after: string | null;
  limit: number;
  includeSoftDeleted: boolean;
}

/**
 * Which identifiers a parity audit page reads (src/parity): a range in
 * identifier order (SQLite's BINARY collation, records/identifier-order.ts),
 * or named identifiers (the second look at a difference).
 */
export type ParitySelection = { after: string | null; atMost: string | null; limit: number } | { recordIdentifiers: string[] };

export interface ParityCommand extends ShardCall {
  select: ParitySelection;
}

/**
 * One identifier as the shard holds it. live: served; deleted: a
 * tombstone; expired: past its expiry, its offline deletion row not written
 * yet (the alarm or the next write of it writes that row); absent: no row
 * (hard-deleted, swept, or only ever offline).
 */
export interface ParityEntry {
  recordIdentifier: string;
  state: "live" | "deleted" | "expired" | "absent";
  /** The record as JSON (opened when the group encrypts), for live and expired rows. */
  body: string | null;
  eventKey: string | null;
  writeSequence: number | null;
  /** Outbox rows for the identifier are not yet confirmed in the offline manifest. */
  pending: boolean;
}

export type ParityOutcome = { entries: ParityEntry[] };

export interface StoredRecord {
  recordIdentifier: string;
  /** The record as JSON text, served without re-encoding. */
  body: string;
  expiresAtMs: number | null;
}

/** Why a shard refused a call before doing anything. */
export type ShardRefusal =
  | { refused: "stale_catalog"; catalogVersion: number }
  | { refused: "dropped" }
  /** A stored value could not be decrypted with the keys the call carried (the detail names the key version, never the value). */
  | { refused: "data_key"; detail: string };

/**
 * `cachedCopy`: a bounded-staleness read may have left a copy of the record
 * in some colo's cache that could still be served (the shard marks records
 * such reads take, for CACHED_COPY_WINDOW_MS), so the writer must drop its
 * colo's copy. Puts of other records make no cache call.
 */
export type PutOutcome = { applied: boolean; cachedCopy: boolean };
export type GetOutcome = { records: StoredRecord[]; unread?: string[] };
export type DeleteOutcome =
  /** soft: tombstone written; hard: row removed (or there was none). */
  | { outcome: "deleted" }
  /** soft delete older than or equal to the stored record: online unchanged, offline row still written. */
  | { outcome: "online_unchanged" }
  /** hard delete not newer than the stored record: nothing written. */
  | { outcome: "refused_not_newer"; storedEventKey: string };

export type UpdateOutcome =
  | { outcome: "updated"; expiresAtMs: number | null }
  | { outcome: "not_found" }
  | { outcome: "older_event_time"; storedEventKey: string }
  | { outcome: "too_large"; sizeBytes: number };

export type ListOutcome = { recordIdentifiers: string[] };

export type ShardReply<T> = T | ShardRefusal;

export function isRefusal<T extends object>(reply: ShardReply<T>): reply is ShardRefusal {
  return "refused" in reply;
}

/** A shard's answer to a group page: when it last changed an online record (null: not since it began keeping track) and its outbox. */
export interface ShardWriteStatus {
  lastOnlineWriteAt: number | null;
  outbox: OutboxStatus;
}
