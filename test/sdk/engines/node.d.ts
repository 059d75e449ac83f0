// The Node built-ins the engines tests use beyond test/sdk/node.d.ts (the
// sdk project has no @types/node). Ambient module declarations merge with
// those of test/sdk/node.d.ts.
declare module "node:fs" {
  export function mkdirSync(path: string, options?: { recursive?: boolean }): string | undefined;
  export function writeFileSync(path: string, data: Uint8Array): void;
}
declare module "node:path" {
  export function dirname(path: string): string;
}
declare module "node:crypto" {
  interface Hash {
    update(data: Uint8Array): Hash;
    digest(encoding: "hex"): string;
  }
  export function createHash(algorithm: "md5" | "sha256"): Hash;
}
