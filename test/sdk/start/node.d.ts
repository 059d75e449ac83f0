// The Node built-ins the local-stack test uses beyond test/sdk/node.d.ts
// (the sdk project has no @types/node). Ambient module declarations merge
// with those of test/sdk/node.d.ts.
declare module "node:child_process" {
  export interface ChildProcess {
    readonly pid?: number;
    readonly exitCode: number | null;
    readonly signalCode: string | null;
    on(event: "exit", listener: (code: number | null, signal: string | null) => void): void;
  }
  export function spawn(
    command: string,
    args: readonly string[],
    options: { cwd?: string; env?: Record<string, string | undefined>; detached?: boolean; stdio?: ("ignore" | "pipe")[] },
  ): ChildProcess;
}
declare module "node:fs" {
  export function copyFileSync(from: string, to: string): void;
  export function symlinkSync(target: string, path: string): void;
}
declare module "node:net" {
  export interface Server {
    listen(port: number, host: string, listening: () => void): this;
    address(): { port: number } | string | null;
    close(closed?: () => void): this;
  }
  export function createServer(): Server;
}
