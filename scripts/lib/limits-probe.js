// Runs inside workerd, installed only by `npm run limits` (never deployed):
// wraps a worker's bindings in counting proxies and each invocation (fetch,
// queue, scheduled, every RPC method of a Durable Object or entrypoint) in an
// AsyncLocalStorage frame, so every call on a binding is charged to the
// invocation that made it. The harness reads the finished invocations over
// the inspector (`globalThis.__limits.take()`).
//
// A subrequest is a binding call that returns a promise: R2 get/put/head/
// list/delete, D1 run/all/first/raw/batch/exec, a Durable Object stub's RPC
// method or fetch, queue send/sendBatch, a service binding's fetch or RPC
// method. Synchronous calls (D1 prepare/bind, idFromName, get of a stub) are
// not. Reading an R2 body is part of the get that returned it.
//
// RPC message size: arguments and (resolved) results of Durable Object and
// service-binding RPC calls, estimated as V8's structured clone would carry
// them (strings as UTF-16 code units, binary as its bytes, numbers 8 bytes,
// a few bytes per key). Streams are not messages (they flow in chunks) and
// count as 0.
import { AsyncLocalStorage } from "node:async_hooks";

const REAL = Symbol("limits.real");
const als = new AsyncLocalStorage();
const finished = [];
/** Work outside any wrapped invocation (should stay empty). */
const orphan = newInvocation("(outside an invocation)");

function newInvocation(label) {
  return { label, subrequests: {}, total: 0, rpcSent: 0, rpcReceived: 0, messageIn: 0, messageOut: 0, error: undefined };
}

globalThis.__limits = {
  /** The invocations finished since the last call, as JSON. */
  take() {
    const out = finished.splice(0);
    if (orphan.total > 0) out.push({ ...orphan, subrequests: { ...orphan.subrequests } });
    return JSON.stringify(out);
  },
};

/** Approximate bytes of a value as an RPC message (structured clone). */
export function messageBytes(value, seen = new Set()) {
  if (value === null || value === undefined) return 1;
  switch (typeof value) {
    case "string":
      return 4 + value.length * (/^[\x00-\xff]*$/.test(value.length > 4096 ? value.slice(0, 4096) : value) ? 1 : 2);
    case "number":
      return 9;
    case "bigint":
      return 9 + Math.ceil(value.toString(16).length / 2);
    case "boolean":
      return 1;
    case "function":
    case "symbol":
      return 0;
  }
  if (seen.has(value)) return 2;
  seen.add(value);
  if (value instanceof ArrayBuffer) return 5 + value.byteLength;
  if (ArrayBuffer.isView(value)) return 10 + value.byteLength;
  if (typeof ReadableStream !== "undefined" && value instanceof ReadableStream) return 0;
  if (value instanceof Date) return 9;
  if (value instanceof Map) {
    let n = 5;
    for (const [k, v] of value) n += messageBytes(k, seen) + messageBytes(v, seen);
    return n;
  }
  if (value instanceof Set || Array.isArray(value)) {
    let n = 5;
    for (const v of value) n += messageBytes(v, seen);
    return n;
  }
  let n = 5;
  for (const key of Object.keys(value)) n += key.length + 2 + messageBytes(value[key], seen);
  return n;
}

function charge(kind) {
  const inv = als.getStore() ?? orphan;
  inv.subrequests[kind] = (inv.subrequests[kind] ?? 0) + 1;
  inv.total++;
  return inv;
}

function unwrap(value) {
  if (value && (typeof value === "object" || typeof value === "function") && value[REAL]) return value[REAL];
  if (Array.isArray(value) && value.some((v) => v && typeof v === "object" && v[REAL])) return value.map(unwrap);
  return value;
}

const isThenable = (v) => v !== null && (typeof v === "object" || typeof v === "function") && typeof v.then === "function";

/** A counting proxy of a binding (kind: r2, d1, durable-object, queue, service). */
function wrap(target, kind, rpc) {
  return new Proxy(target, {
    get(t, prop) {
      if (prop === REAL) return t;
      const value = Reflect.get(t, prop);
      if (typeof value !== "function" || typeof prop === "symbol" || prop === "constructor" || prop === "then") return value;
      return function (...args) {
        const real = args.map(unwrap);
        const result = Reflect.apply(value, t, real);
        if (isThenable(result)) {
          const inv = charge(kind);
          if (kind === "queue") {
            const bodies = prop === "sendBatch" ? (real[0] ?? []).map((m) => m.body) : [real[0]];
            for (const b of bodies) inv.queueMessage = Math.max(inv.queueMessage ?? 0, typeof b === "string" ? b.length : JSON.stringify(b ?? null).length);
          }
          const isRpc = rpc && prop !== "fetch";
          if (isRpc) {
            inv.rpcSent = Math.max(inv.rpcSent, messageBytes(real));
            result.then(
              (v) => (inv.rpcReceived = Math.max(inv.rpcReceived, messageBytes(v))),
              () => {},
            );
          }
          return result;
        }
        // Statements, sessions, ids and stubs: keep counting what they do.
        if (result !== null && typeof result === "object") return wrap(result, kind, rpc || prop === "get" || prop === "getByName");
        return result;
      };
    },
  });
}

const envs = new WeakMap();
/** The env with every listed binding wrapped; one per real env, so per-env caches still hit. */
function instrumentEnv(env, kinds) {
  if (!env || typeof env !== "object") return env;
  let out = envs.get(env);
  if (!out) {
    out = { ...env };
    for (const [name, kind] of Object.entries(kinds)) if (env[name]) out[name] = wrap(env[name], kind, kind === "service");
    envs.set(env, out);
  }
  return out;
}

function run(label, fn, messageIn) {
  const inv = newInvocation(label);
  inv.messageIn = messageIn;
  const done = (result) => {
    if (label.includes(".") && !label.startsWith("fetch")) inv.messageOut = messageBytes(result);
    finished.push(inv);
    return result;
  };
  return als.run(inv, async () => {
    try {
      return done(await fn());
    } catch (error) {
      inv.error = String(error?.message ?? error).slice(0, 200);
      finished.push(inv);
      throw error;
    }
  });
}

/** The default export's handlers, each run as one counted invocation. */
export function instrumentHandler(handler, kinds) {
  const out = { ...handler };
  if (handler.fetch)
    out.fetch = (request, env, ctx) => run(`fetch ${request.method} ${new URL(request.url).pathname}`, () => handler.fetch(request, instrumentEnv(env, kinds), ctx), 0);
  if (handler.queue) out.queue = (batch, env, ctx) => run(`queue ${batch.queue} (${batch.messages.length} messages)`, () => handler.queue(batch, instrumentEnv(env, kinds), ctx), 0);
  if (handler.scheduled) out.scheduled = (controller, env, ctx) => run(`scheduled ${controller.cron}`, () => handler.scheduled(controller, instrumentEnv(env, kinds), ctx), 0);
  return out;
}

/** A Durable Object or WorkerEntrypoint class whose env is counted and whose RPC methods are invocations. */
export function instrumentClass(Base, kinds) {
  const Counted = class extends Base {
    constructor(ctx, env) {
      super(ctx, instrumentEnv(env, kinds));
    }
  };
  for (let proto = Base.prototype; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === "constructor" || Object.prototype.hasOwnProperty.call(Counted.prototype, name)) continue;
      const descriptor = Object.getOwnPropertyDescriptor(proto, name);
      if (typeof descriptor.value !== "function") continue;
      const method = descriptor.value;
      Counted.prototype[name] = function (...args) {
        return run(`${Base.name}.${name}`, () => Reflect.apply(method, this, args), name === "fetch" ? 0 : messageBytes(args));
      };
    }
    if (/^(DurableObject|WorkerEntrypoint)$/.test(Object.getPrototypeOf(proto)?.constructor?.name ?? "")) break;
  }
  Object.defineProperty(Counted, "name", { value: Base.name });
  return Counted;
}
