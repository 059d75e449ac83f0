import type { CatalogDb } from "../catalog";
import { fail, ok, type Result } from "../failure";
import { groupDataKeys, type GroupDataKeys } from "./data-keys";
import type { MasterKeySecret } from "./keyring";
import type { DataKeyMaterial } from "./values";

/**
 * The offline store's side of encryption at rest. Parquet objects of a group
 * with an encrypted offline store are written and read with R2 server-side
 * encryption under the group's offline data key (SSE-C, `ssecKey`). The key
 * version is part of the object's name (`<name>-k<version>.parquet`), so any
 * reader, ours or an external engine, knows which key version to send.
 */

/** A generation's data keys, as the offline writer, compaction and readers look them up. */
export type DataKeyLookup = (generation: string) => Promise<Result<GroupDataKeys>>;

/** Looks keys up through the per-isolate cache (src/crypto/data-keys.ts). */
export function dataKeyLookup(db: CatalogDb, secret: MasterKeySecret): DataKeyLookup {
  return (generation) => groupDataKeys(db, secret, generation, Date.now());
}

const VERSIONED_NAME = /-k(\d+)\.parquet$/;

/** The SSE-C key version an object's name carries, or null for an object without SSE-C. */
export function objectKeyVersion(key: string): number | null {
  const match = VERSIONED_NAME.exec(key);
  return match ? Number(match[1]) : null;
}

export interface OfflineWriteKey {
  /** Appended to the file name (before ".parquet"): "-k2", or "" when unencrypted. */
  nameSuffix: string;
  options: R2PutOptions;
}

function ssecKey(material: DataKeyMaterial, version: number): ArrayBuffer | null {
  const raw = material.keys.find((k) => k.version === version)?.raw;
  return raw ? raw.slice().buffer : null;
}

/** How to write a new object of a generation: the active offline key, or plain. */
export function offlineWriteKey(keys: GroupDataKeys): OfflineWriteKey {
  const material = keys.offline;
  if (!material) return { nameSuffix: "", options: {} };
  return { nameSuffix: `-k${material.active}`, options: { ssecKey: ssecKey(material, material.active)! } };
}

/** The get options for an object: its SSE-C key when its name carries a key version. */
export function offlineReadOptions(keys: GroupDataKeys, objectKey: string): Result<R2GetOptions> {
  const version = objectKeyVersion(objectKey);
  if (version === null) return ok({});
  const key = keys.offline ? ssecKey(keys.offline, version) : null;
  if (!key) return fail({ reason: "unavailable", detail: `offline data key version ${version} of this feature group is not available` });
  return ok({ ssecKey: key });
}

/**
 * What an external engine must know to read an encrypted offline store.
 * Key material is never part of it: the key reaches an operator only
 * through the procedure in docs/security-encryption.md.
 */
export function externalReadNotes(activeKeyVersion: number) {
  return {
    mode: "SSE-C",
    algorithm: "AES256",
    activeKeyVersion,
    keyVersionInObjectName: "<file>-k<version>.parquet: send the offline data key of that version",
    requestHeaders: {
      "x-amz-server-side-encryption-customer-algorithm": "AES256",
      "x-amz-server-side-encryption-customer-key": "<base64 of the 32-byte offline data key>",
      "x-amz-server-side-encryption-customer-key-MD5": "<base64 of the MD5 digest of that key>",
    },
    keyMaterial: "not served by this API; see docs/security-encryption.md, 'Reading encrypted offline data outside the store'",
    engines: {
      duckdb: "DuckDB's S3 reader has no SSE-C key setting: copy the objects out with an S3 client that sends the SSE-C headers, then read the copies",
      athena: "Athena does not read SSE-C objects: export the rows (copy out, re-encrypt as the target requires) before querying",
      spark: "Hadoop S3A reads SSE-C with one key per filesystem (fs.s3a.encryption.algorithm=SSE-C, fs.s3a.encryption.key): read one key version's files at a time",
    },
  };
}
