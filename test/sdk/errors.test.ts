// Every error class the two SDKs declare that the service can reach, checked
// as the clients see them (instanceof the SDK's exception classes, $fault,
// $metadata) and as they travel (x-amzn-ErrorType, x-amzn-RequestId, body).
import {
  CreateFeatureGroupCommand,
  DescribeFeatureGroupCommand,
  ResourceInUse,
  ResourceNotFound as ControlResourceNotFound,
  SageMakerServiceException,
  UpdateFeatureGroupCommand,
} from "@aws-sdk/client-sagemaker";
import {
  ConflictException,
  GetRecordCommand,
  PutRecordCommand,
  ResourceNotFound,
  SageMakerFeatureStoreRuntimeServiceException,
  UpdateRecordCommand,
  ValidationError,
} from "@aws-sdk/client-sagemaker-featurestore-runtime";
import { describe, expect, it } from "vitest";
import { at, captureResponses, controlClient, createGroup, createGroupInput, rec, rejection, runtimeClient, uniqueName, UUID, type RawResponse } from "./support";

/** The wire form SAGEMAKER.md prescribes for every error. */
function expectWireError(raw: RawResponse | undefined, code: string, status: number, requestId: string | undefined) {
  expect(raw, "a response was captured").toBeDefined();
  expect(raw!.statusCode).toBe(status);
  expect(raw!.headers["x-amzn-errortype"]).toBe(code);
  expect(raw!.headers["x-amzn-requestid"]).toMatch(UUID);
  expect(raw!.headers["x-amzn-requestid"]).toBe(requestId);
  expect(raw!.headers["content-type"]).toMatch(/json/);
  const body = JSON.parse(raw!.body) as { __type?: string; Message?: string };
  expect(body.__type).toBe(code);
  expect(typeof body.Message).toBe("string");
  expect(body.Message!.length).toBeGreaterThan(0);
  return body;
}

describe("runtime errors (sagemaker-featurestore-runtime)", () => {
  it("ValidationError: HTTP 400, client fault, a request id, in the wire shape", async () => {
    const client = runtimeClient();
    const raw = captureResponses(client);
    const { name } = await createGroup();
    const error = await rejection(client.send(new PutRecordCommand({ FeatureGroupName: name, Record: rec({ id: "u1", ts: at(1), age: "x" }) })), ValidationError);
    expect(error).toBeInstanceOf(SageMakerFeatureStoreRuntimeServiceException);
    expect(error.name).toBe("ValidationError");
    expect(error.$fault).toBe("client");
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.$metadata.requestId).toMatch(UUID);
    expect(error.message).toMatch(/age/);
    const body = expectWireError(raw.at(-1), "ValidationError", 400, error.$metadata.requestId);
    expect(error.message).toBe(body.Message);
  });

  it("ResourceNotFound: HTTP 404 for a feature group that does not exist", async () => {
    const client = runtimeClient();
    const raw = captureResponses(client);
    const error = await rejection(client.send(new GetRecordCommand({ FeatureGroupName: uniqueName("missing"), RecordIdentifierValueAsString: "u1" })), ResourceNotFound);
    expect(error).toBeInstanceOf(SageMakerFeatureStoreRuntimeServiceException);
    expect(error.$fault).toBe("client");
    expect(error.$metadata.httpStatusCode).toBe(404);
    expectWireError(raw.at(-1), "ResourceNotFound", 404, error.$metadata.requestId);
  });

  it("ConflictException: HTTP 409 for an UpdateRecord older than the stored record", async () => {
    const client = runtimeClient();
    const raw = captureResponses(client);
    const { name } = await createGroup();
    await client.send(new PutRecordCommand({ FeatureGroupName: name, Record: rec({ id: "u1", ts: at(10) }) }));
    const error = await rejection(
      client.send(new UpdateRecordCommand({ FeatureGroupName: name, RecordIdentifierValueAsString: "u1", Features: rec({ ts: at(5), age: "1" }) })),
      ConflictException,
    );
    expect(error).toBeInstanceOf(SageMakerFeatureStoreRuntimeServiceException);
    expect(error.$fault).toBe("client");
    expect(error.$metadata.httpStatusCode).toBe(409);
    expectWireError(raw.at(-1), "ConflictException", 409, error.$metadata.requestId);
  });

  it("successful calls carry a fresh x-amzn-RequestId that the SDK reports as $metadata.requestId", async () => {
    const client = runtimeClient();
    const raw = captureResponses(client);
    const { name } = await createGroup();
    const a = await client.send(new GetRecordCommand({ FeatureGroupName: name, RecordIdentifierValueAsString: "u1" }));
    const b = await client.send(new GetRecordCommand({ FeatureGroupName: name, RecordIdentifierValueAsString: "u1" }));
    expect(a.$metadata.requestId).toMatch(UUID);
    expect(a.$metadata.requestId).toBe(raw[0]!.headers["x-amzn-requestid"]);
    expect(b.$metadata.requestId).toBe(raw[1]!.headers["x-amzn-requestid"]);
    expect(a.$metadata.requestId).not.toBe(b.$metadata.requestId);
    expect(a.$metadata.attempts).toBe(1);
  });
});

describe("control-plane errors (sagemaker)", () => {
  it("ResourceNotFound: HTTP 400, client fault, in the wire shape", async () => {
    const client = controlClient();
    const raw = captureResponses(client);
    const error = await rejection(client.send(new DescribeFeatureGroupCommand({ FeatureGroupName: uniqueName("missing") })), ControlResourceNotFound);
    expect(error).toBeInstanceOf(SageMakerServiceException);
    expect(error.$fault).toBe("client");
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.$metadata.requestId).toMatch(UUID);
    expectWireError(raw.at(-1), "ResourceNotFound", 400, error.$metadata.requestId);
  });

  it("ResourceInUse: HTTP 400 for a name already taken", async () => {
    const client = controlClient();
    const raw = captureResponses(client);
    const { name } = await createGroup();
    const error = await rejection(
      client.send(
        new CreateFeatureGroupCommand(createGroupInput(name)),
      ),
      ResourceInUse,
    );
    expect(error).toBeInstanceOf(SageMakerServiceException);
    expect(error.$metadata.httpStatusCode).toBe(400);
    expectWireError(raw.at(-1), "ResourceInUse", 400, error.$metadata.requestId);
  });

  it("ValidationException (unmodelled): the SDK's base exception with that name, HTTP 400", async () => {
    const client = controlClient();
    const raw = captureResponses(client);
    const { name } = await createGroup();
    let caught: unknown;
    try {
      await client.send(new UpdateFeatureGroupCommand({ FeatureGroupName: name, FeatureAdditions: [{ FeatureName: "write_time", FeatureType: "String" }] }));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SageMakerServiceException);
    const error = caught as SageMakerServiceException;
    expect(error.name).toBe("ValidationException");
    expect(error.$fault).toBe("client");
    expect(error.$metadata.httpStatusCode).toBe(400);
    expectWireError(raw.at(-1), "ValidationException", 400, error.$metadata.requestId);
  });
});
