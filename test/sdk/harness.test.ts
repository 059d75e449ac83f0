import { describe, expect, it } from "vitest";
import { createGroup, ENDPOINT, native } from "./support";

describe("the sdk harness", () => {
  it("serves the bundled worker on an ephemeral 127.0.0.1 port", () => {
    const url = new URL(ENDPOINT);
    expect(url.protocol).toBe("http:");
    expect(url.hostname).toBe("127.0.0.1");
    expect(Number(url.port)).toBeGreaterThan(0);
  });

  it("runs the worker with the sdk root credential bound, over real HTTP", async () => {
    const res = await native("GET", "/health");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: "ok" });
  });

  it("refuses the native API without a credential", async () => {
    const res = await fetch(`${ENDPOINT}/v1/health`);
    expect(res.status).toBe(401);
  });

  it("runs the query worker too, reached through the API worker's QUERY service binding", async () => {
    const { name } = await createGroup({ offline: true });
    const res = await native("GET", `/feature-groups/${name}/as-of`);
    expect(res.status, res.text).toBe(200);
  });
});
