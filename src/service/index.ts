export * from "./context";
export * from "./targets";
export * from "./records";
export * from "./batch-get";
export * from "./update-record";
export * from "./list-records";
export * from "./feature-groups";
export * from "./bulk-ingest";
