import type { CatalogDb } from "../catalog";

/**
 * The dead-letter queue's consumer: every message the offline writer gave up
 * on is kept in D1 (offline_dead_letters), where the API lists it, so a
 * failure is visible and can be replayed rather than lost.
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
