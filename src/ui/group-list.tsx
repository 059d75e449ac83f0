import { Hono } from "hono";
import { allFeatureGroups, type FeatureGroup, type FeatureMetadata, featureMetadataOf, matchesSearch, type SearchExpression, type SearchFilter } from "../catalog";
import { authorize } from "../http/authorize";
import type { AppContext, AppEnv } from "../http/context";
import { arnOf, wireFeatureGroup, wireFeatureMetadata } from "../http/sagemaker/control-shapes";
import { isoTime } from "./format";
import { page } from "./layout";

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

function sortGroups(groups: FeatureGroup[], sort: Sort): FeatureGroup[] {
  const by: Record<Sort, (a: FeatureGroup, b: FeatureGroup) => number> = {
    name: (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
    created: (a, b) => b.createdAt - a.createdAt,
    updated: (a, b) => b.updatedAt - a.updatedAt,
  };
  return [...groups].sort(by[sort]);
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
        {filtered ? " match" : ""}. <span class="muted">Search is case-sensitive, as the SageMaker Search API's Contains is.</span>
      </p>
      {groups.length > 0 ? (
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
            {groups.map((g) => (
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
      ) : (
        <p class="notice info">No feature group matches. Create groups through the API or the fs CLI; they appear here.</p>
      )}
    </>,
  );
});
