import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import type {
  DeleteCommand,
  DeleteOutcome,
  GetCommand,
  GetOutcome,
  ListCommand,
  ListOutcome,
  PutCommand,
  PutOutcome,
  ShardCall,
  ShardRefusal,
  ShardReply,
  UpdateCommand,
  UpdateOutcome,
} from "./protocol";
import {
  deleteRecord,
  dropRecords,
  getRecords,
  listRecordIdentifiers,
  migrateShard,
  nextExpiry,
  putRecord,
  readShardMeta,
  removeExpired,
  updateRecord,
  writeShardMeta,
  type ShardMeta,
} from "./shard-store";

/**
 * One shard of one feature group generation's online store. The RPC surface
 * is deliberately small; storage logic lives in shard-store.ts.
 */
export class RecordShard extends DurableObject<Env> {
  #meta: ShardMeta = { catalogVersion: 0, dropped: false };
  /** The alarm we last set, mirrored in memory to keep puts free of awaits. */
  #alarmAt: number | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      migrateShard(ctx.storage.sql);
      this.#meta = readShardMeta(ctx.storage.sql);
      this.#alarmAt = await ctx.storage.getAlarm();
    });
  }

  async put(cmd: PutCommand): Promise<ShardReply<PutOutcome>> {
    const refusal = this.#check(cmd);
    if (refusal) return refusal;
    const outcome = putRecord(this.ctx.storage, cmd, Date.now());
    if (outcome.applied && cmd.expiresAtMs !== null) await this.#scheduleExpiry(cmd.expiresAtMs);
    return outcome;
  }

  async get(cmd: GetCommand): Promise<ShardReply<GetOutcome>> {
    const refusal = this.#check(cmd);
    if (refusal) return refusal;
    return { records: getRecords(this.ctx.storage.sql, cmd, Date.now()) };
  }

  async delete(cmd: DeleteCommand): Promise<ShardReply<DeleteOutcome>> {
    const refusal = this.#check(cmd);
    if (refusal) return refusal;
    return deleteRecord(this.ctx.storage, cmd, Date.now());
  }

  async update(cmd: UpdateCommand): Promise<ShardReply<UpdateOutcome>> {
    const refusal = this.#check(cmd);
    if (refusal) return refusal;
    const outcome = updateRecord(this.ctx.storage, cmd, Date.now());
    if (outcome.outcome === "updated" && outcome.expiresAtMs !== null) await this.#scheduleExpiry(outcome.expiresAtMs);
    return outcome;
  }

  async list(cmd: ListCommand): Promise<ShardReply<ListOutcome>> {
    const refusal = this.#check(cmd);
    if (refusal) return refusal;
    return { recordIdentifiers: listRecordIdentifiers(this.ctx.storage.sql, cmd, Date.now()) };
  }

  /** Learns a newer catalog version, so calls from stale caches are refused. */
  async syncCatalog(catalogVersion: number): Promise<void> {
    if (catalogVersion > this.#meta.catalogVersion) this.#saveMeta({ ...this.#meta, catalogVersion });
  }

  /** Marks this generation deleted: records go, and every later call is refused. */
  async drop(): Promise<void> {
    dropRecords(this.ctx.storage);
    this.#saveMeta({ ...this.#meta, dropped: true });
    await this.ctx.storage.deleteAlarm();
    this.#alarmAt = null;
  }

  override async alarm(): Promise<void> {
    // Alarms are at-least-once: removing what has expired is idempotent.
    const now = Date.now();
    removeExpired(this.ctx.storage, this.#meta.catalogVersion, now);
    this.#alarmAt = null;
    const next = nextExpiry(this.ctx.storage.sql);
    if (next !== null) await this.#scheduleExpiry(next);
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

  async #scheduleExpiry(at: number): Promise<void> {
    if (this.#alarmAt !== null && this.#alarmAt <= at) return;
    this.#alarmAt = at;
    await this.ctx.storage.setAlarm(at);
  }
}
