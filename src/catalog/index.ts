export * from "./model";
export * from "./input";
export * from "./repository";
export * from "./cache";
export * from "./tags";
