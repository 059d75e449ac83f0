import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, createGroup } from "./helpers";

const routes: [string, string][] = [
  ["GET", "/v1/health"],
  ["GET", "/v1/feature-groups"],
  ["POST", "/v1/feature-groups"],
  ["GET", "/v1/feature-groups/g"],
  ["PATCH", "/v1/feature-groups/g"],
  ["DELETE", "/v1/feature-groups/g"],
  ["GET", "/v1/feature-groups/g/features/f"],
  ["PATCH", "/v1/feature-groups/g/features/f"],
  ["PUT", "/v1/feature-groups/g/records"],
  ["GET", "/v1/feature-groups/g/records/r"],
  ["DELETE", "/v1/feature-groups/g/records/r?eventTime=2026-01-01T00:00:00Z"],
  ["POST", "/v1/records/batch-get"],
];

describe("authentication", () => {
  it.each(routes)("refuses %s %s without credentials", async (method, path) => {
    const res = await api(method, path, method === "GET" || method === "DELETE" ? undefined : "{}", { authorization: "" });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("unauthenticated");
  });

  const wrong: [string, string][] = [
    ["a wrong secret", "Bearer AKTESTROOT:not-the-secret"],
    ["an unknown access key", "Bearer AKOTHER:test-root-secret"],
    ["a malformed header", "Bearer test-root-secret"],
    ["another scheme", "Basic QUtURVNUUk9PVDp0ZXN0LXJvb3Qtc2VjcmV0"],
  ];
  it.each(wrong)("refuses %s and never echoes the secret", async (_, authorization) => {
    const res = await api("GET", "/v1/feature-groups", undefined, { authorization });
    expect(res.status).toBe(401);
    expect(res.text).not.toContain("test-root-secret");
    expect(res.text).not.toContain("not-the-secret");
  });

  it("writes nothing for an unauthenticated write", async () => {
    const group = await createGroup();
    const res = await api("PUT", `/v1/feature-groups/${group}/records`, { record: { id: "u1", ts: "2026-01-01T00:00:00Z" } }, { authorization: "Bearer AKTESTROOT:wrong" });
    expect(res.status).toBe(401);
    expect((await api("GET", `/v1/feature-groups/${group}/records/u1`)).status).toBe(404);
  });

  it("authenticates before routing, so unknown paths do not reveal themselves", async () => {
    const res = await exports.default.fetch("http://fs.test/v1/nowhere");
    expect(res.status).toBe(401);
  });

  it("answers an unknown route with the native error shape and a request id", async () => {
    const res = await api("GET", "/v1/nowhere");
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("route_not_found");
    expect(res.body.error.requestId).toBe(res.headers.get("x-request-id"));
  });
});
