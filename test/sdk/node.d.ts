// The few Node built-ins the sdk project's global setup uses. The project
// has no @types/node (and must not add dependencies); the worker code is
// typed by @cloudflare/workers-types, which these Node-side files do not use.
declare module "node:child_process" {
  interface Readable {
    on(event: "data", listener: (chunk: unknown) => void): void;
  }
  export interface ChildProcess {
    readonly stdout: Readable | null;
    readonly stderr: Readable | null;
    on(event: "error", listener: (error: Error) => void): void;
    on(event: "close", listener: (code: number | null) => void): void;
  }
  export function spawn(command: string, args: readonly string[], options: { cwd?: string; env?: Record<string, string | undefined> }): ChildProcess;
}
declare module "node:fs" {
  export function mkdtempSync(prefix: string): string;
  export function readdirSync(path: string): string[];
  export function readFileSync(path: string, encoding: "utf8"): string;
  export function rmSync(path: string, options?: { recursive?: boolean; force?: boolean }): void;
}
declare module "node:os" {
  export function tmpdir(): string;
}
declare module "node:timers/promises" {
  export function setImmediate(): Promise<void>;
}
declare module "node:path" {
  export function join(...segments: string[]): string;
  export function resolve(...segments: string[]): string;
}
declare var process: {
  readonly execPath: string;
  env: Record<string, string | undefined>;
  /** Signals a process, or with a negative pid its process group (test/sdk/start). */
  kill(pid: number, signal?: string | number): true;
  on(event: "exit", listener: () => void): void;
  off(event: "exit", listener: () => void): void;
};
interface ImportMeta {
  readonly dirname: string;
}
