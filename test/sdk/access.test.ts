// Access keys, policies and rate limits through the official AWS SDK clients
// (SigV4) with credentials the admin API issued, over real HTTP.
import {
  AddTagsCommand,
  CreateFeatureGroupCommand,
  DeleteFeatureGroupCommand,
  DeleteTagsCommand,
  DescribeFeatureGroupCommand,
  DescribeFeatureMetadataCommand,
  ListFeatureGroupsCommand,
  ListTagsCommand,
  SearchCommand,
  UpdateFeatureGroupCommand,
  UpdateFeatureMetadataCommand,
} from "@aws-sdk/client-sagemaker";
import {
  AccessForbidden,
  BatchGetRecordCommand,
  BatchWriteRecordCommand,
  DeleteRecordCommand,
  GetRecordCommand,
  ListRecordsCommand,
  PutRecordCommand,
  UpdateRecordCommand,
} from "@aws-sdk/client-sagemaker-featurestore-runtime";
import { describe, expect, it } from "vitest";
import { ACTION_NAMES, ACTIONS, type Action } from "../../src/access/actions";
import { anyRejection, at, controlClient, createGroup, createGroupInput, ENDPOINT, native, plain, rec, rejection, runtime, runtimeClient, SDK_ACCOUNT_ID, uniqueName } from "./support";

interface Key {
  accessKeyId: string;
  secretAccessKey: string;
}

async function createKey(settings: Record<string, unknown> = {}): Promise<Key> {
  const res = await native("POST", "/admin/access-keys", { name: "sdk key", ...settings });
  expect(res.status, res.text).toBe(201);
  return { accessKeyId: res.body.accessKey.accessKeyId, secretAccessKey: res.body.secretAccessKey };
}

const statement = (Effect: "Allow" | "Deny", Action: string, Resource: string) => ({ Effect, Action, Resource });
const doc = (...Statement: ReturnType<typeof statement>[]) => ({ Version: "2012-10-17", Statement });

type SageMakerAction = Extract<Action, `sagemaker:${string}`>;
const SAGEMAKER_ACTIONS = ACTION_NAMES.filter((a): a is SageMakerAction => a.startsWith("sagemaker:"));

interface Scene {
  group: string;
  credentials: Key;
}

const groupArnOf = (group: string) => `arn:aws:sagemaker:us-east-1:${SDK_ACCOUNT_ID}:feature-group/${group}`;

/** One SDK call per SageMaker action; list actions also say whether the group came back. */
const probes: Record<SageMakerAction, { call(s: Scene): Promise<unknown>; sees?(out: any, group: string): boolean }> = {
  "sagemaker:CreateFeatureGroup": { call: (s) => controlClient({ credentials: s.credentials }).send(new CreateFeatureGroupCommand(createGroupInput(`${s.group}-new`))) },
  "sagemaker:DescribeFeatureGroup": { call: (s) => controlClient({ credentials: s.credentials }).send(new DescribeFeatureGroupCommand({ FeatureGroupName: s.group })) },
  "sagemaker:UpdateFeatureGroup": {
    call: (s) => controlClient({ credentials: s.credentials }).send(new UpdateFeatureGroupCommand({ FeatureGroupName: s.group, FeatureAdditions: [{ FeatureName: "tier", FeatureType: "String" }] })),
  },
  "sagemaker:DeleteFeatureGroup": { call: (s) => controlClient({ credentials: s.credentials }).send(new DeleteFeatureGroupCommand({ FeatureGroupName: s.group })) },
  "sagemaker:ListFeatureGroups": {
    call: (s) => controlClient({ credentials: s.credentials }).send(new ListFeatureGroupsCommand({ NameContains: s.group, MaxResults: 100 })),
    sees: (out, group) => (out.FeatureGroupSummaries as { FeatureGroupName: string }[]).some((g) => g.FeatureGroupName === group),
  },
  "sagemaker:Search": {
    call: (s) =>
      controlClient({ credentials: s.credentials }).send(
        new SearchCommand({ Resource: "FeatureGroup", SearchExpression: { Filters: [{ Name: "FeatureGroupName", Operator: "Equals", Value: s.group }] } }),
      ),
    sees: (out, group) => (out.Results as { FeatureGroup?: { FeatureGroupName: string } }[]).some((r) => r.FeatureGroup?.FeatureGroupName === group),
  },
  "sagemaker:DescribeFeatureMetadata": { call: (s) => controlClient({ credentials: s.credentials }).send(new DescribeFeatureMetadataCommand({ FeatureGroupName: s.group, FeatureName: "age" })) },
  "sagemaker:UpdateFeatureMetadata": {
    call: (s) => controlClient({ credentials: s.credentials }).send(new UpdateFeatureMetadataCommand({ FeatureGroupName: s.group, FeatureName: "age", Description: "years" })),
  },
  "sagemaker:AddTags": { call: (s) => controlClient({ credentials: s.credentials }).send(new AddTagsCommand({ ResourceArn: groupArnOf(s.group), Tags: [{ Key: "team", Value: "ml" }] })) },
  "sagemaker:ListTags": { call: (s) => controlClient({ credentials: s.credentials }).send(new ListTagsCommand({ ResourceArn: groupArnOf(s.group) })) },
  "sagemaker:DeleteTags": { call: (s) => controlClient({ credentials: s.credentials }).send(new DeleteTagsCommand({ ResourceArn: groupArnOf(s.group), TagKeys: ["team"] })) },
  "sagemaker:PutRecord": { call: (s) => runtimeClient({ credentials: s.credentials }).send(new PutRecordCommand({ FeatureGroupName: s.group, Record: rec({ id: "r2", ts: at(2) }) })) },
  "sagemaker:GetRecord": { call: (s) => runtimeClient({ credentials: s.credentials }).send(new GetRecordCommand({ FeatureGroupName: s.group, RecordIdentifierValueAsString: "r1" })) },
  "sagemaker:DeleteRecord": {
    call: (s) => runtimeClient({ credentials: s.credentials }).send(new DeleteRecordCommand({ FeatureGroupName: s.group, RecordIdentifierValueAsString: "r1", EventTime: at(5) })),
  },
  "sagemaker:UpdateRecord": {
    call: (s) => runtimeClient({ credentials: s.credentials }).send(new UpdateRecordCommand({ FeatureGroupName: s.group, RecordIdentifierValueAsString: "r1", Features: rec({ city: "Oslo" }) })),
  },
  "sagemaker:ListRecords": { call: (s) => runtimeClient({ credentials: s.credentials }).send(new ListRecordsCommand({ FeatureGroupName: s.group })) },
  "sagemaker:BatchGetRecord": {
    call: (s) => runtimeClient({ credentials: s.credentials }).send(new BatchGetRecordCommand({ Identifiers: [{ FeatureGroupName: s.group, RecordIdentifiersValueAsString: ["r1"] }] })),
  },
  "sagemaker:BatchWriteRecord": {
    call: async (s) => {
      const out = await runtimeClient({ credentials: s.credentials }).send(new BatchWriteRecordCommand({ Entries: [{ FeatureGroupName: s.group, Record: rec({ id: "r3", ts: at(3) }) }] }));
      expect(out.Errors).toEqual([]);
      return out;
    },
  },
};

const cases = SAGEMAKER_ACTIONS.flatMap((action) =>
  (["allow", "deny", "none"] as const).flatMap((effect) =>
    (["matching", "non-matching"] as const).map((match) => ({ action, effect, match, allowed: (effect === "allow" && match === "matching") || (effect === "deny" && match === "non-matching") })),
  ),
);

function policyFor(action: Action, effect: "allow" | "deny" | "none", match: "matching" | "non-matching", group: string) {
  const resource = match === "matching" ? `arn:aws:sagemaker:*:*:feature-group/${group}*` : "feature-group/zz-unrelated-*";
  if (effect === "none") return {};
  if (effect === "allow") return { policy: doc(statement("Allow", action, resource)) };
  return { policy: doc(statement("Allow", "*", "*"), statement("Deny", action, resource)) };
}

/** AccessForbidden on the runtime, AccessDeniedException on the control plane. */
const DENIED = ["AccessForbidden", "AccessDeniedException"];

describe("policy matrix through the AWS SDK clients", () => {
  it("has an SDK probe for every SageMaker action in the table", () => {
    expect(Object.keys(probes).sort()).toEqual([...SAGEMAKER_ACTIONS].sort());
    expect(SAGEMAKER_ACTIONS.every((a) => (ACTIONS[a] as { resource: string }).resource !== "none")).toBe(true);
  });

  it.concurrent.each(cases)("$action with $effect on a $match group: allowed=$allowed", async ({ action, effect, match, allowed }) => {
    const { name: group } = await createGroup({ prefix: "sdkpm" });
    await runtime.send(new PutRecordCommand({ FeatureGroupName: group, Record: rec({ id: "r1", ts: at(1), age: "1" }) }));
    const credentials = await createKey(policyFor(action, effect, match, group));
    const probe = probes[action];
    if (probe.sees) {
      if (allowed) expect(probe.sees(await probe.call({ group, credentials }), group)).toBe(true);
      else {
        try {
          expect(probe.sees(await probe.call({ group, credentials }), group)).toBe(false);
        } catch (error) {
          expect(DENIED).toContain((error as Error).name);
        }
      }
      return;
    }
    if (allowed) await probe.call({ group, credentials });
    else expect(DENIED).toContain((await anyRejection(probe.call({ group, credentials }))).name);
  });
});

describe("access-key lifecycle", () => {
  it("creates, uses with SigV4 and Bearer, rotates with an overlap, and revokes", async () => {
    const { name: group } = await createGroup({ prefix: "life" });
    const original = await createKey({ policy: doc(statement("Allow", "sagemaker:*", `feature-group/${group}`)) });
    const bearer = (key: Key) => ({ authorization: `Bearer ${key.accessKeyId}:${key.secretAccessKey}` });
    const sdk = (key: Key) => runtimeClient({ credentials: key });

    await sdk(original).send(new PutRecordCommand({ FeatureGroupName: group, Record: rec({ id: "before", ts: at(1), city: "Oslo" }) }));
    const viaBearer = await fetch(`${ENDPOINT}/v1/feature-groups/${group}/records/before`, { headers: bearer(original) });
    expect(viaBearer.status).toBe(200);

    const rotated = await native("POST", `/admin/access-keys/${original.accessKeyId}/rotate`, { overlapSeconds: 600 });
    expect(rotated.status).toBe(201);
    const fresh: Key = { accessKeyId: rotated.body.accessKey.accessKeyId, secretAccessKey: rotated.body.secretAccessKey };
    expect(fresh.accessKeyId).not.toBe(original.accessKeyId);

    // During the overlap both work, and each reads what the other wrote.
    await sdk(fresh).send(new PutRecordCommand({ FeatureGroupName: group, Record: rec({ id: "after", ts: at(2), city: "Bern" }) }));
    expect(plain((await sdk(original).send(new GetRecordCommand({ FeatureGroupName: group, RecordIdentifierValueAsString: "after" }))).Record)?.city).toBe("Bern");
    expect(plain((await sdk(fresh).send(new GetRecordCommand({ FeatureGroupName: group, RecordIdentifierValueAsString: "before" }))).Record)?.city).toBe("Oslo");
    expect((await fetch(`${ENDPOINT}/v1/feature-groups/${group}/records/after`, { headers: bearer(original) })).status).toBe(200);

    expect((await native("DELETE", `/admin/access-keys/${original.accessKeyId}`)).status).toBe(204);
    const refused = await anyRejection(sdk(original).send(new GetRecordCommand({ FeatureGroupName: group, RecordIdentifierValueAsString: "before" })));
    expect(refused.name).toBe("InvalidSignatureException");
    expect((await fetch(`${ENDPOINT}/v1/feature-groups/${group}/records/before`, { headers: bearer(original) })).status).toBe(401);
    for (const id of ["before", "after"]) {
      expect((await sdk(fresh).send(new GetRecordCommand({ FeatureGroupName: group, RecordIdentifierValueAsString: id }))).Record).toBeDefined();
    }
  });

  it("answers an unknown key exactly as a wrong secret", async () => {
    const key = await createKey({ policy: doc(statement("Allow", "*", "*")) });
    const wrong = await anyRejection(runtimeClient({ credentials: { ...key, secretAccessKey: "x".repeat(40) } }).send(new GetRecordCommand({ FeatureGroupName: "g", RecordIdentifierValueAsString: "a" })));
    const unknown = await anyRejection(runtimeClient({ credentials: { accessKeyId: "FSAKAAAAAAAAAAAAAAAA", secretAccessKey: key.secretAccessKey } }).send(new GetRecordCommand({ FeatureGroupName: "g", RecordIdentifierValueAsString: "a" })));
    expect(unknown.name).toBe(wrong.name);
    expect(unknown.message).toBe(wrong.message);
    expect(unknown.$metadata.httpStatusCode).toBe(wrong.$metadata.httpStatusCode);
  });

  it("reports a denied runtime call as AccessForbidden naming the action", async () => {
    const { name: group } = await createGroup({ prefix: "deny" });
    const key = await createKey({ policy: doc(statement("Allow", "sagemaker:GetRecord", "feature-group/elsewhere")) });
    const error = await rejection(runtimeClient({ credentials: key }).send(new GetRecordCommand({ FeatureGroupName: group, RecordIdentifierValueAsString: "a" })), AccessForbidden);
    expect(error.$metadata.httpStatusCode).toBe(403);
    expect(error.message).toContain("sagemaker:GetRecord");
  });
});

describe("audit through the SDK", () => {
  it("records a SageMaker control-plane change and a denied runtime call under the caller's key", async () => {
    const name = uniqueName("audsdk");
    const key = await createKey({ policy: doc(statement("Allow", "sagemaker:CreateFeatureGroup", `feature-group/${name}`)) });
    await controlClient({ credentials: key }).send(new CreateFeatureGroupCommand(createGroupInput(name)));
    await anyRejection(runtimeClient({ credentials: key }).send(new GetRecordCommand({ FeatureGroupName: name, RecordIdentifierValueAsString: "a" })));
    const res = await native("GET", `/admin/audit?accessKeyId=${key.accessKeyId}`);
    expect(res.body.entries.map((e: { action: string; result: string; featureGroup: string }) => [e.action, e.result, e.featureGroup])).toEqual([
      ["sagemaker:GetRecord", "denied", name],
      ["sagemaker:CreateFeatureGroup", "allowed", name],
    ]);
    expect(res.text).not.toContain(key.secretAccessKey);
  });
});

describe("rate limits through the SDK", () => {
  it("throttles a key over its limit; the SDK retries ThrottlingException and other keys are unaffected", async () => {
    const { name: group } = await createGroup({ prefix: "thr" });
    const everything = doc(statement("Allow", "*", "*"));
    // The worker's clock is real here. One token a second with a burst of one: right after an admitted
    // request the bucket stays empty for a whole second, far longer than the next request takes on a busy machine.
    const tiny = await createKey({ policy: everything, rateLimit: { perSecond: 1, burst: 1 } });
    const other = await createKey({ policy: everything, rateLimit: { perSecond: 1, burst: 1 } });
    const get = new GetRecordCommand({ FeatureGroupName: group, RecordIdentifierValueAsString: "a" });

    await runtimeClient({ credentials: tiny }).send(get);
    // The runtime model has no ThrottlingException shape; the SDKs know the code as a throttling error and retry it.
    const throttled = await anyRejection(runtimeClient({ credentials: tiny }).send(get));
    expect(throttled.name).toBe("ThrottlingException");
    expect(throttled.$metadata.httpStatusCode).toBe(429);
    // The other key's bucket is its own.
    await runtimeClient({ credentials: other }).send(get);

    // With retries on, the SDK backs off until the refilled bucket admits it: once to empty the bucket, then
    // again straight after, which cannot be admitted before a retry.
    await runtimeClient({ credentials: tiny, maxAttempts: 10 }).send(get);
    const retried = await runtimeClient({ credentials: tiny, maxAttempts: 10 }).send(get);
    expect(retried.$metadata.attempts).toBeGreaterThan(1);
  });
});
