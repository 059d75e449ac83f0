import { createExecutionContext, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { corsOrigins } from "../../src/http/cors";
import { app } from "../../src/http/app";
import { api, ROOT_AUTH } from "../helpers";

const ALLOWED = "https://app.example.com";

/** The app with FS_CORS_ORIGINS set as a deployment would set it. */
function fetchWithOrigins(origins: string | undefined, path: string, init: RequestInit): Promise<Response> {
  return Promise.resolve(app.fetch(new Request(`http://feature-store.test${path}`, init), { ...env, FS_CORS_ORIGINS: origins }, createExecutionContext()));
}

const preflight = (origin: string, method = "PUT") => ({
  method: "OPTIONS",
  headers: { origin, "access-control-request-method": method, "access-control-request-headers": "authorization, content-type" },
});

describe("CORS", () => {
  it("reads FS_CORS_ORIGINS as exact, comma-separated origins", () => {
    expect([...corsOrigins(" https://a.example , http://localhost:5173,,")]).toEqual(["https://a.example", "http://localhost:5173"]);
    expect(corsOrigins(undefined).size).toBe(0);
    expect(corsOrigins("").size).toBe(0);
  });

  it("sends no CORS headers when no origin is configured, even to a valid authenticated request", async () => {
    const res = await api("GET", "/v1/health", undefined, { origin: ALLOWED });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("refuses a preflight when no origin is configured, without saying what is configured", async () => {
    for (const path of ["/v1/feature-groups/users/records", "/FeatureGroup/users"]) {
      const res = await fetchWithOrigins(undefined, path, preflight(ALLOWED));
      expect(res.status).toBe(403);
      expect(res.headers.get("access-control-allow-origin")).toBeNull();
      expect(await res.text()).not.toContain("FS_CORS_ORIGINS");
    }
  });

  it("answers a preflight from an allowed origin without credentials, and only for that origin", async () => {
    const res = await fetchWithOrigins(`https://other.example,${ALLOWED}`, "/v1/feature-groups/users/records", preflight(ALLOWED));
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(ALLOWED);
    expect(res.headers.get("access-control-allow-methods")).toContain("PUT");
    expect(res.headers.get("access-control-allow-headers")).toContain("authorization");
    expect(res.headers.get("vary")).toContain("Origin");
    const denied = await fetchWithOrigins(ALLOWED, "/v1/feature-groups/users/records", preflight("https://app.example.com.evil.test"));
    expect(denied.status).toBe(403);
    expect(denied.headers.get("access-control-allow-origin")).toBeNull();
    const body = (await denied.json()) as { error: { code: string; requestId: string } };
    expect(body.error.code).toBe("access_denied");
    expect(body.error.requestId).toBeTruthy();
  });

  it("marks responses to an allowed origin readable, and still authenticates them", async () => {
    const ok = await fetchWithOrigins(ALLOWED, "/v1/health", { headers: { origin: ALLOWED, authorization: ROOT_AUTH } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe(ALLOWED);
    expect(ok.headers.get("access-control-expose-headers")).toContain("x-request-id");
    const unauthenticated = await fetchWithOrigins(ALLOWED, "/v1/health", { headers: { origin: ALLOWED } });
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers.get("access-control-allow-origin")).toBe(ALLOWED);
    const other = await fetchWithOrigins(ALLOWED, "/v1/health", { headers: { origin: "null", authorization: ROOT_AUTH } });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("security headers", () => {
  it("are on successes, errors and unknown routes alike", async () => {
    for (const res of [await api("GET", "/v1/health"), await api("GET", "/v1/nope"), await api("GET", "/v1/health", undefined, { authorization: "Bearer x:y" })]) {
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    }
  });
});
