import { DurableObject } from "cloudflare:workers";
import { clockOf } from "../clock";
import type { Env } from "../env";
import { catalogDb } from "../catalog";
import { stagingPrefixOf } from "../offline/layout";
import { registeredBatches } from "../offline/manifest";
import { drainOutbox, flushPolicyFrom, retryDelayMs, type DrainTarget, type FlushPolicy } from "./drain";
import { noteOnlineWrite, readLastWrite, type LastWrite } from "./last-write";
import { outboxBacklog, outboxStatus, type OutboxBacklog, type OutboxStatus } from "./outbox";
import type {
  DeleteCommand,
  DeleteOutcome,
  GetCommand,
  GetOutcome,
  ListCommand,
  ListOutcome,
  ParityCommand,
  ParityOutcome,
  PutBatch,
  PutCommand,
  PutOutcome,
  ShardCall,
  ShardRefusal,
  ShardReply,
  ShardWriteStatus,
  StoredRecord,
  UpdateCommand,
  UpdateOutcome,
} from "./protocol";
import { putCommandsOf } from "./protocol";
import {
  deleteRecord,
  dropRecords,
  getRecords,
  markCached,
  listRecordIdentifiers,
  migrateShard,
  nextExpiry,
  parityEntries,
  putRecord,
  putRecords,
  readSequenceClock,
  readShardMeta,
  removeExpired,
  storedBody,
  updateRecord,
  writeShardMeta,
  type SequenceClock,
  type ShardMeta,
} from "./shard-store";
import { isSealedValue } from "../crypto/values";
import { ShardSealing } from "./sealing";

/** Encrypted updates racing other writes to the same record start over at most this often. */
const MAX_UPDATE_ATTEMPTS = 5;

/**
 * One shard of one feature group generation's online store. The RPC surface
 * is deliberately small; storage logic lives in shard-store.ts.
 */
export class RecordShard extends DurableObject<Env> {
  #meta: ShardMeta = { catalogVersion: 0, dropped: false };
  /** The alarm we last set, mirrored in memory to keep puts free of awaits. */
  #alarmAt: number | null = null;
  readonly #flush: FlushPolicy;
  /** Outbox backlog, mirrored in memory so each write decides its flush without a query. */
  #backlog: OutboxBacklog = { rows: 0, bytes: 0, oldestAt: null };
  #sealing: ShardSealing;
  /** The write-sequence clock (shard-store.ts): this object is the single writer of its records, so it orders their versions. */
  #clock: SequenceClock = { last: 0 };
  /** When this shard last changed an online record (last-write.ts). */
  #lastWrite: LastWrite = { at: null, savedAt: null };

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#flush = flushPolicyFrom(env);
    const name = ctx.id.name ?? "";
    this.#sealing = new ShardSealing(name.slice(0, name.lastIndexOf(":")));
    void ctx.blockConcurrencyWhile(async () => {
      migrateShard(ctx.storage.sql, this.#now());
      this.#meta = readShardMeta(ctx.storage.sql);
      this.#clock = readSequenceClock(ctx.storage.sql);
      this.#backlog = outboxBacklog(ctx.storage.sql);
      this.#lastWrite = readLastWrite(ctx.storage.sql);
      this.#alarmAt = await ctx.storage.getAlarm();
    });
  }

  async put(cmd: PutCommand): Promise<ShardReply<PutOutcome>> {
    const refusal = this.#check(cmd);
    if (refusal) return refusal;
    // Unencrypted groups take no await before the write, as before encryption existed.
    const body = cmd.keys ? await this.#sealing.seal(await this.#sealing.keysOf(cmd), cmd.recordIdentifier, cmd.body) : cmd.body;
    const now = this.#now();
    const outcome = putRecord(this.ctx.storage, this.#clock, { ...cmd, body }, now);
    if (outcome.applied) noteOnlineWrite(this.ctx.storage.sql, this.#lastWrite, now);
    if (cmd.offline && !cmd.offlineRowWritten) await this.#queuedOffline(cmd.body.length, now);
    if (outcome.applied && cmd.expiresAtMs !== null) await this.#scheduleAlarm(cmd.expiresAtMs);
    return outcome;
  }

  /**
   * Applies many puts in order (bulk ingest): one RPC and one storage
   * commit for the lot, with the same event-time rule as single puts.
   */
  async putMany(batch: PutBatch): Promise<ShardReply<{ applied: boolean[] }>> {
    if (batch.recordIdentifiers.length === 0) return { applied: [] };
    const refusal = this.#check(batch);
    if (refusal) return refusal;
    const cmds = putCommandsOf(batch);
    const keys = batch.keys ? await this.#sealing.keysOf(batch) : null;
    const sealed = keys ? await Promise.all(cmds.map(async (cmd) => ({ ...cmd, body: await this.#sealing.seal(keys, cmd.recordIdentifier, cmd.body) }))) : cmds;
    const now = this.#now();
    const applied = putRecords(this.ctx.storage, this.#clock, sealed, now);
    if (applied.includes(true)) noteOnlineWrite(this.ctx.storage.sql, this.#lastWrite, now);
    let earliestExpiry: number | null = null;
    let outboxed = false;
    for (const [i, cmd] of cmds.entries()) {
      if (cmd.offline && !cmd.offlineRowWritten) outboxed = true;
      if (cmd.offline && !cmd.offlineRowWritten) this.#backlog = { rows: this.#backlog.rows + 1, bytes: this.#backlog.bytes + cmd.body.length, oldestAt: this.#backlog.oldestAt ?? now };
      if (applied[i] && cmd.expiresAtMs !== null) earliestExpiry = Math.min(earliestExpiry ?? cmd.expiresAtMs, cmd.expiresAtMs);
    }
    if (outboxed) await this.#scheduleFlush(now);
    if (earliestExpiry !== null) await this.#scheduleAlarm(earliestExpiry);
    return { applied };
  }

  async get(cmd: GetCommand): Promise<ShardReply<GetOutcome>> {
    const refusal = this.#check(cmd);
    if (refusal) return refusal;
    const now = this.#now();
    const found = getRecords(this.ctx.storage.sql, { ...cmd, features: undefined }, now);
    const records = await this.#sealing.open(await this.#sealing.keysOf(cmd), found, cmd.features);
    if (!Array.isArray(records)) return records;
    if (cmd.fillsCache) markCached(this.ctx.storage.sql, found.map((r) => r.recordIdentifier), now);
    return cmd.maxChars === undefined ? { records } : capped(records, cmd.maxChars);
  }

  async delete(cmd: DeleteCommand): Promise<ShardReply<DeleteOutcome>> {
    const refusal = this.#check(cmd);
    if (refusal) return refusal;
    const body = cmd.keys ? await this.#sealing.seal(await this.#sealing.keysOf(cmd), cmd.recordIdentifier, cmd.body) : cmd.body;
    const now = this.#now();
    const outcome = deleteRecord(this.ctx.storage, this.#clock, { ...cmd, body }, now);
    if (cmd.online && outcome.outcome === "deleted") noteOnlineWrite(this.ctx.storage.sql, this.#lastWrite, now);
    if (cmd.offline && outcome.outcome !== "refused_not_newer") await this.#queuedOffline(cmd.body.length, now);
    return outcome;
  }

  async update(cmd: UpdateCommand): Promise<ShardReply<UpdateOutcome>> {
    const refusal = this.#check(cmd);
    if (refusal) return refusal;
    const outcome = await this.#applyUpdate(cmd);
    if ("refused" in outcome) return outcome;
    const now = this.#now();
    if (outcome.outcome === "updated") {
      if (cmd.online) noteOnlineWrite(this.ctx.storage.sql, this.#lastWrite, now);
      if (cmd.offline) await this.#queuedOffline(cmd.features.length, now);
      if (outcome.expiresAtMs !== null) await this.#scheduleAlarm(outcome.expiresAtMs);
    }
    return outcome;
  }

  async list(cmd: ListCommand): Promise<ShardReply<ListOutcome>> {
    const refusal = this.#check(cmd);
    if (refusal) return refusal;
    return { recordIdentifiers: listRecordIdentifiers(this.ctx.storage.sql, cmd, this.#now()) };
  }

  /** One page of a parity audit (src/parity): what the shard holds or still owes the offline store, identifier by identifier. */
  async parityPage(cmd: ParityCommand): Promise<ShardReply<ParityOutcome>> {
    const refusal = this.#check(cmd);
    if (refusal) return refusal;
    const entries = parityEntries(this.ctx.storage.sql, cmd.select, this.#now());
    const withBodies = entries.flatMap((e) => (e.body !== null ? [{ recordIdentifier: e.recordIdentifier, body: e.body, expiresAtMs: null }] : []));
    const opened = await this.#sealing.open(await this.#sealing.keysOf(cmd), withBodies, undefined);
    if (!Array.isArray(opened)) return opened;
    const bodies = new Map(opened.map((r) => [r.recordIdentifier, r.body]));
    return { entries: entries.map((e) => (e.body !== null ? { ...e, body: bodies.get(e.recordIdentifier) ?? null } : e)) };
  }

  /**
   * Unencrypted: one transaction. Encrypted: decrypt and re-seal outside it
   * (WebCrypto is asynchronous), then apply only if the stored body is still
   * the one merged; a concurrent change makes it start over.
   */
  async #applyUpdate(cmd: UpdateCommand): Promise<UpdateOutcome | ShardRefusal> {
    const keys = await this.#sealing.keysOf(cmd);
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const stored = storedBody(this.ctx.storage.sql, cmd.recordIdentifier);
      const prepared = keys || (stored !== null && isSealedValue(stored)) ? await this.#sealing.prepareUpdate(keys, cmd.recordIdentifier, stored, cmd.features) : undefined;
      if (prepared && "refused" in prepared) return prepared;
      const outcome = updateRecord(this.ctx.storage, this.#clock, cmd, this.#now(), prepared);
      if (outcome.outcome !== "changed_meanwhile") return outcome;
    }
    return { refused: "stale_catalog", catalogVersion: this.#meta.catalogVersion };
  }

  /** The outbox backlog, for operators (also answered for a dropped generation). */
  async outboxStatus(): Promise<OutboxStatus> {
    return outboxStatus(this.ctx.storage.sql);
  }

  /** The last online write and the outbox backlog, in one call: what a group page shows of the shard (also answered for a dropped generation). */
  async writeStatus(): Promise<ShardWriteStatus> {
    return { lastOnlineWriteAt: this.#lastWrite.at, outbox: outboxStatus(this.ctx.storage.sql) };
  }

  /** Learns a newer catalog version, so calls from stale caches are refused. */
  async syncCatalog(catalogVersion: number): Promise<void> {
    if (catalogVersion > this.#meta.catalogVersion) this.#saveMeta({ ...this.#meta, catalogVersion });
  }

  /** Marks this generation deleted: records go, and every later call is refused. */
  async drop(): Promise<void> {
    dropRecords(this.ctx.storage);
    this.#saveMeta({ ...this.#meta, dropped: true });
    // Acknowledged offline rows still go out and are confirmed; only then may the alarm stop.
    this.#backlog = outboxBacklog(this.ctx.storage.sql);
    if (outboxStatus(this.ctx.storage.sql).rows > 0) {
      await this.#scheduleAlarm(this.#now());
    } else {
      await this.ctx.storage.deleteAlarm();
      this.#alarmAt = null;
    }
  }

  /**
   * One alarm serves both jobs: the TTL sweep and the outbox drain. Alarms are
   * at-least-once; both jobs are idempotent.
   */
  override async alarm(): Promise<void> {
    const now = this.#now();
    this.#alarmAt = null;
    removeExpired(this.ctx.storage, this.#clock, this.#meta.catalogVersion, now);
    const drained = await drainOutbox(this.ctx.storage, this.#drainTarget(), now);
    this.#backlog = outboxBacklog(this.ctx.storage.sql);
    if (drained.confirmError) console.error("outbox confirmation failed; will retry", { shard: this.ctx.id.name, error: drained.confirmError });
    if (drained.nextCheckAt !== null) await this.#scheduleAlarm(drained.nextCheckAt);
    if ("error" in drained) {
      console.error("outbox drain failed; will retry", { shard: this.ctx.id.name, attempts: drained.failedAttempts, error: drained.error });
      await this.#scheduleAlarm(this.#now() + retryDelayMs(drained.failedAttempts));
    } else if (drained.more) {
      await this.#scheduleAlarm(this.#now());
    } else if (this.#backlog.oldestAt !== null) {
      await this.#scheduleFlush(this.#now());
    }
    const next = nextExpiry(this.ctx.storage.sql);
    if (next !== null) await this.#scheduleAlarm(next);
  }

  #drainTarget(): DrainTarget {
    const shardName = this.ctx.id.name;
    if (!shardName) throw new Error("record shards must be addressed by name (idFromName)");
    const db = catalogDb(this.env.DB);
    return {
      queue: this.env.OFFLINE_QUEUE,
      bucket: this.env.OFFLINE_BUCKET,
      shardName,
      stagingPrefix: stagingPrefixOf(this.env),
      registered: (batchIds) => registeredBatches(db, batchIds),
      redeliverMs: this.#flush.redeliverMs,
    };
  }

  /** Counts a new outbox row and arms the alarm for when the flush policy says to send. */
  async #queuedOffline(bytes: number, now: number): Promise<void> {
    this.#backlog = { rows: this.#backlog.rows + 1, bytes: this.#backlog.bytes + bytes, oldestAt: this.#backlog.oldestAt ?? now };
    await this.#scheduleFlush(now);
  }

  async #scheduleFlush(now: number): Promise<void> {
    const { rows, bytes, oldestAt } = this.#backlog;
    const full = rows >= this.#flush.maxRows || bytes >= this.#flush.maxBytes;
    await this.#scheduleAlarm(full ? now : (oldestAt ?? now) + this.#flush.maxDelayMs);
  }

  /** The system clock, or a test's (src/clock.ts). */
  #now(): number {
    return clockOf(this.env)();
  }

  #check(call: ShardCall): ShardRefusal | null {
    if (this.#meta.dropped) return { refused: "dropped" };
    if (call.catalogVersion < this.#meta.catalogVersion) return { refused: "stale_catalog", catalogVersion: this.#meta.catalogVersion };
    if (call.catalogVersion > this.#meta.catalogVersion) this.#saveMeta({ ...this.#meta, catalogVersion: call.catalogVersion });
    return null;
  }

  #saveMeta(meta: ShardMeta): void {
    this.#meta = meta;
    writeShardMeta(this.ctx.storage.sql, meta);
  }

  /** Arms the alarm for `at` unless it already fires earlier. */
  async #scheduleAlarm(at: number): Promise<void> {
    if (this.#alarmAt !== null && this.#alarmAt <= at) return;
    this.#alarmAt = at;
    await this.ctx.storage.setAlarm(at);
  }
}

/** The first records whose JSON fits `maxChars` (at least one), the rest as unread identifiers. */
function capped(records: StoredRecord[], maxChars: number): GetOutcome {
  let used = 0;
  let n = 0;
  while (n < records.length && (n === 0 || used + records[n]!.body.length <= maxChars)) used += records[n++]!.body.length;
  return n === records.length ? { records } : { records: records.slice(0, n), unread: records.slice(n).map((r) => r.recordIdentifier) };
}
