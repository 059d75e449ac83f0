import { invalid, ok, type Result } from "../failure";

/**
 * SageMaker Search evaluated over in-memory documents (SageMaker-shaped
 * DescribeFeatureGroup / DescribeFeatureMetadata output). Pure: no I/O.
 *
 * Decisions, with their sources (SageMaker API Reference: Filter,
 * NestedFilters, SearchExpression, Search; Feature Store guide "Find feature
 * groups" / "Find features"):
 * - Limits: each of Filters, NestedFilters, SubExpressions and a nested
 *   Filters list holds at most 20 items; at most 50 of them in the whole
 *   expression, counted recursively (Search.SearchExpression); Name and
 *   NestedPropertyName 1..255 characters, Value 1..1024. Empty lists are read
 *   as absent and an empty expression matches everything, because the
 *   SageMaker Python SDK sends `{}` or `{Operator}` when given no filters.
 *   Nesting deeper than 5 levels is refused: our bound, not a documented one.
 * - A Filter without Operator means Equals when it has a Value (Filter doc) and
 *   Exists when it has none (the older Filter doc: "searches for only the
 *   specified property"). Exists/NotExists ignore any Value.
 * - Property names: an exact key wins; otherwise keys match case-insensitively,
 *   because the Feature Store guide itself spells the field `FeatureGroupARN`
 *   while the resource carries `FeatureGroupArn`. Tag and parameter keys and
 *   all values compare case-sensitively (AWS tag keys are case-sensitive).
 * - `Tags.<key>` / `Parameters.<key>`: a dotted name reaching a list of
 *   {Key, Value} pairs also resolves to the Value of the pair whose Key is the
 *   rest of the name (keys may contain dots), in addition to the literal path
 *   (`Tags.Key`). `AllTags` / `AllParameters` (listed as searchable fields)
 *   resolve to every key and value.
 * - Lists are flattened: a filter holds if any reached value satisfies it;
 *   NotEquals is the negation of Equals (so a missing property satisfies it),
 *   mirroring NotExists. In splits Value on commas and trims each item.
 * - Comparisons: numbers numerically; a number against an ISO-8601 Value as
 *   instants (document times are epoch seconds; a Value without a zone is
 *   UTC); booleans against "true"/"false"; strings that are both ISO instants
 *   or both numbers as such, other strings by code point (AWS leaves ordering
 *   on text undefined). Contains is a substring test on each string reached.
 * - NestedFilters: every filter must hold on the same element of the list
 *   named by NestedPropertyName; filter Names must start with it plus ".".
 */

/** A SageMaker-shaped resource as Search returns it (FeatureGroup or FeatureMetadata). */
export type SearchDocument = Record<string, unknown>;

/** The Filter operators of the SageMaker model (enum Operator). */
export const SEARCH_OPERATORS = ["Equals", "NotEquals", "GreaterThan", "GreaterThanOrEqualTo", "LessThan", "LessThanOrEqualTo", "Contains", "Exists", "NotExists", "In"] as const;
export type SearchOperator = (typeof SEARCH_OPERATORS)[number];

/** One validated Filter; value is absent only for Exists and NotExists. */
export interface SearchFilter {
  readonly name: string;
  readonly operator: SearchOperator;
  readonly value?: string;
}

/** Filters that must all hold on one element of the list at nestedPropertyName. */
export interface NestedSearchFilters {
  readonly nestedPropertyName: string;
  readonly filters: readonly SearchFilter[];
}

/** A validated SearchExpression; operator defaults to And. */
export interface SearchExpression {
  readonly operator: "And" | "Or";
  readonly filters: readonly SearchFilter[];
  readonly nestedFilters: readonly NestedSearchFilters[];
  readonly subExpressions: readonly SearchExpression[];
}

// Limits from the SageMaker model and docs, except MAX_DEPTH (ours; see above).
const [MAX_LIST_ITEMS, MAX_ELEMENTS, MAX_DEPTH, MAX_NAME_LENGTH, MAX_VALUE_LENGTH] = [20, 50, 5, 255, 1024];

type Json = Record<string, unknown>;
type Budget = { left: number };
const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Validates a wire SearchExpression. Failures name the offending member by
 * path below `field`, e.g. `SearchExpression.Filters[2].Operator`.
 */
export function parseSearchExpression(raw: unknown, field: string): Result<SearchExpression> {
  return parseExpression(raw, field, 1, { left: MAX_ELEMENTS });
}

function parseExpression(raw: unknown, field: string, depth: number, budget: Budget): Result<SearchExpression> {
  if (!isObject(raw)) return invalid(field, "must be an object with Filters, NestedFilters, SubExpressions and Operator");
  if (depth > MAX_DEPTH) return invalid(field, `must not nest SubExpressions more than ${MAX_DEPTH} levels deep`);
  const operator = raw.Operator ?? "And";
  if (operator !== "And" && operator !== "Or") return invalid(`${field}.Operator`, "must be And or Or");
  const filters = items(raw.Filters, `${field}.Filters`, budget, parseFilter);
  if (!filters.ok) return filters;
  const nested = items(raw.NestedFilters, `${field}.NestedFilters`, budget, (item, at) => parseNested(item, at, budget));
  if (!nested.ok) return nested;
  const subs = items(raw.SubExpressions, `${field}.SubExpressions`, budget, (item, at) => parseExpression(item, at, depth + 1, budget));
  if (!subs.ok) return subs;
  return ok({ operator, filters: filters.value, nestedFilters: nested.value, subExpressions: subs.value });
}

/** Parses an optional list item by item, charging its length to the whole expression's budget. */
function items<T>(raw: unknown, field: string, budget: Budget, parse: (item: unknown, field: string) => Result<T>): Result<T[]> {
  if (raw === undefined || raw === null) return ok([]);
  if (!Array.isArray(raw)) return invalid(field, "must be a list");
  if (raw.length > MAX_LIST_ITEMS) return invalid(field, `must hold at most ${MAX_LIST_ITEMS} items`);
  budget.left -= raw.length;
  if (budget.left < 0) return invalid(field, `would exceed ${MAX_ELEMENTS} Filters, NestedFilters and SubExpressions in the whole SearchExpression`);
  const parsed: T[] = [];
  for (const [i, item] of raw.entries()) {
    const result = parse(item, `${field}[${i}]`);
    if (!result.ok) return result;
    parsed.push(result.value);
  }
  return ok(parsed);
}

function text(raw: unknown, field: string, max: number): Result<string | undefined> {
  if (raw === undefined || raw === null) return ok(undefined);
  if (typeof raw !== "string" || raw.length < 1 || raw.length > max) return invalid(field, `must be a string of 1-${max} characters`);
  return ok(raw);
}

function parseFilter(raw: unknown, field: string): Result<SearchFilter> {
  if (!isObject(raw)) return invalid(field, "must be an object with Name, Operator and Value");
  const name = text(raw.Name, `${field}.Name`, MAX_NAME_LENGTH);
  if (!name.ok) return name;
  if (name.value === undefined) return invalid(`${field}.Name`, "is required (a resource property name)");
  const value = text(raw.Value, `${field}.Value`, MAX_VALUE_LENGTH);
  if (!value.ok) return value;
  const op = (raw.Operator ?? (value.value === undefined ? "Exists" : "Equals")) as SearchOperator;
  if (!SEARCH_OPERATORS.includes(op)) return invalid(`${field}.Operator`, `must be one of ${SEARCH_OPERATORS.join(", ")}`);
  if (op === "Exists" || op === "NotExists") return ok({ name: name.value, operator: op });
  if (value.value === undefined) return invalid(`${field}.Value`, `is required for the ${op} operator`);
  if (op === "In" && inItems(value.value).length === 0) return invalid(`${field}.Value`, "must list at least one comma-separated value for In");
  return ok({ name: name.value, operator: op, value: value.value });
}

function parseNested(raw: unknown, field: string, budget: Budget): Result<NestedSearchFilters> {
  if (!isObject(raw)) return invalid(field, "must be an object with NestedPropertyName and Filters");
  const property = text(raw.NestedPropertyName, `${field}.NestedPropertyName`, MAX_NAME_LENGTH);
  if (!property.ok) return property;
  if (property.value === undefined) return invalid(`${field}.NestedPropertyName`, "is required (the list property the filters apply to)");
  const parsed = items(raw.Filters, `${field}.Filters`, budget, parseFilter);
  if (!parsed.ok) return parsed;
  if (parsed.value.length === 0) return invalid(`${field}.Filters`, "must hold at least one Filter");
  const prefix = `${property.value}.`;
  const filters: SearchFilter[] = [];
  for (const [i, filter] of parsed.value.entries()) {
    const rest = filter.name.slice(prefix.length);
    if (filter.name.slice(0, prefix.length).toLowerCase() !== prefix.toLowerCase() || rest === "") {
      return invalid(`${field}.Filters[${i}].Name`, `must be a property inside the NestedPropertyName, starting with ${prefix}`);
    }
    filters.push({ ...filter, name: rest }); // kept relative to the element it is tested on
  }
  return ok({ nestedPropertyName: property.value, filters });
}

const inItems = (value: string) => value.split(",").map((item) => item.trim()).filter((item) => item !== "");

/** True when doc satisfies expr; an absent or empty expression matches everything. */
export function matchesSearch(doc: SearchDocument, expr: SearchExpression | undefined): boolean {
  return expr === undefined || evaluate(doc, expr);
}

function evaluate(doc: Json, expr: SearchExpression): boolean {
  const tests: Array<() => boolean> = [
    ...expr.filters.map((filter) => () => matchesFilter(resolve(doc, filter.name), filter)),
    ...expr.nestedFilters.map((nested) => () => matchesNested(doc, nested)),
    ...expr.subExpressions.map((sub) => () => evaluate(doc, sub)),
  ];
  if (tests.length === 0) return true;
  return expr.operator === "Or" ? tests.some((test) => test()) : tests.every((test) => test());
}

function matchesNested(doc: Json, nested: NestedSearchFilters): boolean {
  return resolve(doc, nested.nestedPropertyName)
    .filter(isObject)
    .some((element) => nested.filters.every((filter) => matchesFilter(resolve(element, filter.name), filter)));
}

function matchesFilter(values: unknown[], filter: SearchFilter): boolean {
  const value = filter.value ?? "";
  const ordered = (test: (sign: number) => boolean) =>
    values.some((leaf) => {
      const sign = order(leaf, value);
      return sign !== undefined && test(sign);
    });
  switch (filter.operator) {
    case "Exists": return values.length > 0;
    case "NotExists": return values.length === 0;
    case "Equals": return values.some((leaf) => equals(leaf, value));
    case "NotEquals": return !values.some((leaf) => equals(leaf, value));
    case "In": return values.some((leaf) => inItems(value).some((item) => equals(leaf, item)));
    case "Contains": return values.some((leaf) => (typeof leaf === "string" ? leaf.includes(value) : equals(leaf, value)));
    case "GreaterThan": return ordered((sign) => sign > 0);
    case "GreaterThanOrEqualTo": return ordered((sign) => sign >= 0);
    case "LessThan": return ordered((sign) => sign < 0);
    case "LessThanOrEqualTo": return ordered((sign) => sign <= 0);
  }
}

/** Every value a dotted property name reaches in doc, lists flattened. */
function resolve(doc: Json, name: string): unknown[] {
  const segments = name.split(".");
  const pairs = segments.length === 1 ? { alltags: "Tags", allparameters: "Parameters" }[segments[0]!.toLowerCase()] : undefined;
  if (pairs !== undefined && property(doc, name) === undefined) {
    const list = property(doc, pairs);
    return isKeyValueList(list) ? list.flatMap((pair) => [pair.Key, pair.Value]).filter((v) => v !== undefined && v !== null) : [];
  }
  return walk(doc, segments, 0);
}

function walk(value: unknown, segments: string[], i: number): unknown[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) {
    const key = segments.slice(i).join(".");
    const byKey = i < segments.length && isKeyValueList(value) ? value.filter((pair) => pair.Key === key).map((pair) => pair.Value) : [];
    return [...byKey.filter((v) => v !== undefined && v !== null), ...value.flatMap((item) => walk(item, segments, i))];
  }
  if (i === segments.length) return [value];
  return isObject(value) ? walk(property(value, segments[i]!), segments, i + 1) : [];
}

function property(obj: Json, name: string): unknown {
  if (Object.hasOwn(obj, name)) return obj[name];
  const lower = name.toLowerCase();
  const key = Object.keys(obj).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : obj[key];
}

function isKeyValueList(value: unknown): value is Array<{ Key: string; Value?: unknown }> {
  return Array.isArray(value) && value.length > 0 && value.every((item) => isObject(item) && typeof item.Key === "string");
}

function equals(leaf: unknown, value: string): boolean {
  if (typeof leaf === "string") return leaf === value;
  return (typeof leaf === "number" || typeof leaf === "boolean") && order(leaf, value) === 0;
}

/** Sign of leaf minus value, or undefined when they do not compare. */
function order(leaf: unknown, value: string): number | undefined {
  if (typeof leaf === "number") {
    const n = parseNumber(value);
    if (n !== undefined) return Math.sign(leaf - n);
    const t = parseInstant(value);
    return t === undefined ? undefined : Math.sign(Math.round(leaf * 1000) - t);
  }
  if (typeof leaf === "boolean") {
    const b = value.toLowerCase();
    return b === "true" || b === "false" ? Math.sign(Number(leaf) - Number(b === "true")) : undefined;
  }
  if (typeof leaf !== "string") return undefined;
  const [ta, tb] = [parseInstant(leaf), parseInstant(value)];
  if (ta !== undefined && tb !== undefined) return Math.sign(ta - tb);
  const [na, nb] = [parseNumber(leaf), parseNumber(value)];
  if (na !== undefined && nb !== undefined) return Math.sign(na - nb);
  return leaf < value ? -1 : leaf > value ? 1 : 0;
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const parseNumber = (s: string) => (NUMBER.test(s.trim()) ? Number(s) : undefined);

const ISO = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(:\d{2})?(?:\.(\d+))?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** Epoch milliseconds of an ISO-8601 date or date-time; no zone means UTC. */
function parseInstant(s: string): number | undefined {
  const m = ISO.exec(s.trim());
  if (!m) return undefined;
  const [, date, hm, sec, frac, zone] = m;
  const fraction = frac ? `.${frac.padEnd(3, "0").slice(0, 3)}` : "";
  const offset = !zone || zone.toUpperCase() === "Z" ? "Z" : zone.includes(":") ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = Date.parse(`${date}T${hm ?? "00:00"}${sec ?? ":00"}${fraction}${offset}`);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Comparator ordering documents by a property (default LastModifiedTime, as
 * Search does), ascending unless sortOrder says Descending. Documents lacking the
 * property sort last either way; ties fall back to FeatureGroupName then
 * FeatureName, ascending, so pages are deterministic.
 */
export function compareForSort(sortBy: string | undefined, sortOrder: "Ascending" | "Descending" = "Ascending"): (a: SearchDocument, b: SearchDocument) => number {
  const path = sortBy ?? "LastModifiedTime";
  const direction = sortOrder === "Descending" ? -1 : 1;
  return (a, b) => {
    const [x, y] = [sortKey(a, path), sortKey(b, path)];
    if (x === undefined || y === undefined) {
      if (x !== y) return x === undefined ? 1 : -1;
    } else {
      const primary = compareScalars(x, y);
      if (primary !== 0) return primary * direction;
    }
    return compareScalars(String(a.FeatureGroupName ?? ""), String(b.FeatureGroupName ?? "")) || compareScalars(String(a.FeatureName ?? ""), String(b.FeatureName ?? ""));
  };
}

type Scalar = string | number | boolean;
const sortKey = (doc: Json, path: string) => resolve(doc, path).find((v): v is Scalar => ["string", "number", "boolean"].includes(typeof v));

function compareScalars(x: Scalar, y: Scalar): number {
  if (typeof x !== typeof y) return typeof x < typeof y ? -1 : 1; // mixed types: a fixed, arbitrary order
  return x < y ? -1 : x > y ? 1 : 0;
}
