import { exports } from "cloudflare:workers";

/**
 * A minimal browser for the web catalog's route tests: keeps the session
 * cookie, sends forms url-encoded with this site's Origin (as browsers do),
 * and never follows redirects, so tests see each 303 and where it points.
 */

export const ORIGIN = "http://feature-store.test";
export const ROOT = { accessKeyId: "AKTESTROOT", secret: "test-root-secret" };

export interface Page {
  status: number;
  headers: Headers;
  html: string;
  location: string | null;
}

const SESSION_COOKIE = /(?:^|,\s*)fs_ui_session=([^;]*)/;

export class Browser {
  cookie: string | undefined;

  /** @param clientAddress sent as CF-Connecting-IP, as Cloudflare's edge sets it. */
  constructor(readonly clientAddress?: string) {}

  async request(method: string, path: string, init: { body?: URLSearchParams; origin?: string | null } = {}): Promise<Page> {
    const headers: Record<string, string> = {};
    if (this.cookie) headers.cookie = `fs_ui_session=${this.cookie}`;
    if (this.clientAddress) headers["cf-connecting-ip"] = this.clientAddress;
    if (init.body) headers["content-type"] = "application/x-www-form-urlencoded";
    if (method === "POST" && init.origin !== null) headers.origin = init.origin ?? ORIGIN;
    const res = await exports.default.fetch(`${ORIGIN}${path}`, { method, headers, redirect: "manual", ...(init.body ? { body: init.body.toString() } : {}) });
    const setCookie = res.headers.get("set-cookie");
    const match = setCookie ? SESSION_COOKIE.exec(setCookie) : null;
    if (match) this.cookie = match[1] === "" ? undefined : match[1];
    return { status: res.status, headers: res.headers, html: await res.text(), location: res.headers.get("location") };
  }

  get(path: string): Promise<Page> {
    return this.request("GET", path);
  }

  post(path: string, fields: Record<string, string>, options: { origin?: string | null } = {}): Promise<Page> {
    return this.request("POST", path, { body: new URLSearchParams(fields), ...options });
  }

  async signIn(accessKeyId = ROOT.accessKeyId, secret = ROOT.secret): Promise<Page> {
    return this.post("/ui/sign-in", { accessKeyId, secret, next: "/ui/feature-groups" });
  }

  /** The CSRF token of the forms on a page. */
  async csrfFrom(path: string): Promise<string> {
    const page = await this.get(path);
    const token = /name="csrf" value="([^"]+)"/.exec(page.html)?.[1];
    if (!token) throw new Error(`no CSRF token on ${path} (status ${page.status})`);
    return token;
  }
}

/** A signed-in browser (root unless another key is given). */
export async function signedIn(accessKeyId = ROOT.accessKeyId, secret = ROOT.secret): Promise<Browser> {
  const browser = new Browser();
  const res = await browser.signIn(accessKeyId, secret);
  if (res.status !== 303 || !browser.cookie) throw new Error(`sign-in failed: ${res.status} ${res.html.slice(0, 200)}`);
  return browser;
}
