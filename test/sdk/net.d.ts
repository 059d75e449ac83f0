// node:net, as far as test/sdk/hostile-http.test.ts uses it (the sdk project has no @types/node).
declare module "node:net" {
  export interface Socket {
    readonly writable: boolean;
    write(data: string | Uint8Array, written?: (error?: Error | null) => void): boolean;
    end(): void;
    destroy(): void;
    setTimeout(ms: number, listener: () => void): void;
    on(event: "data", listener: (chunk: Uint8Array) => void): this;
    on(event: "end" | "close", listener: () => void): this;
    on(event: "error", listener: (error: Error & { code?: string }) => void): this;
  }
  export function createConnection(options: { host: string; port: number }, connected?: () => void): Socket;
}
