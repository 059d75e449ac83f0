import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { admit, defaultRateLimit } from "../access";
import { principalOf } from "../auth";
import { clockOf } from "../clock";
import { FailureError, orThrow } from "../failure";
import { readTextBody } from "../http/body";
import type { AppContext, AppEnv } from "../http/context";
import { endSession, findSession, SESSION_MAX_MS, tokensEqual } from "./sessions";

/**
 * What stands between a browser and a web catalog page: the session cookie
 * (resolved to the access key it acts for, whose status and policy are read
 * afresh on every request), the key's rate limit, and on every POST the
 * Origin check and the synchronizer token.
 */

export const SESSION_COOKIE = "fs_ui_session";
/** The form field carrying the session's CSRF token. */
export const CSRF_FIELD = "csrf";
/** Forms are a few fields of text; a tag or description is at most a few KB. */
export const MAX_FORM_BYTES = 64 * 1024;
const COOKIE_PATH = "/ui";

/** Browsers send Secure cookies to http://localhost too, but the cookie must also work when a test stack answers on 127.0.0.1. */
function isLocalHost(url: URL): boolean {
  return url.hostname === "localhost" || url.hostname === "127.0.0.1" || url.hostname === "[::1]";
}

/** Sets the session cookie: HttpOnly, SameSite=Strict, scoped to /ui, Secure outside localhost. */
export function setSessionCookie(c: AppContext, token: string): void {
  setCookie(c, SESSION_COOKIE, token, { path: COOKIE_PATH, httpOnly: true, sameSite: "Strict", secure: !isLocalHost(new URL(c.req.url)), maxAge: SESSION_MAX_MS / 1000 });
}

export function clearSessionCookie(c: AppContext): void {
  deleteCookie(c, SESSION_COOKIE, { path: COOKIE_PATH, secure: !isLocalHost(new URL(c.req.url)) });
}

export const sessionToken = (c: AppContext): string | undefined => getCookie(c, SESSION_COOKIE);

/** Where to send a browser without a session: the sign-in form, remembering a page it asked for. */
function toSignIn(c: AppContext): Response {
  const url = new URL(c.req.url);
  const next = c.req.method === "GET" && url.pathname !== "/ui/sign-in" ? `?next=${encodeURIComponent(url.pathname + url.search)}` : "";
  return c.redirect(`/ui/sign-in${next}`, 303);
}

/**
 * Requires a live session and makes its key the request's principal, so
 * routes authorize with the API's own authorize() and policy engine. A
 * session whose key was disabled, expired or deleted ends here.
 */
export const requireSession = createMiddleware<AppEnv>(async (c, next) => {
  const token = sessionToken(c);
  const store = c.get("store");
  const session = token ? await findSession(store.db, token, store.now) : null;
  if (!token || !session) {
    if (token) clearSessionCookie(c);
    return toSignIn(c);
  }
  const principal = await principalOf(c.env, session.accessKeyId, c.env.FS_REGION, store.now);
  if (!principal.ok) {
    if (principal.failure.reason !== "unauthenticated") throw new FailureError(principal.failure);
    await endSession(store.db, token);
    clearSessionCookie(c);
    return toSignIn(c);
  }
  c.set("principal", principal.value);
  c.set("uiSession", session);
  if (!principal.value.root) orThrow(await admit(c.env, principal.value.accessKeyId, principal.value.rateLimit ?? defaultRateLimit(c.env), clockOf(c.env)));
  await next();
});

/** The POST came from a page of this origin: browsers send Origin on every form POST. */
export function sameOrigin(c: AppContext): boolean {
  const origin = c.req.header("origin");
  return origin !== undefined && origin === new URL(c.req.url).origin;
}

/** Reads a POST's url-encoded form once (bounded) into the context. */
export async function readForm(c: AppContext): Promise<URLSearchParams> {
  const cached = c.get("uiForm");
  if (cached) return cached;
  const form = new URLSearchParams(orThrow(await readTextBody(c.req.raw, MAX_FORM_BYTES)));
  c.set("uiForm", form);
  return form;
}

/** Refused before anything changes: a POST from another origin or without this session's token. */
export class CsrfRefusal extends Error {
  constructor(readonly why: string) {
    super(why);
    this.name = "CsrfRefusal";
  }
}

/** Every change needs the Origin of this site and the session's synchronizer token. */
export const requireCsrf = createMiddleware<AppEnv>(async (c, next) => {
  if (c.req.method !== "POST") return next();
  if (!sameOrigin(c)) throw new CsrfRefusal("the request did not come from a page of this site (its Origin header does not match)");
  const session = c.get("uiSession");
  const presented = (await readForm(c)).get(CSRF_FIELD) ?? "";
  if (!session || !(await tokensEqual(presented, session.csrfToken))) throw new CsrfRefusal("the form's security token is missing or out of date; reload the page and try again");
  await next();
});
