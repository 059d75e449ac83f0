import { catalogDb, type CatalogDb } from "../catalog";
import type { Env } from "../env";
import type { MasterKeySecret } from "../crypto/keyring";
import type { RecordShard } from "../online";

/** What the core operations need from the platform, plus the request's clock. */
export interface StoreContext {
  db: CatalogDb;
  shards: DurableObjectNamespace<RecordShard>;
  now: number;
  /** The master keyring's secret, to unwrap encrypted groups' data keys. */
  secrets: MasterKeySecret;
}

const dbs = new WeakMap<D1Database, CatalogDb>();

export function storeContext(env: Pick<Env, "DB" | "RECORD_SHARD" | "FS_MASTER_KEYS">, now: number): StoreContext {
  let db = dbs.get(env.DB);
  if (!db) {
    db = catalogDb(env.DB);
    dbs.set(env.DB, db);
  }
  return { db, shards: env.RECORD_SHARD, now, secrets: env };
}
