import { importValueKeys, isSealedValue, openValue, recordContext, sealValue, type ValueKeys } from "../crypto/values";
import { mergeFeatures, pick, type PreparedUpdate } from "./shard-store";
import type { ShardCall, ShardRefusal, StoredRecord } from "./protocol";

/**
 * Encryption of feature values inside a record shard. Record bodies and the
 * outbox rows that copy them are sealed with the group's online data key,
 * bound to the generation and record identifier. Identifiers, event keys and
 * expiry times stay in clear: they are the shard's index. The keys come with
 * each call and are never written to the object's storage.
 */
export class ShardSealing {
  constructor(readonly generation: string) {}

  /** The call's data keys, imported (cached per isolate); null for an unencrypted group. */
  keysOf(call: ShardCall): Promise<ValueKeys> | null {
    return call.keys ? importValueKeys(call.keys) : null;
  }

  async seal(keys: ValueKeys | null, recordIdentifier: string, body: string): Promise<string> {
    return keys ? sealValue(keys, body, recordContext(this.generation, recordIdentifier)) : body;
  }

  /** Opens what getRecords found and keeps the asked features; a value that does not open refuses the whole call. */
  async open(keys: ValueKeys | null, records: StoredRecord[], features: readonly string[] | undefined): Promise<StoredRecord[] | ShardRefusal> {
    const out: StoredRecord[] = [];
    for (const record of records) {
      let body = record.body;
      if (isSealedValue(body)) {
        const opened = await openValue(keys, body, recordContext(this.generation, record.recordIdentifier));
        if (!opened.ok) return refusal(opened.failure);
        body = opened.value;
      }
      out.push({ ...record, body: features ? pick(body, features) : body });
    }
    return out;
  }

  /** Decrypts the stored record, merges the update and seals the result, for updateRecord to apply if nothing changed meanwhile. */
  async prepareUpdate(keys: ValueKeys | null, recordIdentifier: string, stored: string | null, features: string): Promise<PreparedUpdate | ShardRefusal> {
    if (stored === null) return { storedBody: null, body: null, plainBytes: 0 };
    const context = recordContext(this.generation, recordIdentifier);
    const opened = await openValue(keys, stored, context);
    if (!opened.ok) return refusal(opened.failure);
    const merged = mergeFeatures(opened.value, features);
    return { storedBody: stored, body: keys ? await sealValue(keys, merged, context) : merged, plainBytes: utf8.encode(merged).byteLength };
  }
}

const utf8 = new TextEncoder();

function refusal(failure: { reason: string; detail?: string }): ShardRefusal {
  return { refused: "data_key", detail: failure.detail ?? failure.reason };
}
