import { MAX_MESSAGE_BYTES, MAX_SEND_BYTES, MAX_SEND_MESSAGES, OFFLINE_MESSAGE_VERSION, type OfflineMessage } from "../offline/message";
import { completeBatches, recordFailedAttempt, sealedBatches, sealOutbox } from "./outbox";

/**
 * Drains a shard's outbox to the offline queue: seal, send, then forget what
 * the queue accepted. A failed send leaves its batches sealed for the next
 * try, so nothing is lost and nothing is re-cut differently.
 */
export interface FlushPolicy {
  /** Flush at once when this many rows wait. */
  maxRows: number;
  /** Flush at once when this many bytes wait. */
  maxBytes: number;
  /** Otherwise flush this long after the oldest waiting row. */
  maxDelayMs: number;
}

export const DEFAULT_FLUSH_POLICY: FlushPolicy = { maxRows: 1_000, maxBytes: 1024 * 1024, maxDelayMs: 5_000 };

/** Reads OFFLINE_FLUSH_ROWS, OFFLINE_FLUSH_BYTES and OFFLINE_FLUSH_MS, falling back to the defaults. */
export function flushPolicyFrom(env: { OFFLINE_FLUSH_ROWS?: string; OFFLINE_FLUSH_BYTES?: string; OFFLINE_FLUSH_MS?: string }): FlushPolicy {
  const positive = (raw: string | undefined, fallback: number) => {
    const value = Number(raw);
    return raw !== undefined && Number.isSafeInteger(value) && value > 0 ? value : fallback;
  };
  return {
    maxRows: positive(env.OFFLINE_FLUSH_ROWS, DEFAULT_FLUSH_POLICY.maxRows),
    maxBytes: positive(env.OFFLINE_FLUSH_BYTES, DEFAULT_FLUSH_POLICY.maxBytes),
    maxDelayMs: positive(env.OFFLINE_FLUSH_MS, DEFAULT_FLUSH_POLICY.maxDelayMs),
  };
}

export interface DrainTarget {
  queue: Queue<OfflineMessage>;
  bucket: R2Bucket;
  /** "<generation>:<shard>", the Durable Object's name. */
  shardName: string;
  stagingPrefix: string;
}

/** Rows per message; sized so a message of typical records stays well under the limit. */
const MAX_ROWS_PER_MESSAGE = 500;
/** Sends per alarm run, so one run stays short; the alarm re-arms for the rest. */
const MAX_SENDS_PER_RUN = 20;

const utf8 = new TextEncoder();
/** Queues limit bytes, not characters: "€" is three. */
const byteLength = (body: OfflineMessage) => utf8.encode(JSON.stringify(body)).byteLength;

export type DrainResult = { sent: number; more: boolean } | { sent: number; failedAttempts: number; error: string };

export async function drainOutbox(storage: DurableObjectStorage, target: DrainTarget, now: number): Promise<DrainResult> {
  sealOutbox(storage, { maxRows: MAX_ROWS_PER_MESSAGE, maxBytes: MAX_MESSAGE_BYTES }, now);
  const generation = target.shardName.slice(0, target.shardName.lastIndexOf(":"));
  let sent = 0;
  for (let run = 0; run < MAX_SENDS_PER_RUN; run++) {
    const batches = sealedBatches(storage.sql, MAX_SEND_MESSAGES);
    if (batches.length === 0) return { sent, more: false };
    const messages: { batch: number; body: OfflineMessage; bytes: number }[] = [];
    try {
      let total = 0;
      for (const b of batches) {
        const batchId = `${target.shardName}:${b.batch}`;
        let body: OfflineMessage = { v: OFFLINE_MESSAGE_VERSION, batchId, generation, rows: b.rows };
        let bytes = byteLength(body);
        if (bytes > MAX_MESSAGE_BYTES) {
          // One record can exceed a message: its rows travel through R2.
          const staged = `${target.stagingPrefix}/${batchId.replaceAll(":", "/")}.json`;
          await target.bucket.put(staged, JSON.stringify(b.rows));
          body = { v: OFFLINE_MESSAGE_VERSION, batchId, generation, staged };
          bytes = byteLength(body);
        }
        if (messages.length > 0 && total + bytes > MAX_SEND_BYTES) break;
        messages.push({ batch: b.batch, body, bytes });
        total += bytes;
      }
      await target.queue.sendBatch(messages.map((m) => ({ body: m.body, contentType: "json" })));
    } catch (error) {
      // A failed staging write counts as a failed send of the batches at hand.
      const failed = messages.length > 0 ? messages.map((m) => m.batch) : batches.slice(0, 1).map((b) => b.batch);
      const failedAttempts = recordFailedAttempt(storage.sql, failed);
      return { sent, failedAttempts, error: String(error) };
    }
    completeBatches(storage, messages.map((m) => m.batch));
    sent += messages.length;
  }
  return { sent, more: true };
}

/** Backoff after a failed send: 1 s, 2 s, 4 s … capped at a minute. */
export function retryDelayMs(attempts: number): number {
  return Math.min(60_000, 1_000 * 2 ** Math.max(0, attempts - 1));
}
