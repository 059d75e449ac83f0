import { asc, count, desc, inArray, isNull, sql } from "drizzle-orm";
import type { CatalogDb } from "../catalog";
import { registeredBatches } from "./manifest";
import { MAX_SEND_MESSAGES, parseOfflineMessage, type OfflineMessage } from "./message";
import { offlineDeadLetters } from "./schema";

/**
 * The dead-letter queue's consumer: every message the offline writer gave up
 * on is kept in D1 (offline_dead_letters), where the API lists it, so a
 * failure is visible and can be replayed rather than lost. The shard's
 * outbox also still holds the batch and sends it again on its own; replay
 * is the user's way to retry now, after fixing what made it fail.
 */
export async function recordDeadLetters(batch: MessageBatch<unknown>, db: CatalogDb, now: number): Promise<void> {
  const rows = batch.messages.map((message) => {
    const body = message.body as { batchId?: unknown } | null;
    return {
      messageId: message.id,
      batchId: typeof body?.batchId === "string" ? body.batchId : null,
      body: JSON.stringify(message.body),
      attempts: message.attempts,
    };
  });
  await db.$client
    .prepare(
      `INSERT OR IGNORE INTO offline_dead_letters (message_id, batch_id, body, attempts, received_at)
       SELECT json_extract(value, '$.messageId'), json_extract(value, '$.batchId'), json_extract(value, '$.body'), json_extract(value, '$.attempts'), ?1
       FROM json_each(?2)`,
    )
    .bind(now, JSON.stringify(rows))
    .run();
  for (const message of batch.messages) message.ack();
}

export interface DeadLetter {
  messageId: string;
  batchId: string | null;
  attempts: number;
  receivedAt: number;
  replays: number;
  replayedAt: number | null;
  body: unknown;
}

/** Dead letters, newest first. */
export async function listDeadLetters(db: CatalogDb, limit: number): Promise<DeadLetter[]> {
  const rows = await db.select().from(offlineDeadLetters).orderBy(desc(offlineDeadLetters.receivedAt), asc(offlineDeadLetters.messageId)).limit(limit).all();
  return rows.map(({ body, ...row }) => ({ ...row, body: JSON.parse(body) as unknown }));
}

/** Which dead letters to replay: named ones, or up to `limit` never replayed (oldest first). */
export type ReplaySelection = { messageIds: readonly string[] } | { limit: number };

export type ReplayOutcome = "sent" | "already_registered" | "unreadable";

export interface ReplayReport {
  replayed: { messageId: string; batchId: string | null; outcome: ReplayOutcome }[];
  /** Named message ids that are not dead letters. */
  notFound: string[];
  /** Dead letters never replayed that remain after this call. */
  remaining: number;
}

export interface ReplayDeps {
  db: CatalogDb;
  queue: Queue<OfflineMessage>;
  now: number;
}

/**
 * Sends dead letters back to the offline queue. Idempotent: a batch the
 * manifest already holds is not sent again (the consumer would acknowledge
 * it anyway), and replaying twice sends a batch at most once more. A message
 * our shards could not have produced stays, marked unreadable.
 */
export async function replayDeadLetters(deps: ReplayDeps, selection: ReplaySelection): Promise<ReplayReport> {
  const rows =
    "messageIds" in selection
      ? await deps.db.select().from(offlineDeadLetters).where(inArray(offlineDeadLetters.messageId, [...selection.messageIds])).orderBy(asc(offlineDeadLetters.receivedAt)).all()
      : await deps.db.select().from(offlineDeadLetters).where(isNull(offlineDeadLetters.replayedAt)).orderBy(asc(offlineDeadLetters.receivedAt), asc(offlineDeadLetters.messageId)).limit(selection.limit).all();
  const readable = rows.map((row) => ({ row, message: parseOfflineMessage(JSON.parse(row.body)) }));
  const registered = await registeredBatches(deps.db, readable.flatMap(({ message }) => (message.ok ? [message.value.batchId] : [])));
  const replayed: ReplayReport["replayed"] = [];
  const toSend: OfflineMessage[] = [];
  for (const { row, message } of readable) {
    const outcome: ReplayOutcome = !message.ok ? "unreadable" : registered.has(message.value.batchId) ? "already_registered" : "sent";
    if (message.ok && outcome === "sent") toSend.push(message.value);
    replayed.push({ messageId: row.messageId, batchId: row.batchId, outcome });
  }
  for (let i = 0; i < toSend.length; i += MAX_SEND_MESSAGES) {
    await deps.queue.sendBatch(toSend.slice(i, i + MAX_SEND_MESSAGES).map((body) => ({ body, contentType: "json" })));
  }
  const handled = replayed.filter((r) => r.outcome !== "unreadable").map((r) => r.messageId);
  if (handled.length > 0) {
    await deps.db
      .update(offlineDeadLetters)
      .set({ replays: sql`${offlineDeadLetters.replays} + 1`, replayedAt: deps.now })
      .where(inArray(offlineDeadLetters.messageId, handled))
      .run();
  }
  const found = new Set(rows.map((r) => r.messageId));
  const notFound = "messageIds" in selection ? selection.messageIds.filter((id) => !found.has(id)) : [];
  const remaining = (await deps.db.select({ n: count() }).from(offlineDeadLetters).where(isNull(offlineDeadLetters.replayedAt)).get())?.n ?? 0;
  return { replayed, notFound, remaining };
}
