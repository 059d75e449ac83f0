export * from "./credentials";
export * from "./bearer";
export { verifySigV4, isSigV4, type SigV4Identity } from "./sigv4";
