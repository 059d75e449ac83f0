// The web catalog in a real browser: Debian's Chromium driven by
// playwright-core against the local stack as `npm start` runs it (wrangler
// dev, local D1, R2, Durable Objects and Queues), in a fresh state folder.
// Screenshots of the main pages go to docs/ui/, which docs/ui.md shows.
//
// Run with `npm run test:browser`. CHROMIUM_PATH overrides /usr/bin/chromium.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { chromium } from "playwright-core";
import { freePort, rootAuth, startStack } from "../../scripts/lib/stack.mjs";

const ROOT_DIR = resolve(import.meta.dirname, "../..");
const SHOTS = join(ROOT_DIR, "docs/ui");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const GROUP = "customers";
const OTHER = "page_views";
/** Offline files appear after the outbox flush (OFFLINE_FLUSH_MS, 5 s) and the queue's batch window (5 s); a loaded machine takes longer. */
const OFFLINE_WAIT_MS = 120_000;

let stack;
let work;
let root;
let origin;
let browser;

async function api(method, path, body, auth = root.bearer) {
  const res = await fetch(`${origin}${path}`, { method, headers: { authorization: auth, "content-type": "application/json" }, ...(body ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function seed() {
  const hour = Math.floor(Date.now() / 3600_000) * 3600_000;
  const at = (hoursAgo) => new Date(hour - hoursAgo * 3600_000).toISOString().replace(".000Z", "Z");
  const features = [
    { name: "customer_id", type: "String" },
    { name: "event_time", type: "String" },
    { name: "lifetime_orders", type: "Integral" },
    { name: "avg_basket_eur", type: "Fractional" },
    { name: "country", type: "String" },
  ];
  await api("POST", "/v1/feature-groups", {
    name: GROUP,
    description: "Customer profile features, one record per customer",
    recordIdentifierFeature: "customer_id",
    eventTimeFeature: "event_time",
    features,
    onlineStore: { enabled: true, ttl: { unit: "Days", value: 30 } },
    offlineStore: { enabled: true },
    shardCount: 2,
    tags: [{ key: "team", value: "growth" }, { key: "tier", value: "gold" }],
  });
  await api("PATCH", `/v1/feature-groups/${GROUP}/features/avg_basket_eur`, { description: "Mean basket value over the last 90 days", addParameters: { unit: "EUR" } });
  await api("POST", "/v1/feature-groups", {
    name: OTHER,
    description: "Page views per session",
    recordIdentifierFeature: "session_id",
    eventTimeFeature: "event_time",
    features: [{ name: "session_id", type: "String" }, { name: "event_time", type: "String" }, { name: "views", type: "Integral" }],
    onlineStore: { enabled: true },
    offlineStore: { enabled: false },
    tags: [{ key: "team", value: "web" }],
  });
  const baskets = [31.5, 42.0, 38.25, 55.1, 47.8, 61.2];
  for (const [i, basket] of baskets.entries()) {
    await api("PUT", `/v1/feature-groups/${GROUP}/records`, { record: { customer_id: "c-1001", event_time: at(baskets.length - i), lifetime_orders: 10 + i, avg_basket_eur: basket, country: "NL" } });
  }
  for (let n = 0; n < 20; n++) {
    await api("PUT", `/v1/feature-groups/${GROUP}/records`, { record: { customer_id: `c-${2000 + n}`, event_time: at(1), lifetime_orders: n, ...(n % 4 === 0 ? {} : { avg_basket_eur: 20 + n * 1.5 }), country: ["DE", "FR", "NL", "ES"][n % 4] } });
  }
  const readOnly = await api("POST", "/v1/admin/access-keys", {
    name: "catalog reader",
    policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["sagemaker:ListFeatureGroups", "sagemaker:Search", "sagemaker:DescribeFeatureGroup"], Resource: "*" }] },
  });
  return { reader: { id: readOnly.accessKey.accessKeyId, secret: readOnly.secretAccessKey } };
}

let reader;

/** A fresh browser context (its own profile folder), collecting console errors such as CSP violations. */
async function newPage() {
  const profile = mkdtempSync(join(work, "profile-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    viewport: { width: 1280, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(30_000);
  const problems = [];
  page.on("console", (msg) => msg.type() === "error" && problems.push(msg.text()));
  page.on("pageerror", (error) => problems.push(error.message));
  return { context, page, problems };
}

async function signIn(page, id, secret) {
  await page.goto(`${origin}/ui`);
  assert.match(new URL(page.url()).pathname, /^\/ui\/sign-in$/);
  // By keyboard, as a screen-reader or keyboard user would.
  await page.getByLabel("Access key id").focus();
  await page.keyboard.type(id);
  await page.keyboard.press("Tab");
  await page.keyboard.type(secret);
  await page.keyboard.press("Enter");
  await page.waitForURL(`${origin}/ui/feature-groups`);
}

before(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install Debian's package (apt-get install chromium) or set CHROMIUM_PATH`);
  work = mkdtempSync(join(tmpdir(), "fs-browser-"));
  root = rootAuth();
  const port = await freePort();
  stack = await startStack({ port, stateDir: join(work, "state"), logFile: join(work, "stack.log"), auth: root.bearer });
  origin = stack.origin;
  ({ reader } = await seed());
  mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  await stack?.stop();
  if (work && process.exitCode === undefined) rmSync(work, { recursive: true, force: true });
  else if (work) console.error(`kept ${work} (stack.log) for a look`);
});

describe("web catalog in Chromium", () => {
  let session;

  before(async () => {
    session = await newPage();
  });
  after(async () => {
    await session?.context.close();
  });

  it("signs in with the root key and keeps the secret out of the URL, storage and cookie", async () => {
    const { page, context } = session;
    await signIn(page, root.accessKeyId, root.secretAccessKey);
    await page.getByText(`Signed in as ${root.accessKeyId} (root)`).waitFor();
    assert.ok(!page.url().includes(root.secretAccessKey));
    const cookies = await context.cookies();
    assert.equal(cookies.length, 1);
    assert.equal(cookies[0].name, "fs_ui_session");
    assert.equal(cookies[0].httpOnly, true);
    assert.equal(cookies[0].sameSite, "Strict");
    assert.ok(!cookies[0].value.includes(root.secretAccessKey));
    assert.equal(await page.evaluate(() => localStorage.length + sessionStorage.length), 0);
  });

  it("searches by tag and by text", async () => {
    const { page } = session;
    await page.getByLabel("Tag").selectOption("team=growth");
    await page.getByRole("button", { name: "Apply" }).click();
    await page.getByRole("status").filter({ hasText: "1 of 2 feature groups match" }).waitFor();
    assert.deepEqual(await page.locator("tbody tr td:first-child a").allTextContents(), [GROUP]);
    await page.screenshot({ path: join(SHOTS, "feature-groups.png"), fullPage: true });
    await page.getByLabel("Search").fill("Mean basket");
    await page.getByLabel("Tag").selectOption("");
    await page.getByRole("button", { name: "Apply" }).click();
    assert.deepEqual(await page.locator("tbody tr td:first-child a").allTextContents(), [GROUP]);
  });

  it("opens a group and sees its statistics from the offline files and its write-volume chart", async () => {
    const { page } = session;
    await page.getByRole("link", { name: GROUP, exact: true }).click();
    await page.getByRole("heading", { level: 1, name: GROUP }).waitFor();
    const deadline = Date.now() + OFFLINE_WAIT_MS;
    // The seeded rows reach the offline store a few seconds after they were written.
    while (!(await page.getByText("From the Parquet footers of").isVisible()) || !(await page.getByText("none: every online write is in the offline store").isVisible())) {
      assert.ok(Date.now() < deadline, "the seeded rows did not reach the offline store in time");
      await new Promise((r) => setTimeout(r, 2_000));
      await page.reload();
    }
    const stats = page.locator("section", { has: page.getByRole("heading", { name: "Feature statistics" }) });
    const basket = stats.getByRole("row", { name: /avg_basket_eur/ });
    assert.deepEqual(await basket.locator("td").allTextContents(), ["26", "19.2%", "21.50", "61.20"]);
    assert.ok(await page.getByRole("img", { name: /Rows written over time/ }).isVisible());
    assert.equal(await page.locator("svg.chart rect.bar").count() > 0, true);
    // The online store's freshness: the newest write any shard applied.
    const lastWrite = page.locator("dl.facts dt", { hasText: "Last write" }).locator("xpath=following-sibling::dd[1]");
    assert.match(await lastWrite.innerText(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(\d+ (ms|s|min) ago\)$/);
    await page.screenshot({ path: join(SHOTS, "feature-group.png"), fullPage: true });
  });

  it("looks up a record and sees its history as a timeline and a chart", async () => {
    const { page } = session;
    await page.getByLabel(/Record identifier/).first().fill("c-1001");
    await page.getByRole("button", { name: "Look up" }).first().click();
    await page.getByRole("heading", { level: 1, name: "Record c-1001" }).waitFor();
    assert.match(await page.locator("main").innerText(), /Expires at .*\(the group's TTL\)/);
    assert.equal(await page.locator("ol.timeline > li").count(), 6);
    await page.getByLabel("Chart feature").selectOption("avg_basket_eur");
    await page.getByRole("button", { name: "Show" }).click();
    await page.getByRole("img", { name: /avg_basket_eur over event time/ }).waitFor();
    assert.equal(await page.locator("svg.chart circle.dot").count(), 6);
    await page.screenshot({ path: join(SHOTS, "record.png"), fullPage: true });
  });

  it("edits a description and the API answers with it", async () => {
    const { page } = session;
    await page.goto(`${origin}/ui/feature-groups/${GROUP}`);
    await page.getByLabel("Description", { exact: true }).fill("Customer profile features, refreshed hourly");
    await page.getByRole("button", { name: "Save description" }).click();
    await page.getByRole("status").filter({ hasText: "Description saved." }).waitFor();
    assert.equal((await api("GET", `/v1/feature-groups/${GROUP}`)).description, "Customer profile features, refreshed hourly");
  });

  it("ran every page without a console error or a blocked resource", () => {
    assert.deepEqual(session.problems, []);
  });

  it("signs out, and the session is gone", async () => {
    const { page, context } = session;
    const [cookie] = await context.cookies();
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByText("You are signed out.").waitFor();
    assert.deepEqual(await context.cookies(), []);
    await page.goto(`${origin}/ui/feature-groups`);
    assert.equal(new URL(page.url()).pathname, "/ui/sign-in");
    const replay = await fetch(`${origin}/ui/feature-groups`, { headers: { cookie: `fs_ui_session=${cookie.value}` }, redirect: "manual" });
    assert.equal(replay.status, 303);
    assert.match(replay.headers.get("location"), /^\/ui\/sign-in/);
  });
});

describe("a key without permission", () => {
  it("sees what its policy leaves out, and a refusal when it tries anyway", async () => {
    const { page, context } = await newPage();
    try {
      // A wrong secret first: refused with the same words as any bad credential, and the form stays usable.
      await page.goto(`${origin}/ui/sign-in`);
      await page.getByLabel("Access key id").fill(reader.id);
      await page.getByLabel("Secret access key").fill("not-the-secret");
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("alert").filter({ hasText: "The access key id or secret is not valid." }).waitFor();
      await signIn(page, reader.id, reader.secret);
      await page.getByRole("link", { name: GROUP, exact: true }).click();
      await page.getByText("does not allow sagemaker:UpdateFeatureGroup on this group, so you cannot edit its description").waitFor();
      assert.equal(await page.getByRole("button", { name: "Save description" }).count(), 0);
      await page.screenshot({ path: join(SHOTS, "refused.png"), fullPage: true });
      await page.getByLabel(/Record identifier/).first().fill("c-1001");
      await page.getByRole("button", { name: "Look up" }).first().click();
      await page.getByRole("heading", { name: "Not allowed by your access key's policy" }).waitFor();
      assert.match(await page.locator("main").innerText(), /Your key may not sagemaker:GetRecord on arn:aws:sagemaker:/);
    } finally {
      await context.close();
    }
  });
});
