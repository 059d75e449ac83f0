import { allFeatureGroups, compareForSort, listFeatureMetadata, matchesSearch, parseSearchExpression, type SearchDocument, type SearchExpression } from "../../catalog";
import { invalid, orThrow } from "../../failure";
import type { AppContext } from "../context";
import { arnOf, wireFeatureGroup, wireFeatureMetadata } from "./control-shapes";

type Json = Record<string, unknown>;

const TIME_COMPARISONS = new Set(["Equals", "NotEquals", "GreaterThan", "GreaterThanOrEqualTo", "LessThan", "LessThanOrEqualTo"]);
const TIME_VALUE = /^(\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?|-?\d+(\.\d+)?)$/;

/** Timestamp properties compare only with times (ISO-8601 or epoch seconds), as SageMaker requires. */
function checkTimeFilters(expr: SearchExpression, field: string): void {
  expr.filters.forEach((f, i) => {
    if (/Time$/.test(f.name) && TIME_COMPARISONS.has(f.operator) && f.value !== undefined && !TIME_VALUE.test(f.value)) {
      orThrow(invalid(`${field}.Filters[${i}].Value`, `must be a time (ISO-8601 or epoch seconds) to compare with ${f.name}`));
    }
  });
  expr.subExpressions.forEach((sub, i) => checkTimeFilters(sub, `${field}.SubExpressions[${i}]`));
}

/**
 * SageMaker Search over the catalog: FeatureGroup and FeatureMetadata
 * resources, evaluated in memory (control-plane traffic, catalogs of
 * thousands of groups at most).
 */
export async function searchCatalog(c: AppContext, req: Json): Promise<Json> {
  const resource = req.Resource;
  if (resource !== "FeatureGroup" && resource !== "FeatureMetadata") orThrow(invalid("Resource", "must be FeatureGroup or FeatureMetadata (the resources this service holds)"));
  const expression = req.SearchExpression === undefined ? undefined : orThrow(parseSearchExpression(req.SearchExpression, "SearchExpression"));
  if (expression) checkTimeFilters(expression, "SearchExpression");
  // AWS sorts Search results descending by default.
  const order = req.SortOrder ?? "Descending";
  if (order !== "Ascending" && order !== "Descending") orThrow(invalid("SortOrder", "must be Ascending or Descending"));
  if (req.SortBy !== undefined && typeof req.SortBy !== "string") orThrow(invalid("SortBy", "must be a property name"));
  const max = req.MaxResults ?? 10;
  if (!Number.isInteger(max) || (max as number) < 1 || (max as number) > 100) orThrow(invalid("MaxResults", "must be an integer from 1 to 100"));

  const store = c.get("store");
  // Only groups the caller's policy allows sagemaker:Search on (see src/http/authorize.ts).
  const visible = c.get("visibleGroup") ?? (() => true);
  const groups = (await allFeatureGroups(store.db)).filter((group) => visible(group.name));
  const documents: SearchDocument[] =
    resource === "FeatureGroup"
      ? groups.map((group) => wireFeatureGroup(c.env, group, arnOf(c, group.name)))
      : (await Promise.all(groups.map((group) => listFeatureMetadata(store.db, group)))).flat().map((m) => wireFeatureMetadata(m, arnOf(c, m.featureGroup)));
  const sorted = documents.filter((doc) => matchesSearch(doc, expression)).sort(compareForSort(req.SortBy as string | undefined, order as "Ascending" | "Descending"));
  const start = req.NextToken === undefined || req.NextToken === "" ? 0 : Number(req.NextToken);
  if (!Number.isInteger(start) || start < 0) orThrow(invalid("NextToken", "must be a token returned by a previous page"));
  const end = start + (max as number);
  return {
    Results: sorted.slice(start, end).map((doc) => ({ [resource as string]: doc })),
    ...(end < sorted.length ? { NextToken: String(end) } : {}),
  };
}
