import { createMiddleware } from "hono/factory";
import type { AppEnv } from "./context";

/**
 * Headers every response carries. The API serves JSON, CSV, Parquet and
 * Arrow, never pages: browsers must not sniff a type, render a response as a
 * document, frame it or cache records.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "x-content-type-options": "nosniff",
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

export const securityHeaders = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
    if (!c.res.headers.has(name)) c.header(name, value);
  }
});
