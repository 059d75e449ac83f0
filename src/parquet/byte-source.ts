/**
 * Ranged reads of one stored object: the one way the Parquet readers (and
 * the entity-line reader) fetch bytes. R2 serves each read as one request;
 * `counted` lets a caller account for what it fetched without each reader
 * keeping its own tally.
 */
export interface ByteSource {
  readonly key: string;
  readonly size: number;
  /** Bytes [offset, offset + length); throws ObjectGone when the object is no longer there. */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** The object vanished between listing and reading (compaction replaced it, or a user deleted an upload). */
export class ObjectGone extends Error {
  constructor(readonly key: string) {
    super(`${key} is no longer in the bucket`);
  }
}

/** Reads of `key` in `bucket`, `options` (an SSE-C key, for one) sent with every request. */
export function bucketSource(bucket: R2Bucket, key: string, size: number, options: R2GetOptions = {}): ByteSource {
  return {
    key,
    size,
    async read(offset, length) {
      const whole = offset === 0 && length === size;
      const object = await bucket.get(key, whole ? options : { ...options, range: { offset, length } });
      if (!object) throw new ObjectGone(key);
      return new Uint8Array(await object.arrayBuffer());
    },
  };
}

/** Reads served from bytes already in memory (a small file fetched whole). */
export function memorySource(key: string, bytes: Uint8Array): ByteSource {
  return { key, size: bytes.byteLength, read: async (offset, length) => bytes.subarray(offset, offset + length) };
}

/** `source`, calling `onRead` with the size of every read. */
export function counted(source: ByteSource, onRead: (bytes: number) => void): ByteSource {
  return {
    key: source.key,
    size: source.size,
    async read(offset, length) {
      const bytes = await source.read(offset, length);
      onRead(bytes.byteLength);
      return bytes;
    },
  };
}
