// The SageMaker control plane (awsJson1_1, X-Amz-Target: SageMaker.<Op>)
// through the official client @aws-sdk/client-sagemaker, over real HTTP.
import {
  CreateFeatureGroupCommand,
  DeleteFeatureGroupCommand,
  DescribeFeatureGroupCommand,
  DescribeFeatureMetadataCommand,
  ListFeatureGroupsCommand,
  paginateListFeatureGroups,
  paginateSearch,
  ResourceInUse,
  ResourceNotFound,
  SageMakerServiceException,
  SearchCommand,
  UpdateFeatureGroupCommand,
  UpdateFeatureMetadataCommand,
  type FeatureDefinition,
  type FeatureGroupSummary,
  type ListFeatureGroupsCommandInput,
  type SearchCommandInput,
  type SearchExpression,
} from "@aws-sdk/client-sagemaker";
import { GetRecordCommand, PutRecordCommand, ValidationError } from "@aws-sdk/client-sagemaker-featurestore-runtime";
import { describe, expect, it } from "vitest";
import { anyRejection, arnPattern, at, control, createGroup, createGroupInput, DEFAULT_FEATURES, fromNow, plain, rec, rejection, runtime, SDK_ACCOUNT_ID, uniqueName, UUID } from "./support";

const describeGroup = (FeatureGroupName: string) => control.send(new DescribeFeatureGroupCommand({ FeatureGroupName }));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A control-plane validation failure: unmodelled, so the SDK's base exception named ValidationException (HTTP 400). */
async function validationException(promise: Promise<unknown>) {
  const error = await anyRejection(promise);
  expect(error, `${error.name}: ${error.message}`).toBeInstanceOf(SageMakerServiceException);
  expect(error.name).toBe("ValidationException");
  expect(error.$metadata.httpStatusCode).toBe(400);
  expect(error.message).toBeTruthy();
  return error;
}

describe("CreateFeatureGroup", () => {
  it("returns the feature group ARN with the configured account and response metadata", async () => {
    const name = uniqueName("create");
    const out = await control.send(
      new CreateFeatureGroupCommand(createGroupInput(name)),
    );
    expect(out.FeatureGroupArn).toBe(`arn:aws:sagemaker:us-east-1:${SDK_ACCOUNT_ID}:feature-group/${name}`);
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(out.$metadata.requestId).toMatch(UUID);
  });

  it("with a name already taken is ResourceInUse and leaves the first group as it was", async () => {
    const { name } = await createGroup({ description: "first" });
    const error = await rejection(createGroup({ name, description: "second", features: [...DEFAULT_FEATURES, { FeatureName: "extra", FeatureType: "String" }] }), ResourceInUse);
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.$fault).toBe("client");
    const described = await describeGroup(name);
    expect(described.Description).toBe("first");
    expect(described.FeatureDefinitions).toEqual(DEFAULT_FEATURES);
  });

  it.each([
    ["a reserved feature name", { FeatureDefinitions: [...DEFAULT_FEATURES, { FeatureName: "is_deleted", FeatureType: "String" }] }],
    ["an Integral event-time feature", { FeatureDefinitions: [{ FeatureName: "id", FeatureType: "String" }, { FeatureName: "ts", FeatureType: "Integral" }] }],
    ["an identifier that is not a defined feature", { RecordIdentifierFeatureName: "nope" }],
    ["no store enabled", { OnlineStoreConfig: undefined }],
    ["a feature named twice", { FeatureDefinitions: [...DEFAULT_FEATURES, { FeatureName: "age", FeatureType: "String" }] }],
    ["a Vector without a dimension in range", { FeatureDefinitions: [...DEFAULT_FEATURES, { FeatureName: "v", FeatureType: "Fractional", CollectionType: "Vector", CollectionConfig: { VectorConfig: { Dimension: 8193 } } }] }],
    ["a description over 128 characters", { Description: "d".repeat(129) }],
    ["2,501 features", { FeatureDefinitions: [...DEFAULT_FEATURES, ...Array.from({ length: 2501 - DEFAULT_FEATURES.length }, (_, i) => ({ FeatureName: `f${i}`, FeatureType: "String" }))] }],
    ["51 tags", { Tags: Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: "v" })) }],
  ] as const)("with %s is a ValidationException and creates nothing", async (_what, override) => {
    const name = uniqueName("invalid");
    await validationException(
      control.send(
        new CreateFeatureGroupCommand({
          FeatureGroupName: name,
          RecordIdentifierFeatureName: "id",
          EventTimeFeatureName: "ts",
          FeatureDefinitions: DEFAULT_FEATURES,
          OnlineStoreConfig: { EnableOnlineStore: true },
          ...(override as object),
        }),
      ),
    );
    await rejection(describeGroup(name), ResourceNotFound);
  });

  it("with a name outside the pattern is a ValidationException", async () => {
    await validationException(
      control.send(
        new CreateFeatureGroupCommand({
          FeatureGroupName: "bad name!",
          RecordIdentifierFeatureName: "id",
          EventTimeFeatureName: "ts",
          FeatureDefinitions: DEFAULT_FEATURES,
          OnlineStoreConfig: { EnableOnlineStore: true },
        }),
      ),
    );
  });
});

describe("DescribeFeatureGroup", () => {
  it("returns the definition, the ARN, Date timestamps, the status and a NextToken", async () => {
    const before = Date.now();
    const features: FeatureDefinition[] = [
      ...DEFAULT_FEATURES,
      { FeatureName: "tags", FeatureType: "String", CollectionType: "List" },
      { FeatureName: "emb", FeatureType: "Fractional", CollectionType: "Vector", CollectionConfig: { VectorConfig: { Dimension: 4 } } },
    ];
    const { name, arn } = await createGroup({ features, ttl: { Unit: "Days", Value: 3 }, description: "users by id", tags: [{ Key: "team", Value: "ml" }] });
    const out = await describeGroup(name);
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(out.FeatureGroupName).toBe(name);
    expect(out.FeatureGroupArn).toBe(arn);
    expect(out.FeatureGroupArn).toMatch(arnPattern(name));
    expect(out.RecordIdentifierFeatureName).toBe("id");
    expect(out.EventTimeFeatureName).toBe("ts");
    expect(out.FeatureDefinitions).toEqual(features);
    expect(out.CreationTime).toBeInstanceOf(Date);
    expect(out.CreationTime!.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(out.CreationTime!.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
    expect(out.LastModifiedTime).toBeInstanceOf(Date);
    expect(out.OnlineStoreConfig?.EnableOnlineStore).toBe(true);
    expect(out.OnlineStoreConfig?.TtlDuration).toEqual({ Unit: "Days", Value: 3 });
    expect(out.FeatureGroupStatus).toBe("Created");
    expect(out.Description).toBe("users by id");
    expect(typeof out.NextToken).toBe("string");
  });

  it("describes the offline store as created (S3Uri, RoleArn), with its resolved S3 URI and an Active status", async () => {
    const { name } = await createGroup({ offline: true });
    const out = await describeGroup(name);
    // Soft: every deviation is reported, not only the first.
    expect.soft(out.OfflineStoreConfig?.S3StorageConfig?.S3Uri, "S3Uri as given to CreateFeatureGroup").toBe(`s3://sdk-test-bucket/${name}`);
    expect.soft(out.OfflineStoreConfig?.S3StorageConfig?.ResolvedOutputS3Uri).toMatch(/^s3:\/\//);
    expect.soft(out.OfflineStoreConfig?.DisableGlueTableCreation).toBe(true);
    expect.soft(out.OfflineStoreStatus?.Status).toBe("Active");
    expect.soft(out.RoleArn, "RoleArn as given to CreateFeatureGroup").toBe(`arn:aws:iam::${SDK_ACCOUNT_ID}:role/feature-store-sdk-test`);
  });

  it("accepts the feature group ARN as FeatureGroupName", async () => {
    const { name, arn } = await createGroup();
    expect((await describeGroup(arn)).FeatureGroupName).toBe(name);
  });

  it("of a feature group that does not exist is ResourceNotFound", async () => {
    const error = await rejection(describeGroup(uniqueName("missing")), ResourceNotFound);
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.$metadata.requestId).toMatch(UUID);
  });
});

describe("ListFeatureGroups", () => {
  async function listAll(input: ListFeatureGroupsCommandInput): Promise<FeatureGroupSummary[]> {
    const out: FeatureGroupSummary[] = [];
    let NextToken: string | undefined;
    let pages = 0;
    do {
      const page = await control.send(new ListFeatureGroupsCommand({ ...input, ...(NextToken ? { NextToken } : {}) }));
      if (input.MaxResults) expect(page.FeatureGroupSummaries!.length).toBeLessThanOrEqual(input.MaxResults);
      out.push(...page.FeatureGroupSummaries!);
      NextToken = page.NextToken;
      expect((pages += 1)).toBeLessThan(50);
    } while (NextToken);
    return out;
  }

  it("filters by NameContains and pages to the end sorted by Name in either order", async () => {
    const token = uniqueName("lfg");
    const names = ["c", "a", "e", "b", "d"].map((s) => `${token}-${s}`);
    for (const name of names) await createGroup({ name });
    const sorted = [...names].sort();

    const ascending = await listAll({ NameContains: token, SortBy: "Name", SortOrder: "Ascending", MaxResults: 2 });
    expect(ascending.map((s) => s.FeatureGroupName)).toEqual(sorted);
    const descending = await listAll({ NameContains: token, SortBy: "Name", SortOrder: "Descending", MaxResults: 2 });
    expect(descending.map((s) => s.FeatureGroupName)).toEqual([...sorted].reverse());

    for (const summary of ascending) {
      expect(summary.FeatureGroupArn).toMatch(arnPattern(summary.FeatureGroupName!));
      expect(summary.CreationTime).toBeInstanceOf(Date);
      expect(summary.FeatureGroupStatus).toBe("Created");
    }

    const viaPaginator: string[] = [];
    for await (const page of paginateListFeatureGroups({ client: control, pageSize: 3 }, { NameContains: token, SortBy: "Name", SortOrder: "Ascending" })) {
      viaPaginator.push(...page.FeatureGroupSummaries!.map((s) => s.FeatureGroupName!));
    }
    expect(viaPaginator).toEqual(sorted);
  });

  it("sorts by CreationTime", async () => {
    const token = uniqueName("lfgct");
    for (const s of ["b", "a", "c"]) await createGroup({ name: `${token}-${s}` });
    const ascending = await listAll({ NameContains: token, SortBy: "CreationTime", SortOrder: "Ascending", MaxResults: 1 });
    expect(ascending).toHaveLength(3);
    const times = ascending.map((s) => s.CreationTime!.getTime());
    expect(times).toEqual([...times].sort((x, y) => x - y));
    const descending = await listAll({ NameContains: token, SortBy: "CreationTime", SortOrder: "Descending" });
    const descTimes = descending.map((s) => s.CreationTime!.getTime());
    expect(descTimes).toEqual([...descTimes].sort((x, y) => y - x));
  });

  it("filters by CreationTimeAfter/Before, FeatureGroupStatusEquals and OfflineStoreStatusEquals", async () => {
    const token = uniqueName("lfgf");
    const first = await createGroup({ name: `${token}-first`, offline: true });
    await sleep(1100);
    const second = await createGroup({ name: `${token}-second` });
    const firstTime = (await describeGroup(first.name)).CreationTime!;
    const between = new Date(firstTime.getTime() + 600);

    const names = async (input: ListFeatureGroupsCommandInput) =>
      (await listAll({ NameContains: token, SortBy: "Name", SortOrder: "Ascending", ...input })).map((s) => s.FeatureGroupName);
    expect(await names({ CreationTimeAfter: between })).toEqual([second.name]);
    expect(await names({ CreationTimeBefore: between })).toEqual([first.name]);
    expect(await names({ FeatureGroupStatusEquals: "Created" })).toEqual([first.name, second.name]);
    expect(await names({ FeatureGroupStatusEquals: "Deleting" })).toEqual([]);
    expect(await names({ OfflineStoreStatusEquals: "Active" })).toEqual([first.name]);
    const [withOffline] = await listAll({ NameContains: `${token}-first` });
    expect(withOffline?.OfflineStoreStatus?.Status).toBe("Active");
  });

  it("answers an empty page, without NextToken, when nothing matches", async () => {
    const out = await control.send(new ListFeatureGroupsCommand({ NameContains: uniqueName("nothing") }));
    expect(out.FeatureGroupSummaries).toEqual([]);
    expect(out.NextToken).toBeFalsy();
  });
});

describe("UpdateFeatureGroup", () => {
  it("adds features that records can carry at once, and never removes the old ones", async () => {
    const { name } = await createGroup();
    const created = await describeGroup(name);
    const additions: FeatureDefinition[] = [
      { FeatureName: "country", FeatureType: "String" },
      { FeatureName: "emb", FeatureType: "Fractional", CollectionType: "Vector", CollectionConfig: { VectorConfig: { Dimension: 2 } } },
    ];
    const out = await control.send(new UpdateFeatureGroupCommand({ FeatureGroupName: name, FeatureAdditions: additions }));
    expect(out.FeatureGroupArn).toMatch(arnPattern(name));
    const updated = await describeGroup(name);
    expect(updated.FeatureDefinitions).toEqual([...DEFAULT_FEATURES, ...additions]);
    expect(updated.LastModifiedTime!.getTime()).toBeGreaterThanOrEqual(created.LastModifiedTime!.getTime());
    expect(updated.CreationTime).toEqual(created.CreationTime);

    await runtime.send(new PutRecordCommand({ FeatureGroupName: name, Record: rec({ id: "u1", ts: at(1), age: "3", country: "NO", emb: ["1", "2"] }) }));
    const got = await runtime.send(new GetRecordCommand({ FeatureGroupName: name, RecordIdentifierValueAsString: "u1" }));
    expect(plain(got.Record)).toMatchObject({ age: "3", country: "NO" });
  });

  it("adding a feature that already exists is a ValidationException and changes nothing", async () => {
    const { name } = await createGroup();
    await validationException(control.send(new UpdateFeatureGroupCommand({ FeatureGroupName: name, FeatureAdditions: [{ FeatureName: "age", FeatureType: "String" }] })));
    expect((await describeGroup(name)).FeatureDefinitions).toEqual(DEFAULT_FEATURES);
  });

  it("changes the TTL for records written afterwards", async () => {
    const { name } = await createGroup({ ttl: { Unit: "Hours", Value: 1 } });
    const ts = fromNow(-60);
    const expiresAt = async (id: string) =>
      Date.parse((await runtime.send(new GetRecordCommand({ FeatureGroupName: name, RecordIdentifierValueAsString: id, ExpirationTimeResponse: "Enabled" }))).ExpiresAt!);
    await runtime.send(new PutRecordCommand({ FeatureGroupName: name, Record: rec({ id: "before", ts }) }));
    await control.send(new UpdateFeatureGroupCommand({ FeatureGroupName: name, OnlineStoreConfig: { TtlDuration: { Unit: "Days", Value: 2 } } }));
    expect((await describeGroup(name)).OnlineStoreConfig?.TtlDuration).toEqual({ Unit: "Days", Value: 2 });
    await runtime.send(new PutRecordCommand({ FeatureGroupName: name, Record: rec({ id: "after", ts }) }));
    expect(await expiresAt("after")).toBe(Date.parse(ts) + 2 * 24 * 3600_000);
    // docs/architecture.md: "The expiry is fixed when the record is written".
    expect(await expiresAt("before")).toBe(Date.parse(ts) + 3600_000);
  });

  it("with more than 100 FeatureAdditions is a ValidationException and adds nothing", async () => {
    const { name } = await createGroup();
    const FeatureAdditions: FeatureDefinition[] = Array.from({ length: 101 }, (_, i) => ({ FeatureName: `add${i}`, FeatureType: "String" }));
    await validationException(control.send(new UpdateFeatureGroupCommand({ FeatureGroupName: name, FeatureAdditions })));
    expect((await describeGroup(name)).FeatureDefinitions).toEqual(DEFAULT_FEATURES);
  });

  it("of a feature group that does not exist is ResourceNotFound", async () => {
    await rejection(
      control.send(new UpdateFeatureGroupCommand({ FeatureGroupName: uniqueName("missing"), FeatureAdditions: [{ FeatureName: "x", FeatureType: "String" }] })),
      ResourceNotFound,
    );
  });
});

describe("DeleteFeatureGroup", () => {
  it("removes the group and its online records; a re-created group of that name starts empty", async () => {
    const { name } = await createGroup();
    await runtime.send(new PutRecordCommand({ FeatureGroupName: name, Record: rec({ id: "u1", ts: at(1), age: "1" }) }));
    const out = await control.send(new DeleteFeatureGroupCommand({ FeatureGroupName: name }));
    expect(out.$metadata.httpStatusCode).toBe(200);
    await rejection(describeGroup(name), ResourceNotFound);
    await rejection(runtime.send(new PutRecordCommand({ FeatureGroupName: name, Record: rec({ id: "u2", ts: at(1) }) })), ValidationError);

    await createGroup({ name });
    const got = await runtime.send(new GetRecordCommand({ FeatureGroupName: name, RecordIdentifierValueAsString: "u1" }));
    expect(got.Record).toBeUndefined();
  });

  it("accepts the ARN", async () => {
    const { name, arn } = await createGroup();
    await control.send(new DeleteFeatureGroupCommand({ FeatureGroupName: arn }));
    await rejection(describeGroup(name), ResourceNotFound);
  });

  it("of a feature group that does not exist is ResourceNotFound", async () => {
    await rejection(control.send(new DeleteFeatureGroupCommand({ FeatureGroupName: uniqueName("missing") })), ResourceNotFound);
  });
});

describe("DescribeFeatureMetadata and UpdateFeatureMetadata", () => {
  it("describe a feature's type and timestamps, then its description and parameters as updated", async () => {
    const { name, arn } = await createGroup();
    const initial = await control.send(new DescribeFeatureMetadataCommand({ FeatureGroupName: name, FeatureName: "city" }));
    expect(initial).toMatchObject({ FeatureGroupArn: arn, FeatureGroupName: name, FeatureName: "city", FeatureType: "String" });
    expect(initial.CreationTime).toBeInstanceOf(Date);
    expect(initial.LastModifiedTime).toBeInstanceOf(Date);
    expect(initial.Description ?? "").toBe("");
    expect(initial.Parameters ?? []).toEqual([]);

    await control.send(
      new UpdateFeatureMetadataCommand({
        FeatureGroupName: name,
        FeatureName: "city",
        Description: "where the user lives",
        ParameterAdditions: [
          { Key: "pii", Value: "yes" },
          { Key: "owner", Value: "geo" },
        ],
      }),
    );
    await control.send(
      new UpdateFeatureMetadataCommand({ FeatureGroupName: arn, FeatureName: "city", ParameterRemovals: ["owner"], ParameterAdditions: [{ Key: "source", Value: "signup form" }] }),
    );
    const updated = await control.send(new DescribeFeatureMetadataCommand({ FeatureGroupName: arn, FeatureName: "city" }));
    expect(updated.Description).toBe("where the user lives");
    expect([...updated.Parameters!].sort((a, b) => a.Key!.localeCompare(b.Key!))).toEqual([
      { Key: "pii", Value: "yes" },
      { Key: "source", Value: "signup form" },
    ]);
    expect(updated.LastModifiedTime!.getTime()).toBeGreaterThanOrEqual(initial.LastModifiedTime!.getTime());
    expect(updated.CreationTime).toEqual(initial.CreationTime);
  });

  it("of a feature or a feature group that does not exist is ResourceNotFound", async () => {
    const { name } = await createGroup();
    await rejection(control.send(new DescribeFeatureMetadataCommand({ FeatureGroupName: name, FeatureName: "nope" })), ResourceNotFound);
    await rejection(control.send(new DescribeFeatureMetadataCommand({ FeatureGroupName: uniqueName("missing"), FeatureName: "id" })), ResourceNotFound);
    await rejection(control.send(new UpdateFeatureMetadataCommand({ FeatureGroupName: name, FeatureName: "nope", Description: "x" })), ResourceNotFound);
  });

  it("more than 25 parameters or a description over 255 characters is a ValidationException and changes nothing", async () => {
    const { name } = await createGroup();
    const ParameterAdditions = Array.from({ length: 26 }, (_, i) => ({ Key: `k${i}`, Value: "v" }));
    await validationException(control.send(new UpdateFeatureMetadataCommand({ FeatureGroupName: name, FeatureName: "age", ParameterAdditions })));
    await validationException(control.send(new UpdateFeatureMetadataCommand({ FeatureGroupName: name, FeatureName: "age", Description: "d".repeat(256) })));
    const out = await control.send(new DescribeFeatureMetadataCommand({ FeatureGroupName: name, FeatureName: "age" }));
    expect(out.Parameters ?? []).toEqual([]);
    expect(out.Description ?? "").toBe("");
  });
});

describe("Search", () => {
  /** Three groups under one token: a (Integral score, described), b (String score + Integral other), c (described). */
  async function searchFixture() {
    const token = uniqueName("srch");
    const a = await createGroup({
      name: `${token}-a`,
      description: "alpha fraud model",
      features: [
        { FeatureName: "id", FeatureType: "String" },
        { FeatureName: "ts", FeatureType: "String" },
        { FeatureName: "score", FeatureType: "Integral" },
        { FeatureName: "city", FeatureType: "String" },
      ],
    });
    const b = await createGroup({
      name: `${token}-b`,
      features: [
        { FeatureName: "id", FeatureType: "String" },
        { FeatureName: "ts", FeatureType: "String" },
        { FeatureName: "score", FeatureType: "String" },
        { FeatureName: "other", FeatureType: "Integral" },
      ],
    });
    const c = await createGroup({ name: `${token}-c`, description: "beta", features: [{ FeatureName: "id", FeatureType: "String" }, { FeatureName: "ts", FeatureType: "String" }] });
    return { token, a: a.name, b: b.name, c: c.name };
  }

  const scoped = (token: string, expression: SearchExpression = {}): SearchExpression => ({
    ...expression,
    Filters: [{ Name: "FeatureGroupName", Operator: "Contains", Value: token }, ...(expression.Filters ?? [])],
  });

  async function searchAll(input: SearchCommandInput) {
    const results = [];
    let NextToken: string | undefined;
    let pages = 0;
    do {
      const page = await control.send(new SearchCommand({ ...input, ...(NextToken ? { NextToken } : {}) }));
      if (input.MaxResults) expect(page.Results!.length).toBeLessThanOrEqual(input.MaxResults);
      results.push(...page.Results!);
      NextToken = page.NextToken;
      expect((pages += 1)).toBeLessThan(50);
    } while (NextToken);
    return results;
  }

  const groupNames = async (token: string, expression: SearchExpression = {}) =>
    (await searchAll({ Resource: "FeatureGroup", SearchExpression: scoped(token, expression), SortBy: "FeatureGroupName", SortOrder: "Ascending" })).map(
      (r) => r.FeatureGroup?.FeatureGroupName,
    );

  it("finds feature groups with Equals, NotEquals, In, Contains, Exists and NotExists", async () => {
    const { token, a, b, c } = await searchFixture();
    expect(await groupNames(token)).toEqual([a, b, c]);
    expect(await groupNames(token, { Filters: [{ Name: "FeatureGroupName", Operator: "Equals", Value: b }] })).toEqual([b]);
    expect(await groupNames(token, { Filters: [{ Name: "FeatureGroupName", Operator: "NotEquals", Value: b }] })).toEqual([a, c]);
    expect(await groupNames(token, { Filters: [{ Name: "FeatureGroupName", Operator: "In", Value: `${a},${c}` }] })).toEqual([a, c]);
    expect(await groupNames(token, { Filters: [{ Name: "Description", Operator: "Contains", Value: "fraud" }] })).toEqual([a]);
    expect(await groupNames(token, { Filters: [{ Name: "Description", Operator: "Exists" }] })).toEqual([a, c]);
    expect(await groupNames(token, { Filters: [{ Name: "Description", Operator: "NotExists" }] })).toEqual([b]);
    expect(await groupNames(token, { Filters: [{ Name: "FeatureGroupStatus", Operator: "Equals", Value: "Created" }] })).toEqual([a, b, c]);
  });

  it("compares CreationTime with GreaterThan, GreaterThanOrEqualTo, LessThan and LessThanOrEqualTo", async () => {
    const { token, a, b, c } = await searchFixture();
    expect(await groupNames(token, { Filters: [{ Name: "CreationTime", Operator: "GreaterThan", Value: "2000-01-01T00:00:00" }] })).toEqual([a, b, c]);
    expect(await groupNames(token, { Filters: [{ Name: "CreationTime", Operator: "GreaterThanOrEqualTo", Value: "2000-01-01T00:00:00" }] })).toEqual([a, b, c]);
    expect(await groupNames(token, { Filters: [{ Name: "CreationTime", Operator: "LessThan", Value: "2000-01-01T00:00:00" }] })).toEqual([]);
    expect(await groupNames(token, { Filters: [{ Name: "CreationTime", Operator: "LessThanOrEqualTo", Value: "2999-01-01T00:00:00" }] })).toEqual([a, b, c]);
  });

  it("combines filters with And by default and with Or in a sub-expression", async () => {
    const { token, a, b } = await searchFixture();
    expect(
      await groupNames(token, {
        Filters: [
          { Name: "FeatureGroupName", Operator: "Equals", Value: a },
          { Name: "FeatureGroupName", Operator: "Equals", Value: b },
        ],
      }),
    ).toEqual([]);
    expect(
      await groupNames(token, {
        SubExpressions: [
          {
            Operator: "Or",
            Filters: [
              { Name: "FeatureGroupName", Operator: "Equals", Value: a },
              { Name: "FeatureGroupName", Operator: "Equals", Value: b },
            ],
          },
        ],
      }),
    ).toEqual([a, b]);
  });

  it("matches NestedFilters within one feature definition, not across features", async () => {
    const { token, a, b } = await searchFixture();
    const nested = (type: string) => ({
      NestedFilters: [
        {
          NestedPropertyName: "FeatureDefinitions",
          Filters: [
            { Name: "FeatureDefinitions.FeatureName", Operator: "Equals" as const, Value: "score" },
            { Name: "FeatureDefinitions.FeatureType", Operator: "Equals" as const, Value: type },
          ],
        },
      ],
    });
    expect(await groupNames(token, nested("Integral"))).toEqual([a]);
    expect(await groupNames(token, nested("String"))).toEqual([b]);
    expect(await groupNames(token, nested("Fractional"))).toEqual([]);
  });

  it("sorts by the requested property and pages to the end", async () => {
    const { token, a, b, c } = await searchFixture();
    const descending = await searchAll({ Resource: "FeatureGroup", SearchExpression: scoped(token), SortBy: "FeatureGroupName", SortOrder: "Descending", MaxResults: 1 });
    expect(descending.map((r) => r.FeatureGroup?.FeatureGroupName)).toEqual([c, b, a]);
    const first = descending[0]!.FeatureGroup!;
    expect(first.FeatureGroupArn).toMatch(arnPattern(c));
    expect(first.CreationTime).toBeInstanceOf(Date);
    expect(first.FeatureDefinitions).toEqual([
      { FeatureName: "id", FeatureType: "String" },
      { FeatureName: "ts", FeatureType: "String" },
    ]);
    expect(first.Description).toBe("beta");

    const byTime = await searchAll({ Resource: "FeatureGroup", SearchExpression: scoped(token), SortBy: "CreationTime", SortOrder: "Ascending", MaxResults: 2 });
    const times = byTime.map((r) => r.FeatureGroup!.CreationTime!.getTime());
    expect(byTime).toHaveLength(3);
    expect(times).toEqual([...times].sort((x, y) => x - y));

    const viaPaginator: string[] = [];
    for await (const page of paginateSearch({ client: control, pageSize: 2 }, { Resource: "FeatureGroup", SearchExpression: scoped(token), SortBy: "FeatureGroupName", SortOrder: "Ascending" })) {
      viaPaginator.push(...page.Results!.map((r) => r.FeatureGroup!.FeatureGroupName!));
    }
    expect(viaPaginator).toEqual([a, b, c]);
  });

  it("searches FeatureMetadata by group, name, type and description, sorted and paged", async () => {
    const { token, a, b } = await searchFixture();
    await control.send(new UpdateFeatureMetadataCommand({ FeatureGroupName: a, FeatureName: "city", Description: "the customer's city", ParameterAdditions: [{ Key: "pii", Value: "yes" }] }));
    const metadata = async (expression: SearchExpression, sort: Partial<SearchCommandInput> = { SortBy: "FeatureName", SortOrder: "Ascending" }) =>
      (await searchAll({ Resource: "FeatureMetadata", SearchExpression: expression, ...sort })).map((r) => r.FeatureMetadata!);

    const ofA = await metadata({ Filters: [{ Name: "FeatureGroupName", Operator: "Equals", Value: a }] }, { SortBy: "FeatureName", SortOrder: "Ascending", MaxResults: 3 });
    expect(ofA.map((m) => m.FeatureName)).toEqual(["city", "id", "score", "ts"]);
    for (const m of ofA) {
      expect(m.FeatureGroupName).toBe(a);
      expect(m.FeatureGroupArn).toMatch(arnPattern(a));
      expect(m.CreationTime).toBeInstanceOf(Date);
    }

    const integral = await metadata({ Filters: [{ Name: "FeatureGroupName", Operator: "Equals", Value: a }, { Name: "FeatureType", Operator: "Equals", Value: "Integral" }] });
    expect(integral.map((m) => m.FeatureName)).toEqual(["score"]);

    const scores = await metadata(
      { Filters: [{ Name: "FeatureGroupName", Operator: "Contains", Value: token }, { Name: "FeatureName", Operator: "Equals", Value: "score" }] },
      { SortBy: "FeatureGroupName", SortOrder: "Descending" },
    );
    expect(scores.map((m) => [m.FeatureGroupName, m.FeatureType])).toEqual([
      [b, "String"],
      [a, "Integral"],
    ]);

    const described = await metadata({ Filters: [{ Name: "FeatureGroupName", Operator: "Contains", Value: token }, { Name: "Description", Operator: "Contains", Value: "city" }] });
    expect(described).toHaveLength(1);
    expect(described[0]).toMatchObject({ FeatureGroupName: a, FeatureName: "city", Description: "the customer's city", Parameters: [{ Key: "pii", Value: "yes" }] });
  });

  it("comparing CreationTime with a value that is not a time is a ValidationException", async () => {
    await validationException(control.send(new SearchCommand({ Resource: "FeatureGroup", SearchExpression: { Filters: [{ Name: "CreationTime", Operator: "GreaterThan", Value: "not a time" }] } })));
  });

  it("over a resource other than FeatureGroup and FeatureMetadata is a ValidationException", async () => {
    await validationException(control.send(new SearchCommand({ Resource: "NotAResource" as "FeatureGroup" })));
  });
});
