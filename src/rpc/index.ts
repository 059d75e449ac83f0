export { FeatureStore } from "./entrypoint";
export type * from "./types";
