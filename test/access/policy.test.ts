import { describe, expect, it } from "vitest";
import { groupArn, isAllowed, mayList, parsePolicy, type Policy } from "../../src/access/policy";

const scope = { region: "eu-west-1", account: "123456789012" };
const arn = (name: string) => groupArn(scope, name);

function compile(...statements: { Effect: string; Action: string | string[]; Resource: string | string[] }[]): Policy {
  const parsed = parsePolicy({ Version: "2012-10-17", Statement: statements }, "policy", scope);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.failure));
  return parsed.value;
}

describe("policy evaluation", () => {
  it("denies everything without a policy", () => {
    expect(isAllowed(null, "sagemaker:GetRecord", arn("users"))).toBe(false);
  });

  it("matches actions case-insensitively, as IAM does, with * and ?", () => {
    const policy = compile({ Effect: "Allow", Action: ["SageMaker:getrecord", "featurestore:?uildDataset"], Resource: "*" });
    expect(isAllowed(policy, "sagemaker:GetRecord", arn("users"))).toBe(true);
    expect(isAllowed(policy, "featurestore:BuildDataset", arn("users"))).toBe(true);
    expect(isAllowed(policy, "sagemaker:PutRecord", arn("users"))).toBe(false);
  });

  it("matches resources case-sensitively, in the worker's region and account for the short form", () => {
    const policy = compile({ Effect: "Allow", Action: "*", Resource: "feature-group/team-?-*" });
    expect(isAllowed(policy, "sagemaker:GetRecord", arn("team-a-users"))).toBe(true);
    expect(isAllowed(policy, "sagemaker:GetRecord", arn("Team-a-users"))).toBe(false);
    expect(isAllowed(policy, "sagemaker:GetRecord", arn("team-ab-users"))).toBe(false);
    expect(isAllowed(policy, "sagemaker:GetRecord", `arn:aws:sagemaker:us-east-1:123456789012:feature-group/team-a-users`)).toBe(false);
  });

  it("lets an explicit Deny win over any Allow, in any order", () => {
    const policy = compile({ Effect: "Deny", Action: "sagemaker:Delete*", Resource: "feature-group/prod-*" }, { Effect: "Allow", Action: "*", Resource: "*" });
    expect(isAllowed(policy, "sagemaker:DeleteRecord", arn("prod-users"))).toBe(false);
    expect(isAllowed(policy, "sagemaker:DeleteRecord", arn("dev-users"))).toBe(true);
  });

  it("applies group-scoped statements only to group resources, never to actions on *", () => {
    const policy = compile({ Effect: "Allow", Action: "*", Resource: "feature-group/*" });
    expect(isAllowed(policy, "featurestore:ListAccessKeys", "*")).toBe(false);
    expect(isAllowed(compile({ Effect: "Allow", Action: "*", Resource: "*" }), "featurestore:ListAccessKeys", "*")).toBe(true);
  });

  it("lets list actions run when some Allow names them, whatever the resource", () => {
    expect(mayList(compile({ Effect: "Allow", Action: "sagemaker:List*", Resource: "feature-group/a-*" }), "sagemaker:ListFeatureGroups")).toBe(true);
    expect(mayList(compile({ Effect: "Allow", Action: "sagemaker:GetRecord", Resource: "*" }), "sagemaker:ListFeatureGroups")).toBe(false);
    expect(mayList(null, "sagemaker:Search")).toBe(false);
  });

  it("accepts a single statement object and single strings, as IAM does", () => {
    const parsed = parsePolicy({ Version: "2012-10-17", Statement: { Effect: "Allow", Action: "sagemaker:GetRecord", Resource: "*" } }, "policy", scope);
    expect(parsed.ok).toBe(true);
  });

  it("refuses a document over 16 KiB", () => {
    const big = Array.from({ length: 90 }, (_, i) => ({ Effect: "Allow", Action: "sagemaker:GetRecord", Resource: `feature-group/${"x".repeat(200)}-${i}` }));
    const parsed = parsePolicy({ Version: "2012-10-17", Statement: big }, "policy", scope);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.failure).toMatchObject({ reason: "payload_too_large", field: "policy" });
  });
});
