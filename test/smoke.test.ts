import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

describe("smoke", () => {
  it("answers health with a valid credential", async () => {
    const res = await exports.default.fetch("http://fs.test/v1/health", { headers: { authorization: "Bearer AKTESTROOT:test-root-secret" } });
    expect(res.status).toBe(200);
  });
});
