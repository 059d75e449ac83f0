import { MAX_MESSAGE_BYTES, MAX_SEND_BYTES, MAX_SEND_MESSAGES, OFFLINE_MESSAGE_VERSION, type OfflineMessage } from "../offline/message";
import { completeBatches, dueBatches, markSent, nextConfirmationAt, recordFailedAttempt, sealOutbox, unconfirmedBatches } from "./outbox";

/**
 * Drains a shard's outbox to the offline queue: confirm, seal, send. A batch
 * leaves the outbox only once the offline manifest has registered it; one the
 * queue accepted but nobody registered in time is sent again. A failed send
 * leaves its batches sealed for the next try, so nothing is lost and nothing
 * is re-cut differently.
 */
export interface FlushPolicy {
  /** Flush at once when this many rows wait. */
  maxRows: number;
  /** Flush at once when this many bytes wait. */
  maxBytes: number;
  /** Otherwise flush this long after the oldest waiting row. */
  maxDelayMs: number;
  /** A sent batch not registered this long after its first send is sent again (doubling per send). */
  redeliverMs: number;
}

export const DEFAULT_FLUSH_POLICY: FlushPolicy = { maxRows: 1_000, maxBytes: 1024 * 1024, maxDelayMs: 5_000, redeliverMs: 60_000 };

/** Reads OFFLINE_FLUSH_ROWS, OFFLINE_FLUSH_BYTES, OFFLINE_FLUSH_MS and OFFLINE_REDELIVER_MS, falling back to the defaults. */
export function flushPolicyFrom(env: { OFFLINE_FLUSH_ROWS?: string; OFFLINE_FLUSH_BYTES?: string; OFFLINE_FLUSH_MS?: string; OFFLINE_REDELIVER_MS?: string }): FlushPolicy {
  const positive = (raw: string | undefined, fallback: number) => {
    const value = Number(raw);
    return raw !== undefined && Number.isSafeInteger(value) && value > 0 ? value : fallback;
  };
  return {
    maxRows: positive(env.OFFLINE_FLUSH_ROWS, DEFAULT_FLUSH_POLICY.maxRows),
    maxBytes: positive(env.OFFLINE_FLUSH_BYTES, DEFAULT_FLUSH_POLICY.maxBytes),
    maxDelayMs: positive(env.OFFLINE_FLUSH_MS, DEFAULT_FLUSH_POLICY.maxDelayMs),
    redeliverMs: positive(env.OFFLINE_REDELIVER_MS, DEFAULT_FLUSH_POLICY.redeliverMs),
  };
}

export interface DrainTarget {
  queue: Queue<OfflineMessage>;
  bucket: R2Bucket;
  /** "<generation>:<shard>", the Durable Object's name. */
  shardName: string;
  stagingPrefix: string;
  /** Which of these batch ids the offline manifest holds (D1's offline_batches). */
  registered(batchIds: readonly string[]): Promise<Set<string>>;
  redeliverMs: number;
}

/** Rows per message; sized so a message of typical records stays well under the limit. */
const MAX_ROWS_PER_MESSAGE = 500;
/** Sends per alarm run, so one run stays short; the alarm re-arms for the rest. */
const MAX_SENDS_PER_RUN = 20;

const utf8 = new TextEncoder();
/** Queues limit bytes, not characters: "€" is three. */
const byteLength = (body: OfflineMessage) => utf8.encode(JSON.stringify(body)).byteLength;

/** Sent batches checked against the manifest per run. */
const MAX_CONFIRMATIONS_PER_RUN = 500;
/** Confirmation polls start this soon after a send and slow down as a batch waits longer. */
const MIN_CONFIRM_POLL_MS = 2_000;
const MAX_CONFIRM_POLL_MS = 30_000;

export interface DrainOutcome {
  sent: number;
  /** Sent batches found registered and forgotten. */
  confirmed: number;
  /** When to look again for sent batches (confirm or re-send); null: none are waiting. */
  nextCheckAt: number | null;
  /** Why confirmation could not be checked this time (it is retried). */
  confirmError?: string;
}

export type DrainResult = (DrainOutcome & { more: boolean }) | (DrainOutcome & { failedAttempts: number; error: string });

const batchIdOf = (shardName: string, batch: number) => `${shardName}:${batch}`;

/** Forgets sent batches the manifest holds; answers how many. */
async function confirmRegistered(storage: DurableObjectStorage, target: DrainTarget): Promise<number> {
  const waiting = unconfirmedBatches(storage.sql, MAX_CONFIRMATIONS_PER_RUN);
  if (waiting.length === 0) return 0;
  const registered = await target.registered(waiting.map((b) => batchIdOf(target.shardName, b.batch)));
  const done = waiting.filter((b) => registered.has(batchIdOf(target.shardName, b.batch))).map((b) => b.batch);
  completeBatches(storage, done);
  return done.length;
}

export async function drainOutbox(storage: DurableObjectStorage, target: DrainTarget, now: number): Promise<DrainResult> {
  let confirmed = 0;
  let confirmError: string | undefined;
  try {
    confirmed = await confirmRegistered(storage, target);
  } catch (error) {
    // D1 unavailable: the batches stay and are checked (or re-sent) later.
    confirmError = String(error);
  }
  const outcome = (sent: number): DrainOutcome => {
    const nextCheckAt = nextConfirmationAt(storage.sql, now, target.redeliverMs, { minMs: MIN_CONFIRM_POLL_MS, maxMs: MAX_CONFIRM_POLL_MS });
    return { sent, confirmed, nextCheckAt, ...(confirmError ? { confirmError } : {}) };
  };

  sealOutbox(storage, { maxRows: MAX_ROWS_PER_MESSAGE, maxBytes: MAX_MESSAGE_BYTES }, now);
  const generation = target.shardName.slice(0, target.shardName.lastIndexOf(":"));
  let sent = 0;
  for (let run = 0; run < MAX_SENDS_PER_RUN; run++) {
    const batches = dueBatches(storage.sql, now, target.redeliverMs, MAX_SEND_MESSAGES);
    if (batches.length === 0) return { ...outcome(sent), more: false };
    const messages: { batch: number; body: OfflineMessage; bytes: number }[] = [];
    try {
      let total = 0;
      for (const b of batches) {
        const batchId = batchIdOf(target.shardName, b.batch);
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
      return { ...outcome(sent), failedAttempts, error: String(error) };
    }
    markSent(storage, messages.map((m) => m.batch), now);
    sent += messages.length;
  }
  return { ...outcome(sent), more: true };
}

/** Backoff after a failed send: 1 s, 2 s, 4 s … capped at a minute. */
export function retryDelayMs(attempts: number): number {
  return Math.min(60_000, 1_000 * 2 ** Math.max(0, attempts - 1));
}
