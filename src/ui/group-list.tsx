import { Hono } from "hono";
import { allFeatureGroups, type FeatureGroup, type FeatureMetadata, featureMetadataOf, matchesSearch, type SearchExpression, type SearchFilter } from "../catalog";
import { authorize } from "../http/authorize";
import type { AppContext, AppEnv } from "../http/context";
import { arnOf, wireFeatureGroup, wireFeatureMetadata } from "../http/sagemaker/control-shapes";
import { isoTime } from "./format";
import { page } from "./layout";
import { Pager } from "./pager";
import { arrayFetch, keysetPage, pageRequestOf } from "./paging";

/**
 * The list of feature groups: text search over names, descriptions, tags,
 * feature names and feature metadata (the SageMaker Search evaluator,
 * src/catalog/search.ts), filters by tag and status, and sorting. Groups
 * the key's policy does not allow are left out, as the API leaves them out.
 */
export const groupListRoutes = new Hono<AppEnv>();

const SORTS = { name: "Name", created: "Newest first", updated: "Recently changed" } as const;
type Sort = keyof typeof SORTS;
const STATUSES = ["Created", "Deleting", "DeleteFailed"] as const;
/** Groups per page. */
export const GROUPS_PER_PAGE = 50;
/** Search's own bound on a Contains value. */
const MAX_QUERY_CHARS = 1024;

const contains = (name: string, value: string): SearchFilter => ({ name, operator: "Contains", value });
const anyOf = (filters: SearchFilter[]): SearchExpression => ({ operator: "Or", filters, nestedFilters: [], subExpressions: [] });

/** Whether a group, or one of its features' metadata, contains the text (case-sensitive, as Search's Contains is). */
function matchesText(c: AppContext, group: FeatureGroup, metadata: readonly FeatureMetadata[], text: string): boolean {
  const arn = arnOf(c, group.name);
  const groupDoc = wireFeatureGroup(c.env, group, arn);
  if (matchesSearch(groupDoc, anyOf([contains("FeatureGroupName", text), contains("Description", text), contains("AllTags", text), contains("FeatureDefinitions.FeatureName", text)]))) return true;
  const featureExpr = anyOf([contains("Description", text), contains("AllParameters", text)]);
  return metadata.some((m) => matchesSearch(wireFeatureMetadata(m, arn), featureExpr));
}

const tagLabel = (t: { key: string; value: string }) => `${t.key}=${t.value}`;

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
/** The time a sort orders by, newest first; by name there is none. */
const timeOf = (g: FeatureGroup, sort: Sort): number => (sort === "created" ? g.createdAt : sort === "updated" ? g.updatedAt : 0);

/** A group's place in the list's order, for paging: its name, after its time when sorted by one ("<ms>~<name>"). */
const placeOf = (sort: Sort) => (g: FeatureGroup): string => (sort === "name" ? g.name : `${timeOf(g, sort)}~${g.name}`);

/** Where a cursor lies against a group in the list's order (negative: before it); NaN for a cursor that is no place, which then matches nothing. */
function comparePlace(sort: Sort) {
  return (cursor: string, g: FeatureGroup): number => {
    if (sort === "name") return byName(cursor, g.name);
    const cut = cursor.indexOf("~");
    const at = cut > 0 ? Number(cursor.slice(0, cut)) : NaN;
    return timeOf(g, sort) !== at ? timeOf(g, sort) - at : byName(cursor.slice(cut + 1), g.name);
  };
}

/** Newest first for the time sorts, names breaking ties, so every group has one place for the cursors. */
function sortGroups(groups: FeatureGroup[], sort: Sort): FeatureGroup[] {
  return [...groups].sort((a, b) => timeOf(b, sort) - timeOf(a, sort) || byName(a.name, b.name));
}

const searchAction = (c: AppContext) => ((c.req.query("q") ?? "").trim() ? "sagemaker:Search" : "sagemaker:ListFeatureGroups") as "sagemaker:Search" | "sagemaker:ListFeatureGroups";

groupListRoutes.get("/feature-groups", authorize(searchAction), async (c) => {
  const q = (c.req.query("q") ?? "").trim().slice(0, MAX_QUERY_CHARS);
  const tag = c.req.query("tag") ?? "";
  const status = c.req.query("status") ?? "";
  const sortParam = c.req.query("sort") ?? "name";
  const sort: Sort = Object.hasOwn(SORTS, sortParam) ? (sortParam as Sort) : "name";
  const visible = c.get("visibleGroup") ?? (() => true);
  const all = (await allFeatureGroups(c.get("store").db)).filter((g) => visible(g.name));
  const tagOptions = [...new Set(all.flatMap((g) => g.tags.map(tagLabel)))].sort();
  let groups = all.filter((g) => (tag === "" || g.tags.some((t) => tagLabel(t) === tag)) && (status === "" || g.status === status));
  if (q) {
    const metadata = await featureMetadataOf(c.get("store").db, groups);
    groups = groups.filter((g) => matchesText(c, g, metadata.get(g.name) ?? [], q));
  }
  groups = sortGroups(groups, sort);
  const shown = await keysetPage(pageRequestOf(c), GROUPS_PER_PAGE, arrayFetch(groups, placeOf(sort), comparePlace(sort)), placeOf(sort));
  const firstShown = shown.items.length > 0 ? groups.indexOf(shown.items[0]!) + 1 : 0;
  const filtered = q !== "" || tag !== "" || status !== "";
  return page(
    c,
    "Feature groups",
    <>
      <h1>Feature groups</h1>
      <form method="get" action="/ui/feature-groups" class="filters" role="search" aria-label="Find feature groups">
        <label>
          Search
          <input type="search" name="q" value={q} placeholder="name, description, tag, feature…" size={30} />
        </label>
        <label>
          Tag
          <select name="tag">
            <option value="">Any tag</option>
            {tagOptions.map((t) => (
              <option value={t} selected={t === tag}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <label>
          Status
          <select name="status">
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option value={s} selected={s === status}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Sort
          <select name="sort">
            {(Object.keys(SORTS) as Sort[]).map((s) => (
              <option value={s} selected={s === sort}>
                {SORTS[s]}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Apply</button>
        {filtered ? <a href="/ui/feature-groups">Clear</a> : null}
      </form>
      <p role="status">
        {groups.length} of {all.length} feature group{all.length === 1 ? "" : "s"}
        {filtered ? " match" : ""}
        {shown.items.length > 0 && (shown.paged || shown.next !== undefined) ? `; showing ${firstShown}–${firstShown + shown.items.length - 1}` : ""}. <span class="muted">Search is case-sensitive, as the SageMaker Search API's Contains is.</span>
      </p>
      {shown.items.length > 0 ? (
        <table>
          <caption class="skip">Feature groups</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Description</th>
              <th scope="col">Tags</th>
              <th scope="col" class="num">Features</th>
              <th scope="col">Stores</th>
              <th scope="col">Status</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {shown.items.map((g) => (
              <tr>
                <td>
                  <a href={`/ui/feature-groups/${encodeURIComponent(g.name)}`}>{g.name}</a>
                </td>
                <td>{g.description ?? <span class="muted">none</span>}</td>
                <td>
                  {g.tags.map((t) => (
                    <span class="tag">{tagLabel(t)}</span>
                  ))}
                </td>
                <td class="num">{g.features.length}</td>
                <td>{[g.onlineStore.enabled ? "online" : null, g.offlineStore.enabled ? "offline" : null].filter(Boolean).join(" + ")}</td>
                <td>{g.status}</td>
                <td>{isoTime(g.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : groups.length > 0 ? (
        <p class="notice info">No more feature groups on this page.</p>
      ) : (
        <p class="notice info">No feature group matches. Create groups through the API or the fs CLI; they appear here.</p>
      )}
      <Pager c={c} page={shown} label="Feature groups" />
    </>,
  );
});
