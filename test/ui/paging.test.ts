import { describe, expect, it } from "vitest";
import { api, createGroup, uniqueName } from "../helpers";
import { createKey } from "../access/support";
import { GROUPS_PER_PAGE } from "../../src/ui/group-list";
import { AUDIT_PAGE, KEYS_PAGE } from "../../src/ui/admin";
import { arrayFetch, keysetPage } from "../../src/ui/paging";
import { signedIn, type Browser } from "./support";

/** Long lists come in bounded pages with Previous and Next links that work without JavaScript. */

const listedGroups = (html: string): string[] => [...html.matchAll(/<td><a href="\/ui\/feature-groups\/([^"]+)">/g)].map((m) => decodeURIComponent(m[1]!));
const unescape = (href: string) => href.replace(/&amp;/g, "&");
const link = (html: string, rel: "next" | "prev"): string | undefined => {
  const href = new RegExp(`<a rel="${rel}" href="([^"]+)"`).exec(html)?.[1];
  return href === undefined ? undefined : unescape(href);
};

async function inBatches<T>(count: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < count; i += 10) out.push(...(await Promise.all(Array.from({ length: Math.min(10, count - i) }, (_, j) => make(i + j)))));
  return out;
}

/** Follows Next from a first page to the end; every page's items. */
async function walk(browser: Browser, first: string, itemsOf: (html: string) => string[]): Promise<string[][]> {
  const pages: string[][] = [];
  let path: string | undefined = first;
  while (path !== undefined && pages.length < 20) {
    const page = await browser.get(path);
    expect(page.status).toBe(200);
    pages.push(itemsOf(page.html));
    path = link(page.html, "next");
  }
  return pages;
}

describe("paging", () => {
  it("shows the next groups on page 2, none twice, and Previous leads back to page 1, by name and newest first", async () => {
    const prefix = uniqueName("paged");
    const names = await inBatches(GROUPS_PER_PAGE + 5, (i) => createGroup({ name: `${prefix}-${String(i).padStart(3, "0")}` }));
    const browser = await signedIn();
    for (const sort of ["name", "created"]) {
      const first = await browser.get(`/ui/feature-groups?q=${prefix}&sort=${sort}`);
      const page1 = listedGroups(first.html);
      expect(page1).toHaveLength(GROUPS_PER_PAGE);
      expect(first.html).toContain(`${GROUPS_PER_PAGE + 5} of`);
      expect(link(first.html, "prev")).toBeUndefined();
      const nextHref = link(first.html, "next")!;
      expect(nextHref).toContain(`q=${prefix}`);
      expect(nextHref).toContain(`sort=${sort}`);
      const second = await browser.get(nextHref);
      const page2 = listedGroups(second.html);
      expect(page2).toHaveLength(5);
      expect(page2.filter((n) => page1.includes(n))).toEqual([]);
      expect(new Set([...page1, ...page2])).toEqual(new Set(names));
      expect(link(second.html, "next")).toBeUndefined();
      expect(second.html).toContain(`showing ${GROUPS_PER_PAGE + 1}–${GROUPS_PER_PAGE + 5}`);
      if (sort === "name") expect([...page1, ...page2]).toEqual([...names].sort());
      const back = await browser.get(link(second.html, "prev")!);
      expect(listedGroups(back.html)).toEqual(page1);
    }
  }, 60_000);

  it("repeats no group on the next page when one is created between page loads", async () => {
    const prefix = uniqueName("moving");
    await inBatches(GROUPS_PER_PAGE + 2, (i) => createGroup({ name: `${prefix}-b${String(i).padStart(3, "0")}` }));
    const browser = await signedIn();
    const first = await browser.get(`/ui/feature-groups?q=${prefix}`);
    const page1 = listedGroups(first.html);
    await createGroup({ name: `${prefix}-a000` });
    const page2 = listedGroups((await browser.get(link(first.html, "next")!)).html);
    expect(page2).toEqual([GROUPS_PER_PAGE, GROUPS_PER_PAGE + 1].map((i) => `${prefix}-b${String(i).padStart(3, "0")}`));
    expect(page2.filter((n) => page1.includes(n))).toEqual([]);
  }, 60_000);

  it("pages the access keys by id, without repeats, and back", async () => {
    const created = await inBatches(KEYS_PAGE + 1, (i) => createKey({ name: `paged key ${i}` }));
    const browser = await signedIn();
    const ids = (html: string) => [...html.matchAll(/<th scope="row"><code>(FSAK[A-Z2-7]{16})<\/code>/g)].map((m) => m[1]!);
    const pages = await walk(browser, "/ui/admin", ids);
    expect(pages.length).toBeGreaterThanOrEqual(2);
    for (const page of pages) expect(page.length).toBeLessThanOrEqual(KEYS_PAGE);
    const all = pages.flat();
    expect(new Set(all).size).toBe(all.length);
    expect(all).toEqual([...all].sort());
    for (const key of created) expect(all).toContain(key.accessKeyId);
    const first = await browser.get("/ui/admin");
    const second = await browser.get(link(first.html, "next")!);
    expect(ids((await browser.get(link(second.html, "prev")!)).html)).toEqual(ids(first.html));
  }, 60_000);

  it("pages the audit log newest first, with Older and Newer entries links", async () => {
    const group = await createGroup();
    const total = AUDIT_PAGE + 3;
    for (let i = 0; i < total; i++) expect((await api("PUT", `/v1/feature-groups/${group}/tags`, { tags: [{ key: "n", value: String(i) }] })).status).toBeLessThan(300);
    const browser = await signedIn();
    const rows = (html: string) => [...html.matchAll(/<tr><td>[^<]+<\/td><td><code>[^<]+<\/code><\/td><td><code>sagemaker:AddTags<\/code>/g)].length;
    const first = await browser.get(`/ui/admin/audit?featureGroup=${group}&action=sagemaker:AddTags`);
    expect(rows(first.html)).toBe(AUDIT_PAGE);
    expect(first.html).toContain("Older entries");
    const older = await browser.get(link(first.html, "next")!);
    expect(rows(older.html)).toBe(3);
    expect(link(older.html, "next")).toBeUndefined();
    const newer = await browser.get(link(older.html, "prev")!);
    expect(rows(newer.html)).toBe(AUDIT_PAGE);
  }, 60_000);
});

describe("page links", () => {
  it("escapes a cursor taken from the address in the page and its links", async () => {
    const browser = await signedIn();
    for (const path of ["/ui/feature-groups?sort=created&after=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E", "/ui/admin/audit?before=%22%3E%3Cimg%20src%3Dx%3E", "/ui/jobs?ds-after=%3Cb%3E"]) {
      const page = await browser.get(path);
      expect(page.status).toBe(200);
      expect(page.html).not.toMatch(/<script>alert|<img src=x>|<b>/);
    }
  });
});

describe("keysetPage", () => {
  const items = Array.from({ length: 23 }, (_, i) => String(i).padStart(2, "0"));
  const fetch = arrayFetch(items, (s) => s, (cursor, item) => (cursor < item ? -1 : cursor > item ? 1 : 0));

  it("refills a page the policy thins out, and pages back to the same items", async () => {
    const even = (s: string) => Number(s) % 2 === 0;
    const page1 = await keysetPage({ first: true }, 5, fetch, (s) => s, even);
    expect(page1.items).toEqual(["00", "02", "04", "06", "08"]);
    expect(page1.paged).toBe(false);
    const page2 = await keysetPage({ after: page1.next! }, 5, fetch, (s) => s, even);
    expect(page2.items).toEqual(["10", "12", "14", "16", "18"]);
    const page3 = await keysetPage({ after: page2.next! }, 5, fetch, (s) => s, even);
    expect(page3.items).toEqual(["20", "22"]);
    expect(page3.next).toBeUndefined();
    expect((await keysetPage({ before: page3.prev! }, 5, fetch, (s) => s, even)).items).toEqual(page2.items);
    // Previous from page 2 is the first page, in full, without a Previous of its own.
    const back = await keysetPage({ before: page2.prev! }, 5, fetch, (s) => s, even);
    expect(back).toEqual(page1);
  });

  it("shows the first page for a cursor before which nothing is left", async () => {
    expect((await keysetPage({ before: "00" }, 5, fetch, (s) => s)).items).toEqual(["00", "01", "02", "03", "04"]);
  });
});
