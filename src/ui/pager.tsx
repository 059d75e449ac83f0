import type { AppContext } from "../http/context";
import { pageHref, type Paged } from "./paging";

/** Previous / first / next links under a paged list: plain links, so paging works without JavaScript and each page has its own address. */
/** @param labels the links' words where "previous" and "next" would mislead (a newest-first log: newer, older). */
export function Pager(props: { c: AppContext; page: Paged<unknown>; label: string; prefix?: string; labels?: { prev: string; next: string } }) {
  const { c, page, label, prefix = "", labels = { prev: "Previous", next: "Next" } } = props;
  if (!page.paged && page.next === undefined) return null;
  return (
    <nav class="pager" aria-label={`${label}: pages`}>
      {page.prev !== undefined ? (
        <a rel="prev" href={pageHref(c, { before: page.prev }, prefix)}>
          ← {labels.prev}
        </a>
      ) : null}
      {page.paged ? <a href={pageHref(c, null, prefix)}>First page</a> : null}
      {page.next !== undefined ? (
        <a rel="next" href={pageHref(c, { after: page.next }, prefix)}>
          {labels.next} →
        </a>
      ) : null}
    </nav>
  );
}
