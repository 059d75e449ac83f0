// Tags of feature groups through the official @aws-sdk/client-sagemaker:
// AddTags, ListTags (and its paginator), DeleteTags, Search by tag, over real HTTP.
import {
  AddTagsCommand,
  CreateFeatureGroupCommand,
  DeleteFeatureGroupCommand,
  DeleteTagsCommand,
  ListTagsCommand,
  paginateListTags,
  SageMakerServiceException,
  SearchCommand,
  type Tag,
} from "@aws-sdk/client-sagemaker";
import { describe, expect, it } from "vitest";
import { anyRejection, control, createGroup, createGroupInput, native, SDK_ACCOUNT_ID, uniqueName } from "./support";

const listTags = (ResourceArn: string) => control.send(new ListTagsCommand({ ResourceArn }));

/** A tag operation's failure: unmodelled, so the SDK's base exception named ValidationException (HTTP 400). */
async function validationException(promise: Promise<unknown>): Promise<string> {
  const error = await anyRejection(promise);
  expect(error, `${error.name}: ${error.message}`).toBeInstanceOf(SageMakerServiceException);
  expect(error.name).toBe("ValidationException");
  expect(error.$metadata.httpStatusCode).toBe(400);
  return error.message;
}

describe("AddTags, ListTags and DeleteTags", () => {
  it("adds tags, overwrites a present key, lists and deletes them on the group's ARN", async () => {
    const { arn } = await createGroup();
    const added = await control.send(new AddTagsCommand({ ResourceArn: arn, Tags: [{ Key: "team", Value: "ml" }, { Key: "tier", Value: "gold" }] }));
    expect(added.Tags).toEqual([{ Key: "team", Value: "ml" }, { Key: "tier", Value: "gold" }]);
    await control.send(new AddTagsCommand({ ResourceArn: arn, Tags: [{ Key: "team", Value: "search" }] }));
    const listed = await listTags(arn);
    expect(listed.Tags).toEqual([{ Key: "team", Value: "search" }, { Key: "tier", Value: "gold" }]);
    expect(listed.NextToken).toBeUndefined();
    const deleted = await control.send(new DeleteTagsCommand({ ResourceArn: arn, TagKeys: ["team", "not-there"] }));
    expect(deleted.$metadata.httpStatusCode).toBe(200);
    expect((await listTags(arn)).Tags).toEqual([{ Key: "tier", Value: "gold" }]);
  });

  it("stores CreateFeatureGroup's Tags and drops them with the group", async () => {
    const name = uniqueName("created");
    const { FeatureGroupArn } = await control.send(new CreateFeatureGroupCommand({ ...createGroupInput(name), Tags: [{ Key: "team", Value: "ml" }] }));
    expect((await listTags(FeatureGroupArn!)).Tags).toEqual([{ Key: "team", Value: "ml" }]);
    await control.send(new DeleteFeatureGroupCommand({ FeatureGroupName: name }));
    await validationException(listTags(FeatureGroupArn!));
    await control.send(new CreateFeatureGroupCommand(createGroupInput(name)));
    expect((await listTags(FeatureGroupArn!)).Tags).toEqual([]);
  });

  it("pages all 50 tags with the SDK's paginator", async () => {
    const { arn } = await createGroup();
    const tags: Tag[] = Array.from({ length: 50 }, (_, i) => ({ Key: `k${String(i).padStart(2, "0")}`, Value: `v${i}` }));
    await control.send(new AddTagsCommand({ ResourceArn: arn, Tags: tags }));
    const pages = [];
    for await (const page of paginateListTags({ client: control, pageSize: 50 }, { ResourceArn: arn })) pages.push(page);
    expect(pages).toHaveLength(1);
    expect(pages.flatMap((p) => p.Tags ?? [])).toEqual(tags);
    const beyond = await control.send(new ListTagsCommand({ ResourceArn: arn, MaxResults: 50, NextToken: "50" }));
    expect(beyond.Tags).toEqual([]);
  });

  it("refuses a 51st tag and bad keys and values with ValidationException naming the member, and keeps the tags", async () => {
    const { arn } = await createGroup();
    await control.send(new AddTagsCommand({ ResourceArn: arn, Tags: Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: "v" })) }));
    expect(await validationException(control.send(new AddTagsCommand({ ResourceArn: arn, Tags: [{ Key: "one-more", Value: "v" }] })))).toContain("at most 50");
    expect(await validationException(control.send(new AddTagsCommand({ ResourceArn: arn, Tags: [{ Key: "aws:owner", Value: "v" }] })))).toContain("Tags[0].Key");
    expect(await validationException(control.send(new AddTagsCommand({ ResourceArn: arn, Tags: [{ Key: "k0", Value: "semi;colon" }] })))).toContain("Tags[0].Value");
    expect(await validationException(control.send(new DeleteTagsCommand({ ResourceArn: arn, TagKeys: [] })))).toContain("TagKeys");
    expect(await validationException(control.send(new ListTagsCommand({ ResourceArn: arn, MaxResults: 10 })))).toContain("MaxResults");
    const listed = await listTags(arn);
    expect(listed.Tags).toHaveLength(50);
    expect(listed.Tags?.[0]).toEqual({ Key: "k0", Value: "v" });
  });

  it("answers an unknown group and a resource this service does not hold with ValidationException", async () => {
    await validationException(listTags(`arn:aws:sagemaker:us-east-1:${SDK_ACCOUNT_ID}:feature-group/${uniqueName("missing")}`));
    await validationException(control.send(new AddTagsCommand({ ResourceArn: `arn:aws:sagemaker:us-east-1:${SDK_ACCOUNT_ID}:model/m`, Tags: [{ Key: "k", Value: "v" }] })));
    await validationException(listTags("not-an-arn"));
  });
});

describe("Search by tag", () => {
  it("finds groups by Tags.<key> once tags are added, and no longer once deleted", async () => {
    const { name, arn } = await createGroup();
    const marker = `m-${name}`;
    const search = async () =>
      ((await control.send(new SearchCommand({ Resource: "FeatureGroup", SearchExpression: { Filters: [{ Name: "Tags.project", Operator: "Equals", Value: marker }] } }))).Results ?? []).map(
        (r) => r.FeatureGroup?.FeatureGroupName,
      );
    expect(await search()).toEqual([]);
    await control.send(new AddTagsCommand({ ResourceArn: arn, Tags: [{ Key: "project", Value: marker }] }));
    expect(await search()).toEqual([name]);
    const listed = await native("GET", `/feature-groups?tagKey=project&tagValue=${marker}`);
    expect(listed.status, listed.text).toBe(200);
    expect(listed.body.featureGroups.map((g: { name: string }) => g.name)).toEqual([name]);
    await control.send(new DeleteTagsCommand({ ResourceArn: arn, TagKeys: ["project"] }));
    expect(await search()).toEqual([]);
  });
});
