// The Node built-ins the CLI tests use beyond test/sdk/node.d.ts and
// test/sdk/engines/node.d.ts (the sdk project has no @types/node).
declare module "node:fs" {
  export function writeFileSync(path: string, data: string): void;
  export function existsSync(path: string): boolean;
  export function unlinkSync(path: string): void;
}
