import type { AppContext } from "../http/context";

/**
 * Keyset paging for the catalog's long lists, in links that work without
 * JavaScript: `?after=<cursor>` is the page after an item, `?before=<cursor>`
 * the page before one. A cursor names an item's place in the list's order
 * (not an offset), so a group, key or entry added or removed meanwhile
 * never makes the next page repeat or skip one.
 *
 * Sources page with the API's own cursors (the last id or name of a page);
 * each also answers "the items just before this one" so Previous needs no
 * trail of pages in the URL.
 */

/** Cursors are ids, names or "<ms>~<name>": anything longer is not one of ours. */
const MAX_CURSOR_CHARS = 512;
/** A page the key's policy thins out is refilled from further batches, at most this many, so one page costs a bounded number of queries. */
const MAX_BATCHES = 5;

export type Cursor = { after: string } | { before: string };

/** Which page a request asks for: the first, or one after or before a cursor. */
export type PageRequest = Cursor | { first: true };

/** A page: its items in list order, and the cursors of the pages around it. */
export interface Paged<T> {
  items: T[];
  /** Not the first page: the first page is a link away. */
  paged: boolean;
  prev?: string;
  next?: string;
}

/** Items just after or just before a cursor (the first ones without one), in list order, and whether more lie beyond them in that direction. */
export interface Slice<T> {
  items: T[];
  more: boolean;
}

export type Fetch<T> = (cursor: { after?: string } | { before: string }, limit: number) => Promise<Slice<T>>;

/** Reads a list's page parameters (`after`, `before`, or with a prefix for a page holding two lists). */
export function pageRequestOf(c: AppContext, prefix = ""): PageRequest {
  const read = (name: string) => {
    const value = c.req.query(prefix + name);
    return value !== undefined && value !== "" && value.length <= MAX_CURSOR_CHARS ? value : undefined;
  };
  const before = read("before");
  if (before !== undefined) return { before };
  const after = read("after");
  return after !== undefined ? { after } : { first: true };
}

interface Collected<T> {
  items: T[];
  /** Set when more lies beyond the page: the page beyond starts after (or before) this cursor. */
  far?: string;
}

/** Collects up to `size` kept items in one direction, refilling from further batches when the key's policy filters some out. */
async function collect<T>(direction: "after" | "before", start: string | undefined, size: number, fetch: Fetch<T>, cursorOf: (item: T) => string, keep: (item: T) => boolean): Promise<Collected<T>> {
  let kept: T[] = [];
  let cursor = start;
  for (let batch = 0; batch < MAX_BATCHES; batch++) {
    const slice = await fetch(direction === "after" ? (cursor === undefined ? {} : { after: cursor }) : { before: cursor ?? "" }, size);
    const fresh = slice.items.filter(keep);
    kept = direction === "after" ? [...kept, ...fresh] : [...fresh, ...kept];
    if (kept.length >= size) {
      const items = direction === "after" ? kept.slice(0, size) : kept.slice(-size);
      const more = kept.length > size || slice.more;
      return more ? { items, far: cursorOf(direction === "after" ? items.at(-1)! : items[0]!) } : { items };
    }
    const scanned = direction === "after" ? slice.items.at(-1) : slice.items[0];
    if (!slice.more || scanned === undefined) return { items: kept };
    cursor = cursorOf(scanned);
  }
  // Batches spent on items the key may not see: the page beyond continues from the last one scanned.
  return cursor === undefined ? { items: kept } : { items: kept, far: cursor };
}

/**
 * One page of `size` items, kept by `keep` (the key's policy). The page
 * before the first items comes back as the first page (so Previous to the
 * start always shows a full first page), and so does a cursor before which
 * nothing is left.
 */
export async function keysetPage<T>(request: PageRequest, size: number, fetch: Fetch<T>, cursorOf: (item: T) => string, keep: (item: T) => boolean = () => true): Promise<Paged<T>> {
  if ("before" in request) {
    const got = await collect("before", request.before, size, fetch, cursorOf, keep);
    if (got.far !== undefined && got.items.length > 0) return { items: got.items, paged: true, prev: got.far, next: cursorOf(got.items.at(-1)!) };
    return keysetPage({ first: true }, size, fetch, cursorOf, keep);
  }
  const after = "after" in request ? request.after : undefined;
  const got = await collect("after", after, size, fetch, cursorOf, keep);
  return {
    items: got.items,
    paged: after !== undefined,
    ...(after !== undefined ? { prev: got.items.length > 0 ? cursorOf(got.items[0]!) : after } : {}),
    ...(got.far !== undefined ? { next: got.far } : {}),
  };
}

/** Pages an in-memory list, already filtered and sorted, by a cursor that orders like the list (`compare(cursor, item)`). */
export function arrayFetch<T>(items: readonly T[], cursorOf: (item: T) => string, compare: (cursor: string, item: T) => number): Fetch<T> {
  return async (cursor, limit) => {
    if ("before" in cursor) {
      const end = items.findIndex((item) => compare(cursor.before, item) <= 0);
      const stop = end === -1 ? items.length : end;
      return { items: items.slice(Math.max(0, stop - limit), stop), more: stop - limit > 0 };
    }
    const start = cursor.after === undefined ? 0 : items.findIndex((item) => compare(cursor.after!, item) < 0);
    const from = start === -1 ? items.length : start;
    return { items: items.slice(from, from + limit), more: from + limit < items.length };
  };
}

/** The current address with this list's cursor replaced (filters and the other list's cursor stay). */
export function pageHref(c: AppContext, cursor: Cursor | null, prefix = ""): string {
  const url = new URL(c.req.url);
  const params = new URLSearchParams(url.search);
  params.delete(`${prefix}after`);
  params.delete(`${prefix}before`);
  if (cursor && "after" in cursor) params.set(`${prefix}after`, cursor.after);
  if (cursor && "before" in cursor) params.set(`${prefix}before`, cursor.before);
  const query = params.toString();
  return query ? `${url.pathname}?${query}` : url.pathname;
}
