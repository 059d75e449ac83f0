export * from "./credentials";
export * from "./bearer";
