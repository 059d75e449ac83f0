import { describe, expect, it } from "vitest";
import { api, createGroup, putRecord } from "../helpers";
import { createKey, policy } from "../access/support";
import { Browser, ORIGIN, ROOT, signedIn } from "./support";

/** The web catalog's session and form security: sign-in, fixation, CSRF, sign-out and escaping. */

const describeGroup = async (name: string) => (await api("GET", `/v1/feature-groups/${name}`)).body;

describe("web catalog sessions", () => {
  it("sends a browser without a session to the sign-in form, remembering the page", async () => {
    const res = await new Browser().get("/ui/feature-groups?tag=a%3Db");
    expect(res.status).toBe(303);
    expect(res.location).toBe(`/ui/sign-in?next=${encodeURIComponent("/ui/feature-groups?tag=a%3Db")}`);
    const form = await new Browser().get("/ui/sign-in");
    expect(form.status).toBe(200);
    expect(form.html).toContain('<label>Access key id<input name="accessKeyId"');
  });

  it("signs in with the root key, setting an HttpOnly SameSite=Strict cookie scoped to /ui that names no secret", async () => {
    const browser = new Browser();
    const res = await browser.signIn();
    expect(res.status).toBe(303);
    expect(res.location).toBe("/ui/feature-groups");
    const cookie = res.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^fs_ui_session=[A-Za-z0-9_-]{43}; Max-Age=86400; Path=\/ui; HttpOnly; Secure; SameSite=Strict$/);
    expect(cookie).not.toContain(ROOT.secret);
    const list = await browser.get("/ui/feature-groups");
    expect(list.status).toBe(200);
    expect(list.html).toContain("Signed in as <code>AKTESTROOT</code> (root)");
    expect(list.html).not.toContain(ROOT.secret);
    expect(list.headers.get("content-security-policy")).toContain("default-src 'none'; style-src 'self'");
    // Under the API's no-referrer, browsers send "Origin: null" with form posts, and every change would be refused.
    expect(list.headers.get("referrer-policy")).toBe("same-origin");
  });

  it("refuses a wrong secret with the same words as an unknown key, and sets no cookie", async () => {
    for (const [id, secret] of [[ROOT.accessKeyId, "wrong"], ["FSAKAAAAAAAAAAAAAAAA", "whatever"]] as const) {
      const browser = new Browser();
      const res = await browser.signIn(id, secret);
      expect(res.status).toBe(401);
      expect(res.html).toContain("The access key id or secret is not valid.");
      expect(res.html).not.toContain(secret === "wrong" ? 'value="wrong"' : 'value="whatever"');
      expect(browser.cookie).toBeUndefined();
    }
  });

  it("gives a new session id at sign-in and ends one the browser already had (session fixation)", async () => {
    const attacker = await signedIn();
    const planted = attacker.cookie!;
    const victim = new Browser();
    victim.cookie = planted;
    await victim.signIn();
    expect(victim.cookie).toBeDefined();
    expect(victim.cookie).not.toBe(planted);
    expect((await attacker.get("/ui/feature-groups")).status).toBe(303);
    expect((await victim.get("/ui/feature-groups")).status).toBe(200);
    // A made-up id is never adopted either.
    const forged = new Browser();
    forged.cookie = "A".repeat(43);
    expect((await forged.get("/ui/feature-groups")).location).toMatch(/^\/ui\/sign-in/);
  });

  it("ends the session on sign-out: the old cookie leads back to the sign-in form", async () => {
    const browser = await signedIn();
    const cookie = browser.cookie!;
    const csrf = await browser.csrfFrom("/ui/feature-groups");
    const out = await browser.post("/ui/sign-out", { csrf });
    expect(out.status).toBe(303);
    expect(out.location).toBe("/ui/sign-in?signedOut");
    expect(out.headers.get("set-cookie")).toMatch(/^fs_ui_session=; Max-Age=0; Path=\/ui/);
    const replay = new Browser();
    replay.cookie = cookie;
    const res = await replay.get("/ui/feature-groups");
    expect(res.status).toBe(303);
    expect(res.location).toMatch(/^\/ui\/sign-in/);
  });

  it("ends a session when its key is disabled", async () => {
    const key = await createKey({ policy: policy({ Effect: "Allow", Action: "*", Resource: "*" }) });
    const browser = await signedIn(key.accessKeyId, key.secretAccessKey);
    expect((await browser.get("/ui/feature-groups")).status).toBe(200);
    expect((await api("PATCH", `/v1/admin/access-keys/${key.accessKeyId}`, { status: "Inactive" })).status).toBe(200);
    // Key lookups are cached for a few seconds (KEY_CACHE_MS); the session must end once it lapses.
    let status = 200;
    for (let i = 0; i < 100 && status === 200; i++) {
      status = (await browser.get("/ui/feature-groups")).status;
      if (status === 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(303);
  }, 30_000);

  it("refuses sign-in from another site's form", async () => {
    const browser = new Browser();
    const res = await browser.post("/ui/sign-in", { accessKeyId: ROOT.accessKeyId, secret: ROOT.secret }, { origin: "https://evil.example" });
    expect(res.status).toBe(403);
    expect(browser.cookie).toBeUndefined();
  });
});

describe("web catalog CSRF protection", () => {
  it("refuses a change without the form's token, with a wrong one, or from another origin, and changes nothing", async () => {
    const group = await createGroup();
    const browser = await signedIn();
    const csrf = await browser.csrfFrom(`/ui/feature-groups/${group}`);
    const path = `/ui/feature-groups/${group}/description`;
    const attempts = [
      () => browser.post(path, { description: "no token" }),
      () => browser.post(path, { description: "wrong token", csrf: `${csrf.slice(0, -2)}xx` }),
      () => browser.post(path, { description: "cross-site", csrf }, { origin: "https://evil.example" }),
      () => browser.post(path, { description: "no origin", csrf }, { origin: null }),
    ];
    for (const attempt of attempts) {
      const res = await attempt();
      expect(res.status).toBe(403);
      expect(res.html).toContain("Refused: nothing was changed");
    }
    expect((await describeGroup(group)).description).toBeUndefined();
    const ok = await browser.post(path, { description: "with token", csrf });
    expect(ok.status).toBe(303);
    expect((await describeGroup(group)).description).toBe("with token");
  });

  it("refuses another session's token", async () => {
    const group = await createGroup();
    const mine = await signedIn();
    const theirs = await signedIn();
    const theirToken = await theirs.csrfFrom("/ui/feature-groups");
    const res = await mine.post(`/ui/feature-groups/${group}/tags`, { key: "team", value: "x", csrf: theirToken });
    expect(res.status).toBe(403);
    expect((await describeGroup(group)).tags).toEqual([]);
  });
});

describe("web catalog escaping", () => {
  const HOSTILE = `<script>alert("x")</script><img src=x onerror=alert(1)>`;

  it("escapes descriptions, feature metadata and record values on every page", async () => {
    const group = await createGroup({ features: [{ name: "note", type: "String" }] });
    expect((await api("PATCH", `/v1/feature-groups/${group}`, { description: HOSTILE })).status).toBe(200);
    expect((await api("PATCH", `/v1/feature-groups/${group}/features/note`, { description: HOSTILE, addParameters: { [HOSTILE.slice(0, 200)]: HOSTILE } })).status).toBe(200);
    expect((await api("PUT", `/v1/feature-groups/${group}/tags`, { tags: [{ key: "team", value: "a+b=c @x" }] })).status).toBe(200);
    expect((await putRecord(group, { id: "u1", ts: "2026-03-01T10:00:00Z", note: HOSTILE })).status).toBe(200);
    const browser = await signedIn();
    const pages = [`/ui/feature-groups`, `/ui/feature-groups?q=${encodeURIComponent("<script>")}`, `/ui/feature-groups/${group}`, `/ui/feature-groups/${group}/records?id=u1`, `/ui/feature-groups/${group}/records?id=${encodeURIComponent(HOSTILE)}`];
    for (const path of pages) {
      const res = await browser.get(path);
      expect(res.status, path).toBe(200);
      expect(res.html, path).not.toContain("<script");
      expect(res.html, path).not.toContain("<img");
    }
    const groupPage = await browser.get(`/ui/feature-groups/${group}`);
    expect(groupPage.html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    const recordPage = await browser.get(`/ui/feature-groups/${group}/records?id=u1`);
    expect(recordPage.html).toContain("&lt;img src=x onerror=alert(1)&gt;");
  });

  it("refuses markup in tag keys and values (the tag pattern allows none) without echoing it", async () => {
    const group = await createGroup();
    const browser = await signedIn();
    const csrf = await browser.csrfFrom(`/ui/feature-groups/${group}`);
    for (const [key, value] of [["<b>x</b>", "v"], ["team", HOSTILE.slice(0, 200)]]) {
      const res = await browser.post(`/ui/feature-groups/${group}/tags`, { csrf, key: key!, value: value! });
      expect(res.status).toBe(400);
      expect(res.html).toMatch(/tag\[0\]\.(key|value): must use only letters, spaces, numbers/);
      expect(res.html).not.toContain("<b>");
      expect(res.html).not.toContain("<script");
    }
    expect((await describeGroup(group)).tags).toEqual([]);
  });

  it("does not redirect off the site after sign-in", async () => {
    for (const next of ["https://evil.example/", "//evil.example/ui", "/ui\\..\\evil", "/v1/admin/access-keys"]) {
      const res = await new Browser().post("/ui/sign-in", { accessKeyId: ROOT.accessKeyId, secret: ROOT.secret, next });
      expect(res.status).toBe(303);
      expect(res.location, next).toBe("/ui/feature-groups");
    }
    expect(ORIGIN).toBe("http://feature-store.test");
  });
});
