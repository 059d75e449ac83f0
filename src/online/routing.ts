/**
 * Routes a record to its shard: FNV-1a (32-bit) over the UTF-8 bytes of the
 * canonical record identifier, modulo the group's shard count. FNV-1a is
 * stable across runtimes and releases, cheap for short keys, and spreads
 * sequential ids well. Changing it would strand every stored record, so it is
 * fixed; docs/storage-layout.md states it with test vectors.
 */
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const utf8 = new TextEncoder();

export function fnv1a32(text: string): number {
  let hash = FNV_OFFSET;
  // ASCII text is its own UTF-8: hash the code units without an encoded copy (bulk ingest routes every row).
  let ascii = true;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0x80) {
      ascii = false;
      break;
    }
    hash ^= unit;
    hash = Math.imul(hash, FNV_PRIME);
  }
  if (ascii) return hash >>> 0;
  hash = FNV_OFFSET;
  for (const byte of utf8.encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

export function shardIndexOf(recordIdentifier: string, shardCount: number): number {
  return fnv1a32(recordIdentifier) % shardCount;
}

/**
 * A shard's Durable Object name. The generation is a UUID we minted, so the
 * name never contains client text.
 */
export function shardName(generation: string, shardIndex: number): string {
  // A bad index here is a bug upstream (clients never name shards); refuse
  // it rather than create a stray object.
  if (!Number.isSafeInteger(shardIndex) || shardIndex < 0) throw new RangeError(`shard index must be a non-negative integer, got ${shardIndex}`);
  return `${generation}:${shardIndex}`;
}
