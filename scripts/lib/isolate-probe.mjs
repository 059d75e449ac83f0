// A DevTools protocol session with one worker's isolate through Miniflare's
// inspector proxy (as scripts/bench-time-travel.mjs profiles the query
// worker): heap sampling, CPU profiling, WebAssembly memory and the
// invocations limits-probe.js recorded.

/** Opens a session with the isolate of the worker named `name`. */
export async function attach(mf, name) {
  const base = await mf.getInspectorURL();
  const targets = await (await fetch(new URL("/json", String(base).replace(/^ws/, "http")))).json();
  const target = targets.find((t) => t.webSocketDebuggerUrl?.endsWith(`/${name}`)) ?? targets.find((t) => t.title?.includes(name));
  if (!target) throw new Error(`no inspector target for ${name}: ${JSON.stringify(targets)}`);
  const waiting = new Map();
  // The proxy admits local DevTools origins only, and forwards workerd's frames as binary.
  const socket = new WebSocket(target.webSocketDebuggerUrl, { headers: { origin: "http://localhost" } });
  socket.binaryType = "arraybuffer";
  await new Promise((resolve, reject) => (socket.addEventListener("open", resolve, { once: true }), socket.addEventListener("error", reject, { once: true })));
  socket.addEventListener("close", () => waiting.forEach((settle) => settle({ error: { message: "the inspector closed the connection" } })));
  let next = 1;
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(typeof event.data === "string" ? event.data : new TextDecoder().decode(event.data));
    if (message.id !== undefined) waiting.get(message.id)?.(message), waiting.delete(message.id);
    else if (message.method === "Runtime.executionContextCreated") contexts.push(message.params.context);
  });
  const contexts = [];
  const send = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = next++;
      waiting.set(id, (m) => (m.error ? reject(new Error(`${method}: ${m.error.message}`)) : resolve(m.result)));
      socket.send(JSON.stringify({ id, method, params }));
    });
  await send("Runtime.enable");
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: 1000 });

  // workerd announces the worker's context on Runtime.enable; it has no "default" one.
  const contextParam = () => (contexts.length ? { contextId: contexts.at(-1).id } : {});
  const evaluate = async (expression) => {
    const { result, exceptionDetails } = await send("Runtime.evaluate", { expression, returnByValue: true, ...contextParam() });
    if (exceptionDetails) throw new Error(`${expression}: ${exceptionDetails.exception?.description ?? exceptionDetails.text}`);
    return result.value;
  };

  return {
    name,
    send,
    evaluate,
    /** V8's used heap of the isolate (live objects and not yet collected garbage), bytes. */
    heapUsed: async () => (await send("Runtime.getHeapUsage")).usedSize,
    /**
     * Bytes of every WebAssembly.Memory alive in the isolate (parquet-wasm's
     * linear memory): found with Runtime.queryObjects on the prototype, which
     * walks the heap. Linear memory only grows, so its size at the end of a
     * path is its peak during it.
     */
    async wasmBytes() {
      const proto = await send("Runtime.evaluate", { expression: "WebAssembly.Memory.prototype", ...contextParam() });
      const { objects } = await send("Runtime.queryObjects", { prototypeObjectId: proto.result.objectId });
      const { result } = await send("Runtime.callFunctionOn", {
        objectId: objects.objectId,
        functionDeclaration: "function () { return this.reduce((n, m) => n + m.buffer.byteLength, 0); }",
        returnByValue: true,
      });
      await send("Runtime.releaseObjectGroup", { objectGroup: "" }).catch(() => {});
      return result.value;
    },
    /** Samples the used heap every `ms`; `stop()` returns the peak. */
    sampleHeap(ms = 25) {
      let peak = 0;
      let stopped = false;
      const loop = (async () => {
        while (!stopped) {
          try {
            peak = Math.max(peak, (await send("Runtime.getHeapUsage")).usedSize);
          } catch {
            return;
          }
          await new Promise((r) => setTimeout(r, ms));
        }
      })();
      return { stop: async () => ((stopped = true), await loop, peak) };
    },
    startProfile: () => send("Profiler.start"),
    /** Stops the sampling profiler: the profile as DevTools saves it (a .cpuprofile). */
    stopRawProfile: async () => (await send("Profiler.stop")).profile,
    /** Stops the sampling profiler; CPU ms = sampled time not spent idle. */
    async stopProfile() {
      const { profile } = await send("Profiler.stop");
      const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === "(idle)").map((n) => n.id));
      let us = 0;
      for (let i = 0; i < profile.samples.length; i++) if (!idle.has(profile.samples[i])) us += profile.timeDeltas[i] ?? 0;
      return us / 1000;
    },
    /** The invocations limits-probe.js finished since the last call. */
    invocations: async () => JSON.parse(await evaluate("globalThis.__limits ? globalThis.__limits.take() : '[]'")),
    close: () => socket.close(),
  };
}
