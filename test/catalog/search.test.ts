import { describe, expect, it } from "vitest";
import { compareForSort, matchesSearch, parseSearchExpression, type SearchDocument, type SearchExpression } from "../../src/catalog/search";

/** Pure evaluation of SageMaker Search over DescribeFeatureGroup / DescribeFeatureMetadata-shaped documents. */

const JAN_1_2024 = 1704067200; // 2024-01-01T00:00:00Z in epoch seconds, as the wire carries times

function group(name: string, extra: SearchDocument = {}): SearchDocument {
  return {
    FeatureGroupName: name,
    FeatureGroupArn: `arn:aws:sagemaker:us-east-1:123456789012:feature-group/${name}`,
    RecordIdentifierFeatureName: "id",
    EventTimeFeatureName: "ts",
    FeatureDefinitions: [
      { FeatureName: "id", FeatureType: "String" },
      { FeatureName: "ts", FeatureType: "Fractional" },
    ],
    CreationTime: JAN_1_2024,
    LastModifiedTime: JAN_1_2024 + 60,
    FeatureGroupStatus: "Created",
    OfflineStoreStatus: { Status: "Active" },
    OnlineStoreConfig: { EnableOnlineStore: true },
    Tags: [{ Key: "team", Value: "ml" }, { Key: "cost.center", Value: "42" }],
    ...extra,
  };
}

const metadata = (feature: string, extra: SearchDocument = {}): SearchDocument => ({
  FeatureGroupName: "orders",
  FeatureGroupArn: "arn:aws:sagemaker:us-east-1:123456789012:feature-group/orders",
  FeatureName: feature,
  FeatureType: "Integral",
  CreationTime: JAN_1_2024,
  LastModifiedTime: JAN_1_2024,
  Parameters: [{ Key: "owner", Value: "ana" }, { Key: "threshold", Value: "10" }],
  ...extra,
});

function parse(raw: unknown): SearchExpression {
  const result = parseSearchExpression(raw, "SearchExpression");
  if (!result.ok) throw new Error(JSON.stringify(result.failure));
  return result.value;
}

const filter = (Name: string, Operator?: string, Value?: string) => ({ Name, ...(Operator ? { Operator } : {}), ...(Value !== undefined ? { Value } : {}) });
const matches = (doc: SearchDocument, ...filters: ReturnType<typeof filter>[]) => matchesSearch(doc, parse({ Filters: filters }));

describe("search filters", () => {
  it("matches every document when the expression is absent or empty", () => {
    expect(matchesSearch(group("a"), undefined)).toBe(true);
    expect(matchesSearch(group("a"), parse({}))).toBe(true);
    expect(matchesSearch(group("a"), parse({ Operator: "Or", Filters: [] }))).toBe(true);
  });

  it("compares strings exactly and case-sensitively with Equals", () => {
    expect(matches(group("orders"), filter("FeatureGroupName", "Equals", "orders"))).toBe(true);
    expect(matches(group("orders"), filter("FeatureGroupName", "Equals", "Orders"))).toBe(false);
    expect(matches(group("orders"), filter("OfflineStoreStatus.Status", "Equals", "Active"))).toBe(true);
  });

  it("treats NotEquals as the negation of Equals, so a missing property satisfies it", () => {
    expect(matches(group("orders"), filter("FeatureGroupName", "NotEquals", "orders"))).toBe(false);
    expect(matches(group("orders"), filter("FeatureGroupName", "NotEquals", "users"))).toBe(true);
    expect(matches(group("orders"), filter("Description", "NotEquals", "x"))).toBe(true);
  });

  it.each([
    ["GreaterThan", String(JAN_1_2024 - 1), true], ["GreaterThan", String(JAN_1_2024), false],
    ["GreaterThanOrEqualTo", String(JAN_1_2024), true], ["GreaterThanOrEqualTo", "1704067200.5", false],
    ["LessThan", "1704067200.5", true], ["LessThan", String(JAN_1_2024), false],
    ["LessThanOrEqualTo", String(JAN_1_2024), true], ["LessThanOrEqualTo", "1e9", false],
  ])("compares numbers numerically with %s %s", (operator, value, expected) => {
    expect(matches(group("a"), filter("CreationTime", operator, value))).toBe(expected);
  });

  it("compares epoch-second times with ISO-8601 values as instants, with or without a zone", () => {
    const doc = group("a");
    expect(matches(doc, filter("CreationTime", "Equals", "2024-01-01T00:00:00Z"))).toBe(true);
    expect(matches(doc, filter("CreationTime", "Equals", "2024-01-01T00:00:00"))).toBe(true); // SageMaker's documented format: UTC
    expect(matches(doc, filter("CreationTime", "Equals", "2024-01-01T01:00:00+01:00"))).toBe(true);
    expect(matches(doc, filter("CreationTime", "Equals", "2024-01-01"))).toBe(true);
    expect(matches(doc, filter("CreationTime", "GreaterThan", "2023-12-31T23:59:59.999Z"))).toBe(true);
    expect(matches(doc, filter("CreationTime", "LessThan", "2024-01-01T00:00:00.000000001Z"))).toBe(false);
    expect(matches(doc, filter("LastModifiedTime", "GreaterThanOrEqualTo", "2024-01-01T00:01:00Z"))).toBe(true);
    expect(matches(doc, filter("CreationTime", "GreaterThan", "not a time"))).toBe(false);
  });

  it("orders other strings lexicographically, and numeric parameter strings as numbers", () => {
    expect(matches(group("orders"), filter("FeatureGroupName", "GreaterThan", "a"))).toBe(true);
    expect(matches(group("orders"), filter("FeatureGroupName", "LessThan", "b"))).toBe(false);
    expect(matches(metadata("amount"), filter("Parameters.threshold", "GreaterThan", "9"))).toBe(true);
  });

  it("tests Contains as a substring of strings, element by element over lists", () => {
    expect(matches(group("daily-orders"), filter("FeatureGroupName", "Contains", "orders"))).toBe(true);
    expect(matches(group("daily-orders"), filter("FeatureGroupName", "Contains", "ORDERS"))).toBe(false);
    expect(matches(group("a"), filter("FeatureDefinitions.FeatureName", "Contains", "t"))).toBe(true);
    expect(matches(group("a"), filter("FeatureDefinitions.FeatureName", "Contains", "amount"))).toBe(false);
  });

  it("tests Exists and NotExists on plain, nested and tag properties", () => {
    const withTtl = group("a", { Description: "d", OnlineStoreConfig: { EnableOnlineStore: true, TtlDuration: { Unit: "Days", Value: 1 } } });
    expect(matches(withTtl, filter("Description", "Exists"), filter("OnlineStoreConfig.TtlDuration", "Exists"))).toBe(true);
    expect(matches(group("a"), filter("Description", "Exists"))).toBe(false);
    expect(matches(group("a"), filter("Description", "NotExists"), filter("Tags.owner", "NotExists"))).toBe(true);
    expect(matches(group("a"), filter("Tags.team", "NotExists"))).toBe(false);
  });

  it("matches In against any of the comma-separated values", () => {
    expect(matches(group("a"), filter("FeatureGroupStatus", "In", "Creating, Created"))).toBe(true);
    expect(matches(group("a"), filter("FeatureGroupStatus", "In", "Deleting,CreateFailed"))).toBe(false);
    expect(matches(group("a"), filter("FeatureDefinitions.FeatureType", "In", "Integral,Fractional"))).toBe(true);
  });

  it("compares booleans with true and false", () => {
    expect(matches(group("a"), filter("OnlineStoreConfig.EnableOnlineStore", "Equals", "true"))).toBe(true);
    expect(matches(group("a"), filter("OnlineStoreConfig.EnableOnlineStore", "Equals", "false"))).toBe(false);
  });

  it("holds a filter on a list property when any element satisfies it", () => {
    expect(matches(group("a"), filter("FeatureDefinitions.FeatureType", "Equals", "Fractional"))).toBe(true);
    expect(matches(group("a"), filter("FeatureDefinitions.FeatureType", "Equals", "Integral"))).toBe(false);
  });

  it("resolves Tags.<key> to the tag's value, keys with dots included, besides literal paths", () => {
    expect(matches(group("a"), filter("Tags.team", "Equals", "ml"))).toBe(true);
    expect(matches(group("a"), filter("Tags.team", "Equals", "ops"))).toBe(false);
    expect(matches(group("a"), filter("Tags.cost.center", "Equals", "42"))).toBe(true);
    expect(matches(group("a"), filter("Tags.Key", "Equals", "team"))).toBe(true);
    expect(matches(group("a"), filter("Tags.TEAM", "Exists"))).toBe(false); // tag keys are case-sensitive
  });

  it("resolves Parameters.<key> on feature metadata, and AllTags / AllParameters to every key and value", () => {
    expect(matches(metadata("amount"), filter("Parameters.owner", "Equals", "ana"))).toBe(true);
    expect(matches(metadata("amount"), filter("AllParameters", "Contains", "thresh"))).toBe(true);
    expect(matches(group("a"), filter("AllTags", "Equals", "ml"))).toBe(true);
    expect(matches(group("a"), filter("AllTags", "Equals", "ops"))).toBe(false);
  });

  it("matches property names case-insensitively when no key has the exact spelling", () => {
    expect(matches(group("a"), filter("FeatureGroupARN", "Contains", "feature-group/a"))).toBe(true);
    expect(matches(group("a"), filter("featuredefinitions.featurename", "Equals", "ts"))).toBe(true);
  });

  it("reads a Filter without Operator as Equals with a Value and Exists without one", () => {
    expect(parse({ Filters: [filter("FeatureGroupName", undefined, "a"), filter("Description")] }).filters).toEqual([
      { name: "FeatureGroupName", operator: "Equals", value: "a" },
      { name: "Description", operator: "Exists" },
    ]);
    expect(matches(group("a"), filter("FeatureGroupName", undefined, "a"))).toBe(true);
    expect(matches(group("a"), filter("Description"))).toBe(false);
  });
});

describe("search nested filters and boolean structure", () => {
  const mixed = group("mixed", { FeatureDefinitions: [{ FeatureName: "a", FeatureType: "String" }, { FeatureName: "b", FeatureType: "Integral" }] });
  const nested = (Filters: ReturnType<typeof filter>[], NestedPropertyName = "FeatureDefinitions") => parse({ NestedFilters: [{ NestedPropertyName, Filters }] });

  it("requires every nested filter to hold on the same list element", () => {
    const sameElement = nested([filter("FeatureDefinitions.FeatureName", "Equals", "a"), filter("FeatureDefinitions.FeatureType", "Equals", "Integral")]);
    expect(matchesSearch(mixed, sameElement)).toBe(false);
    expect(matches(mixed, filter("FeatureDefinitions.FeatureName", "Equals", "a"), filter("FeatureDefinitions.FeatureType", "Equals", "Integral"))).toBe(true);
    expect(matchesSearch(mixed, nested([filter("FeatureDefinitions.FeatureName", "Equals", "b"), filter("FeatureDefinitions.FeatureType", "Equals", "Integral")]))).toBe(true);
  });

  it("applies nested filters to tag pairs", () => {
    expect(matchesSearch(group("a"), nested([filter("Tags.Key", "Equals", "team"), filter("Tags.Value", "Equals", "ml")], "Tags"))).toBe(true);
    expect(matchesSearch(group("a"), nested([filter("Tags.Key", "Equals", "team"), filter("Tags.Value", "Equals", "42")], "Tags"))).toBe(false);
  });

  it("needs every condition under And and any under Or, across Filters, NestedFilters and SubExpressions", () => {
    const parts = {
      Filters: [filter("FeatureGroupName", "Equals", "other")],
      NestedFilters: [{ NestedPropertyName: "FeatureDefinitions", Filters: [filter("FeatureDefinitions.FeatureName", "Equals", "b")] }],
      SubExpressions: [{ Filters: [filter("Tags.team", "Equals", "ml")] }],
    };
    expect(matchesSearch(mixed, parse(parts))).toBe(false);
    expect(matchesSearch(mixed, parse({ ...parts, Operator: "And", Filters: [filter("FeatureGroupName", "Equals", "mixed")] }))).toBe(true);
    expect(matchesSearch(mixed, parse({ ...parts, Operator: "Or" }))).toBe(true);
    expect(matchesSearch(group("x"), parse({ ...parts, Operator: "Or", NestedFilters: [], SubExpressions: [{ Filters: [filter("Tags.team", "Equals", "ops")] }] }))).toBe(false);
  });

  it("evaluates sub-expressions as parenthesised groups", () => {
    // (name = mixed OR name = other) AND team = ml
    const expr = parse({ Filters: [filter("Tags.team", "Equals", "ml")], SubExpressions: [{ Operator: "Or", Filters: [filter("FeatureGroupName", "Equals", "mixed"), filter("FeatureGroupName", "Equals", "other")] }] });
    expect(matchesSearch(mixed, expr)).toBe(true);
    expect(matchesSearch(group("third"), expr)).toBe(false);
    expect(matchesSearch(group("other", { Tags: [] }), expr)).toBe(false);
  });
});

describe("search sorting", () => {
  const names = (docs: SearchDocument[]) => docs.map((d) => `${d.FeatureGroupName}${d.FeatureName ? `/${d.FeatureName}` : ""}`);

  it("sorts ascending by a property path with missing values last and ties broken by group then feature name", () => {
    const docs = [group("c", { Description: "b" }), group("b"), group("a", { Description: "b" }), group("d", { Description: "a" })];
    expect(names([...docs].sort(compareForSort("Description")))).toEqual(["d", "a", "c", "b"]);
    const features = [metadata("z"), metadata("m", { FeatureGroupName: "alpha" }), metadata("a")];
    expect(names(features.sort(compareForSort("FeatureType")))).toEqual(["alpha/m", "orders/a", "orders/z"]);
  });

  it("sorts numbers and times numerically, defaulting to LastModifiedTime", () => {
    const docs = [group("late", { LastModifiedTime: 100 }), group("early", { LastModifiedTime: 9 }), group("mid", { LastModifiedTime: 10 })];
    expect(names([...docs].sort(compareForSort(undefined)))).toEqual(["early", "mid", "late"]);
    expect(names([...docs].sort(compareForSort("LastModifiedTime", "Descending")))).toEqual(["late", "mid", "early"]);
  });

  it("keeps missing values last when sorting in descending order", () => {
    const docs = [group("n"), group("x", { Tags: [{ Key: "team", Value: "ads" }] }), group("y")];
    expect(names([...docs].sort(compareForSort("Tags.team", "Descending")))).toEqual(["n", "y", "x"]);
    expect(names([group("b", { Tags: [] }), group("a")].sort(compareForSort("Tags.team", "Descending")))).toEqual(["a", "b"]);
  });
});

describe("search expression validation", () => {
  const many = (n: number) => Array.from({ length: n }, () => filter("FeatureGroupName", "Equals", "a"));
  const deep = (levels: number): Record<string, unknown> => (levels === 1 ? { Filters: many(1) } : { SubExpressions: [deep(levels - 1)] });

  it.each([
    ["a non-object expression", "x", "SearchExpression", "must be an object"],
    ["an unknown boolean operator", { Operator: "AND" }, "SearchExpression.Operator", "must be And or Or"],
    ["Filters that are not a list", { Filters: {} }, "SearchExpression.Filters", "must be a list"],
    ["more than 20 filters", { Filters: many(21) }, "SearchExpression.Filters", "at most 20"],
    ["a filter that is not an object", { Filters: ["x"] }, "SearchExpression.Filters[0]", "must be an object"],
    ["a filter without Name", { Filters: [{ Operator: "Exists" }] }, "SearchExpression.Filters[0].Name", "is required"],
    ["an empty Name", { Filters: [{ Name: "", Operator: "Exists" }] }, "SearchExpression.Filters[0].Name", "1-255 characters"],
    ["a Name over 255 characters", { Filters: [filter("x".repeat(256), "Exists")] }, "SearchExpression.Filters[0].Name", "1-255 characters"],
    ["an unknown operator", { Filters: [...many(2), filter("Description", "Like", "x")] }, "SearchExpression.Filters[2].Operator", "must be one of Equals, NotEquals"],
    ["a comparison without Value", { Filters: [filter("CreationTime", "GreaterThan")] }, "SearchExpression.Filters[0].Value", "is required for the GreaterThan operator"],
    ["a Value that is not a string", { Filters: [{ Name: "CreationTime", Operator: "Equals", Value: 5 }] }, "SearchExpression.Filters[0].Value", "1-1024 characters"],
    ["a Value over 1024 characters", { Filters: [filter("Description", "Equals", "x".repeat(1025))] }, "SearchExpression.Filters[0].Value", "1-1024 characters"],
    ["an In value listing nothing", { Filters: [filter("FeatureGroupStatus", "In", " , ")] }, "SearchExpression.Filters[0].Value", "at least one comma-separated value"],
    ["a nested filter that is not an object", { NestedFilters: [1] }, "SearchExpression.NestedFilters[0]", "must be an object"],
    ["a nested filter without NestedPropertyName", { NestedFilters: [{ Filters: many(1) }] }, "SearchExpression.NestedFilters[0].NestedPropertyName", "is required"],
    ["a nested filter without Filters", { NestedFilters: [{ NestedPropertyName: "Tags" }] }, "SearchExpression.NestedFilters[0].Filters", "at least one Filter"],
    ["a nested filter outside its property", { NestedFilters: [{ NestedPropertyName: "Tags", Filters: [filter("Tags.Key", "Exists"), filter("TagsKey", "Exists")] }] }, "SearchExpression.NestedFilters[0].Filters[1].Name", "starting with Tags."],
    ["a bad operator in a nested filter", { NestedFilters: [{ NestedPropertyName: "Tags", Filters: [filter("Tags.Key", "Has", "x")] }] }, "SearchExpression.NestedFilters[0].Filters[0].Operator", "must be one of"],
    ["a bad operator in a sub-expression", { SubExpressions: [{ Filters: [filter("Tags.Key", "Has", "x")] }] }, "SearchExpression.SubExpressions[0].Filters[0].Operator", "must be one of"],
    ["nesting deeper than 5 levels", deep(6), `SearchExpression${".SubExpressions[0]".repeat(5)}`, "more than 5 levels"],
    ["more than 50 elements in all", { Filters: many(20), SubExpressions: Array.from({ length: 20 }, () => ({ Filters: many(1) })) }, "SearchExpression.SubExpressions[10].Filters", "would exceed 50"],
  ])("refuses %s, naming the field", (_case, raw, field, rule) => {
    const result = parseSearchExpression(raw, "SearchExpression");
    expect(result).toEqual({ ok: false, failure: { reason: "invalid_field", field, rule: expect.stringContaining(rule) } });
  });

  it("accepts the limits themselves: 20 filters and 5 levels", () => {
    expect(parseSearchExpression({ Filters: many(20) }, "SearchExpression").ok).toBe(true);
    expect(parseSearchExpression(deep(5), "SearchExpression").ok).toBe(true);
  });
});
