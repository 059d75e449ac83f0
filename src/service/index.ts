export * from "./context";
export * from "./targets";
export * from "./records";
export * from "./feature-groups";
