/** The offline store (Parquet in R2, its D1 manifest, dead letters, external files): what transports and the worker entry need of it. */
export { compactOffline } from "./compaction";
export { consumeOfflineBatch } from "./consumer";
export { listDeadLetters, recordDeadLetters, replayDeadLetters, type ReplaySelection } from "./dead-letters";
export { describeOfflineStore } from "./external";
export { bucketNameOf, dataPrefix, offlinePrefixOf, type OfflineLocationConfig } from "./layout";
export { activeFiles } from "./manifest";
export { fileRegistrationSchema, registerExternalFile } from "./registration";
