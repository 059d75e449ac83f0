export { RecordShard } from "./shard";
export { shardIndexOf, shardName, fnv1a32 } from "./routing";
export * from "./protocol";
export type { OutboxStatus } from "./outbox";
export { pick } from "./shard-store";
