// Encryption at rest through the official SageMaker clients: a KmsKeyId in
// CreateFeatureGroup turns on encryption of that store with the group's own
// data keys (docs/security-encryption.md), and Describe echoes it as sent.
import { CreateFeatureGroupCommand, DescribeFeatureGroupCommand } from "@aws-sdk/client-sagemaker";
import { GetRecordCommand, PutRecordCommand } from "@aws-sdk/client-sagemaker-featurestore-runtime";
import { describe, expect, it } from "vitest";
import { at, control, createGroupInput, ENDPOINT, plain, rec, runtime, SDK_ACCESS_KEY_ID, SDK_ACCOUNT_ID, SDK_SECRET_ACCESS_KEY, uniqueName } from "./support";

const ONLINE_KMS = `arn:aws:kms:us-east-1:${SDK_ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const OFFLINE_KMS = "alias/feature-store-offline";

/** The native describe, which reports what is encrypted and with which key version. */
async function nativeEncryption(name: string): Promise<unknown> {
  const res = await fetch(`${ENDPOINT}/v1/feature-groups/${name}`, { headers: { authorization: `Bearer ${SDK_ACCESS_KEY_ID}:${SDK_SECRET_ACCESS_KEY}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { encryption: unknown }).encryption;
}

describe("KmsKeyId in CreateFeatureGroup", () => {
  it("encrypts both stores when both configs carry a KmsKeyId, and describes the ids back as sent", async () => {
    const name = uniqueName("sdk-enc");
    const input = createGroupInput(name, { offline: true });
    await control.send(
      new CreateFeatureGroupCommand({
        ...input,
        OnlineStoreConfig: { EnableOnlineStore: true, SecurityConfig: { KmsKeyId: ONLINE_KMS } },
        OfflineStoreConfig: { ...input.OfflineStoreConfig!, S3StorageConfig: { ...input.OfflineStoreConfig!.S3StorageConfig!, KmsKeyId: OFFLINE_KMS } },
      }),
    );
    const described = await control.send(new DescribeFeatureGroupCommand({ FeatureGroupName: name }));
    expect(described.OnlineStoreConfig?.SecurityConfig?.KmsKeyId).toBe(ONLINE_KMS);
    expect(described.OfflineStoreConfig?.S3StorageConfig?.KmsKeyId).toBe(OFFLINE_KMS);
    expect(await nativeEncryption(name)).toEqual({ online: { enabled: true, activeKeyVersion: 1 }, offline: { enabled: true, activeKeyVersion: 1 } });

    const record = { id: "u1", ts: at(1), age: "7", city: "Reykjavik" };
    await runtime.send(new PutRecordCommand({ FeatureGroupName: name, Record: rec(record) }));
    const got = await runtime.send(new GetRecordCommand({ FeatureGroupName: name, RecordIdentifierValueAsString: "u1" }));
    expect(plain(got.Record)).toEqual(record);
  });

  it("encrypts only the store whose config carries a KmsKeyId", async () => {
    const name = uniqueName("sdk-enc");
    await control.send(new CreateFeatureGroupCommand({ ...createGroupInput(name), OnlineStoreConfig: { EnableOnlineStore: true, SecurityConfig: { KmsKeyId: ONLINE_KMS } } }));
    expect(await nativeEncryption(name)).toEqual({ online: { enabled: true, activeKeyVersion: 1 }, offline: { enabled: false } });
    const plainGroup = uniqueName("sdk-enc");
    await control.send(new CreateFeatureGroupCommand(createGroupInput(plainGroup, { offline: true })));
    expect(await nativeEncryption(plainGroup)).toEqual({ online: { enabled: false }, offline: { enabled: false } });
    const described = await control.send(new DescribeFeatureGroupCommand({ FeatureGroupName: plainGroup }));
    expect(described.OnlineStoreConfig?.SecurityConfig).toBeUndefined();
  });
});
