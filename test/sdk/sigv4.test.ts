// AWS Signature Version 4 as the official clients produce it: wrong secrets,
// unknown keys, requests changed after signing and skewed clocks are refused
// with 403, and a refused request changes nothing.
import {
  CreateFeatureGroupCommand,
  DescribeFeatureGroupCommand,
  ResourceNotFound as ControlResourceNotFound,
  SageMakerServiceException,
} from "@aws-sdk/client-sagemaker";
import {
  DeleteRecordCommand,
  GetRecordCommand,
  PutRecordCommand,
  SageMakerFeatureStoreRuntimeServiceException,
  ValidationError,
  ResourceNotFound,
  ConflictException,
  AccessForbidden,
} from "@aws-sdk/client-sagemaker-featurestore-runtime";
import { describe, expect, it } from "vitest";
import {
  anyRejection,
  at,
  control,
  controlClient,
  createGroupInput,
  createGroup,
  ENDPOINT,
  plain,
  rec,
  rejection,
  runtime,
  runtimeClient,
  SDK_ACCESS_KEY_ID,
  sha256Hex,
  tamperAfterSigning,
  uniqueName,
  type ClientOptions,
} from "./support";

/** Error names AWS uses for authentication failures on its JSON protocols. */
const AUTH_ERROR = /^(InvalidSignatureException|UnrecognizedClientException|IncompleteSignatureException|SignatureDoesNotMatch|MissingAuthenticationToken(Exception)?|InvalidClientTokenId|AccessDeniedException)$/;
const SKEW_ERROR = /^(InvalidSignatureException|RequestExpired|RequestTimeTooSkewed|SignatureDoesNotMatch)$/;
const MINUTE = 60_000;

/** A refused runtime call: the base exception (authentication is not a modelled runtime error), 403. */
async function refusedByRuntime(promise: Promise<unknown>, name = AUTH_ERROR) {
  const error = await anyRejection(promise);
  expect(error, `${error.name}: ${error.message}`).toBeInstanceOf(SageMakerFeatureStoreRuntimeServiceException);
  for (const modelled of [ValidationError, ResourceNotFound, ConflictException, AccessForbidden]) expect(error).not.toBeInstanceOf(modelled);
  expect(error.$metadata.httpStatusCode).toBe(403);
  expect(error.name).toMatch(name);
  return error;
}

async function refusedByControl(promise: Promise<unknown>, name = AUTH_ERROR) {
  const error = await anyRejection(promise);
  expect(error, `${error.name}: ${error.message}`).toBeInstanceOf(SageMakerServiceException);
  expect(error.$metadata.httpStatusCode).toBe(403);
  expect(error.name).toMatch(name);
  return error;
}

const read = async (group: string, id: string) =>
  plain((await runtime.send(new GetRecordCommand({ FeatureGroupName: group, RecordIdentifierValueAsString: id }))).Record);

const createInput = (name: string) =>
  new CreateFeatureGroupCommand(createGroupInput(name));

describe.each<[string, ClientOptions["credentials"]]>([
  ["a wrong secret", { accessKeyId: SDK_ACCESS_KEY_ID, secretAccessKey: "not-the-secret" }],
  ["an unknown access key", { accessKeyId: "AKUNKNOWNKEY0000", secretAccessKey: "sdk-test-secret" }],
])("a request signed with %s", (_what, credentials) => {
  it("is refused by the runtime with 403 and writes nothing", async () => {
    const { name } = await createGroup();
    const bad = runtimeClient({ credentials });
    await refusedByRuntime(bad.send(new PutRecordCommand({ FeatureGroupName: name, Record: rec({ id: "u1", ts: at(1), age: "1" }) })));
    expect(await read(name, "u1")).toBeUndefined();
    // Reads are refused too: a wrong credential learns nothing.
    await runtime.send(new PutRecordCommand({ FeatureGroupName: name, Record: rec({ id: "u2", ts: at(1), age: "2" }) }));
    await refusedByRuntime(bad.send(new GetRecordCommand({ FeatureGroupName: name, RecordIdentifierValueAsString: "u2" })));
  });

  it("is refused by the control plane with 403 and creates nothing", async () => {
    const name = uniqueName("unauth");
    await refusedByControl(controlClient({ credentials }).send(createInput(name)));
    await rejection(control.send(new DescribeFeatureGroupCommand({ FeatureGroupName: name })), ControlResourceNotFound);
  });

  it("is refused the same way for a feature group that does not exist (no existence oracle)", async () => {
    await refusedByRuntime(runtimeClient({ credentials }).send(new GetRecordCommand({ FeatureGroupName: uniqueName("missing"), RecordIdentifierValueAsString: "x" })));
    await refusedByControl(controlClient({ credentials }).send(new DescribeFeatureGroupCommand({ FeatureGroupName: uniqueName("missing") })));
  });
});

describe("a request changed after signing", () => {
  it.each([
    ["", false],
    [" and its x-amz-content-sha256 recomputed to match", true],
  ])("with a changed body%s is refused and nothing is written", async (_what, rehash) => {
    const { name } = await createGroup();
    const client = runtimeClient();
    tamperAfterSigning(client, async (request) => {
      expect(request.headers["authorization"]).toMatch(/^AWS4-HMAC-SHA256 /);
      // The restJson1 serializer hands over bytes, the awsJson1_1 one a string.
      const original = typeof request.body === "string" ? request.body : new TextDecoder().decode(request.body as Uint8Array);
      const changed = original.replace('"41"', '"99"');
      expect(changed).not.toBe(original);
      // Same length, so Content-Length still matches.
      request.body = typeof request.body === "string" ? changed : new TextEncoder().encode(changed);
      if (rehash && request.headers["x-amz-content-sha256"]) request.headers["x-amz-content-sha256"] = await sha256Hex(changed);
    });
    await refusedByRuntime(client.send(new PutRecordCommand({ FeatureGroupName: name, Record: rec({ id: "u1", ts: at(1), age: "41" }) })));
    expect(await read(name, "u1")).toBeUndefined();
  });

  it("with a changed query string is refused and deletes nothing", async () => {
    const { name } = await createGroup();
    await runtime.send(new PutRecordCommand({ FeatureGroupName: name, Record: rec({ id: "keep", ts: at(1) }) }));
    await runtime.send(new PutRecordCommand({ FeatureGroupName: name, Record: rec({ id: "also", ts: at(1) }) }));
    const client = runtimeClient();
    tamperAfterSigning(client, (request) => {
      request.query["RecordIdentifierValueAsString"] = "keep";
    });
    await refusedByRuntime(client.send(new DeleteRecordCommand({ FeatureGroupName: name, RecordIdentifierValueAsString: "also", EventTime: at(2), DeletionMode: "HardDelete" })));
    expect(await read(name, "keep")).toEqual({ id: "keep", ts: at(1) });
    expect(await read(name, "also")).toEqual({ id: "also", ts: at(1) });
  });

  it("with a changed path is refused", async () => {
    const a = await createGroup();
    const b = await createGroup();
    await runtime.send(new PutRecordCommand({ FeatureGroupName: b.name, Record: rec({ id: "u1", ts: at(1), city: "secret" }) }));
    const client = runtimeClient();
    tamperAfterSigning(client, (request) => {
      request.path = request.path.replace(a.name, b.name);
    });
    await refusedByRuntime(client.send(new GetRecordCommand({ FeatureGroupName: a.name, RecordIdentifierValueAsString: "u1" })));
  });

  it("with a changed X-Amz-Target (Describe turned into Delete) is refused and the group survives", async () => {
    const { name } = await createGroup();
    const client = controlClient();
    tamperAfterSigning(client, (request) => {
      request.headers["x-amz-target"] = "SageMaker.DeleteFeatureGroup";
    });
    await refusedByControl(client.send(new DescribeFeatureGroupCommand({ FeatureGroupName: name })));
    expect((await control.send(new DescribeFeatureGroupCommand({ FeatureGroupName: name }))).FeatureGroupName).toBe(name);
  });

  it("with a changed control-plane body (content hash recomputed) is refused and creates nothing", async () => {
    const signed = uniqueName("signed");
    const sent = signed.replace("signed", "sneaky");
    const client = controlClient();
    tamperAfterSigning(client, async (request) => {
      const original = typeof request.body === "string" ? request.body : new TextDecoder().decode(request.body as Uint8Array);
      const changed = original.replace(signed, sent);
      expect(changed).not.toBe(original);
      request.body = typeof request.body === "string" ? changed : new TextEncoder().encode(changed);
      if (request.headers["x-amz-content-sha256"]) request.headers["x-amz-content-sha256"] = await sha256Hex(changed);
    });
    await refusedByControl(client.send(createInput(signed)));
    await rejection(control.send(new DescribeFeatureGroupCommand({ FeatureGroupName: signed })), ControlResourceNotFound);
    await rejection(control.send(new DescribeFeatureGroupCommand({ FeatureGroupName: sent })), ControlResourceNotFound);
  });

  it("with an unsigned x-amz-* header added is refused", async () => {
    const { name } = await createGroup();
    const client = runtimeClient();
    tamperAfterSigning(client, (request) => {
      request.headers["x-amz-meta-extra"] = "unsigned";
    });
    await refusedByRuntime(client.send(new PutRecordCommand({ FeatureGroupName: name, Record: rec({ id: "u1", ts: at(1) }) })));
    expect(await read(name, "u1")).toBeUndefined();
  });
});

describe("a client clock", () => {
  it.each([
    ["20 minutes fast", 20 * MINUTE],
    ["20 minutes slow", -20 * MINUTE],
  ])("%s is refused with 403 and nothing is written", async (_what, offset) => {
    const { name } = await createGroup();
    const client = runtimeClient({ systemClockOffset: offset });
    await refusedByRuntime(client.send(new PutRecordCommand({ FeatureGroupName: name, Record: rec({ id: "u1", ts: at(1) }) })), SKEW_ERROR);
    expect(await read(name, "u1")).toBeUndefined();
    const controlName = uniqueName("skew");
    await refusedByControl(controlClient({ systemClockOffset: offset }).send(createInput(controlName)), SKEW_ERROR);
    await rejection(control.send(new DescribeFeatureGroupCommand({ FeatureGroupName: controlName })), ControlResourceNotFound);
  });

  it("10 minutes slow is within the 15-minute window and accepted", async () => {
    const { name } = await createGroup();
    await runtimeClient({ systemClockOffset: -10 * MINUTE }).send(new PutRecordCommand({ FeatureGroupName: name, Record: rec({ id: "u1", ts: at(1) }) }));
    expect(await read(name, "u1")).toEqual({ id: "u1", ts: at(1) });
  });

  it("skewed beyond the window is corrected by the SDK from the refusal's Date header, so its next call succeeds", async () => {
    const { name } = await createGroup();
    const client = runtimeClient({ systemClockOffset: -30 * MINUTE });
    await refusedByRuntime(client.send(new PutRecordCommand({ FeatureGroupName: name, Record: rec({ id: "u1", ts: at(1) }) })), SKEW_ERROR);
    const corrected = await client.config.systemClockOffset;
    expect(Math.abs(Number(corrected))).toBeLessThan(MINUTE);
    await client.send(new PutRecordCommand({ FeatureGroupName: name, Record: rec({ id: "u1", ts: at(2) }) }));
    expect(await read(name, "u1")).toEqual({ id: "u1", ts: at(2) });
  });
});

describe("a request without a signature", () => {
  it("is refused on the runtime and control routes with an AWS error shape, and does nothing", async () => {
    const { name } = await createGroup();
    const put = await fetch(`${ENDPOINT}/FeatureGroup/${name}`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ Record: rec({ id: "u1", ts: at(1) }) }),
    });
    expect([400, 403]).toContain(put.status);
    expect(put.headers.get("x-amzn-errortype")).toBeTruthy();
    expect((await put.json()) as object).toHaveProperty("__type");
    expect(await read(name, "u1")).toBeUndefined();

    const describe = await fetch(`${ENDPOINT}/`, {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "SageMaker.DescribeFeatureGroup" },
      body: JSON.stringify({ FeatureGroupName: name }),
    });
    expect([400, 403]).toContain(describe.status);
    expect(describe.headers.get("x-amzn-errortype")).toBeTruthy();
  });
});
