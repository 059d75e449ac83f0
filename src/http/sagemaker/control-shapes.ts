import type { FeatureGroup, FeatureMetadata } from "../../catalog";
import type { Failure } from "../../failure";
import type { FeatureDefinition } from "../../records";
import { bucketNameOf, dataPrefix, offlinePrefixOf, type OfflineLocationConfig } from "../../offline";
import type { AppContext } from "../context";
import { wireTtl } from "./wire";

/**
 * The control plane's shapes (awsJson1_1): native catalog objects in and out
 * of SageMaker's members. Times are epoch seconds.
 */

const seconds = (ms: number) => ms / 1000;

type Json = Record<string, unknown>;

/** A group's ARN, in the region the client signed for (FS_REGION otherwise). */
export function arnOf(c: AppContext, name: string): string {
  const region = c.get("principal")?.region ?? c.env.FS_REGION;
  return `arn:aws:sagemaker:${region}:${c.env.FS_ACCOUNT_ID}:feature-group/${name}`;
}

export function wireFeatureDefinition(def: FeatureDefinition) {
  return {
    FeatureName: def.name,
    FeatureType: def.type,
    ...(def.collection ? { CollectionType: def.collection.type } : {}),
    ...(def.collection?.type === "Vector" ? { CollectionConfig: { VectorConfig: { Dimension: def.collection.dimension } } } : {}),
  };
}

const object = (value: unknown): Json => (typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : {});

/**
 * The offline store config as created, with ResolvedOutputS3Uri naming where
 * the data really is: the store writes its own R2 bucket, whatever S3Uri
 * the client gave.
 */
function offlineStoreConfig(env: OfflineLocationConfig, group: FeatureGroup) {
  const bucket = bucketNameOf(env);
  const given = object(group.sagemakerSettings?.OfflineStoreConfig);
  const s3 = object(given.S3StorageConfig);
  return {
    ...given,
    S3StorageConfig: { ...s3, S3Uri: typeof s3.S3Uri === "string" ? s3.S3Uri : `s3://${bucket}/${offlinePrefixOf(env)}`, ResolvedOutputS3Uri: `s3://${bucket}/${dataPrefix(env, group.name, group.generation)}` },
    DisableGlueTableCreation: given.DisableGlueTableCreation ?? true,
  };
}

/** SageMaker settings the client sent, kept to describe them back. */
export function sagemakerSettingsOf(req: Json): Json {
  const online = object(req.OnlineStoreConfig);
  return {
    ...(req.RoleArn !== undefined ? { RoleArn: req.RoleArn } : {}),
    ...(req.ThroughputConfig !== undefined ? { ThroughputConfig: req.ThroughputConfig } : {}),
    ...(req.OfflineStoreConfig !== undefined ? { OfflineStoreConfig: req.OfflineStoreConfig } : {}),
    ...(online.SecurityConfig !== undefined ? { OnlineSecurityConfig: online.SecurityConfig } : {}),
    ...(online.StorageType !== undefined ? { OnlineStorageType: online.StorageType } : {}),
  };
}

export function wireFeatureGroup(env: OfflineLocationConfig, group: FeatureGroup, arn: string) {
  const settings = object(group.sagemakerSettings);
  return {
    FeatureGroupArn: arn,
    FeatureGroupName: group.name,
    RecordIdentifierFeatureName: group.recordIdentifierFeature,
    EventTimeFeatureName: group.eventTimeFeature,
    FeatureDefinitions: group.features.map(wireFeatureDefinition),
    CreationTime: seconds(group.createdAt),
    LastModifiedTime: seconds(group.updatedAt),
    OnlineStoreConfig: {
      EnableOnlineStore: group.onlineStore.enabled,
      ...(group.onlineStore.ttl ? { TtlDuration: wireTtl(group.onlineStore.ttl) } : {}),
      ...(settings.OnlineSecurityConfig !== undefined ? { SecurityConfig: settings.OnlineSecurityConfig } : {}),
      ...(settings.OnlineStorageType !== undefined ? { StorageType: settings.OnlineStorageType } : {}),
    },
    ...(settings.RoleArn !== undefined ? { RoleArn: settings.RoleArn } : {}),
    ...(settings.ThroughputConfig !== undefined ? { ThroughputConfig: settings.ThroughputConfig } : {}),
    ...(group.offlineStore.enabled ? { OfflineStoreConfig: offlineStoreConfig(env, group) } : {}),
    FeatureGroupStatus: group.status,
    OfflineStoreStatus: { Status: group.offlineStore.enabled ? "Active" : "Disabled" },
    LastUpdateStatus: { Status: "Successful" },
    ...(group.description !== undefined ? { Description: group.description } : {}),
    Tags: group.tags.map((t) => ({ Key: t.key, Value: t.value })),
  };
}

export function wireFeatureGroupSummary(group: FeatureGroup, arn: string) {
  return {
    FeatureGroupName: group.name,
    FeatureGroupArn: arn,
    CreationTime: seconds(group.createdAt),
    FeatureGroupStatus: group.status,
    OfflineStoreStatus: { Status: group.offlineStore.enabled ? "Active" : "Disabled" },
  };
}

export function wireFeatureMetadata(metadata: FeatureMetadata, arn: string) {
  return {
    FeatureGroupArn: arn,
    FeatureGroupName: metadata.featureGroup,
    FeatureName: metadata.feature.name,
    FeatureType: metadata.feature.type,
    CreationTime: seconds(metadata.createdAt),
    LastModifiedTime: seconds(metadata.updatedAt),
    ...(metadata.description !== undefined ? { Description: metadata.description } : {}),
    Parameters: Object.entries(metadata.parameters).map(([Key, Value]) => ({ Key, Value })),
  };
}

function nativeFeature(raw: unknown) {
  const def = object(raw);
  const dimension = object(object(def.CollectionConfig).VectorConfig).Dimension;
  return {
    name: def.FeatureName,
    type: def.FeatureType,
    ...(def.CollectionType !== undefined ? { collection: { type: def.CollectionType, ...(dimension !== undefined ? { dimension } : {}) } } : {}),
  };
}

const nativeTtl = (raw: unknown) => {
  const ttl = object(raw);
  return { unit: ttl.Unit, value: ttl.Value };
};

/**
 * CreateFeatureGroup's request as the native create body, so one parser
 * applies one set of rules. A KmsKeyId (online SecurityConfig, offline
 * S3StorageConfig) turns on encryption at rest of that store with the
 * group's own data keys (docs/security-encryption.md); the id itself is kept
 * only to describe it back. Other SageMaker-only settings (RoleArn, S3Uri,
 * table format, throughput) are accepted and not used.
 */
export function nativeCreateBody(req: Json): Json {
  const online = req.OnlineStoreConfig === undefined ? undefined : object(req.OnlineStoreConfig);
  const definitions = req.FeatureDefinitions;
  return {
    name: req.FeatureGroupName,
    recordIdentifierFeature: req.RecordIdentifierFeatureName,
    eventTimeFeature: req.EventTimeFeatureName,
    features: Array.isArray(definitions) ? definitions.map(nativeFeature) : definitions,
    onlineStore: { enabled: online?.EnableOnlineStore === true, ...(online?.TtlDuration !== undefined ? { ttl: nativeTtl(online.TtlDuration) } : {}) },
    offlineStore: { enabled: req.OfflineStoreConfig !== undefined },
    ...encryptionOf(req, online),
    ...(req.Description !== undefined ? { description: req.Description } : {}),
    ...(Array.isArray(req.Tags) ? { tags: req.Tags.map((t) => ({ key: object(t).Key, value: object(t).Value })) } : req.Tags !== undefined ? { tags: req.Tags } : {}),
  };
}

const kmsKeyIdGiven = (holder: Json) => typeof holder.KmsKeyId === "string" && holder.KmsKeyId !== "";

function encryptionOf(req: Json, online: Json | undefined): Json {
  const onlineEncrypted = online?.EnableOnlineStore === true && kmsKeyIdGiven(object(online.SecurityConfig));
  const offlineEncrypted = req.OfflineStoreConfig !== undefined && kmsKeyIdGiven(object(object(req.OfflineStoreConfig).S3StorageConfig));
  return onlineEncrypted || offlineEncrypted ? { encryption: { online: onlineEncrypted, offline: offlineEncrypted } } : {};
}

export function nativeUpdateBody(req: Json): Json {
  const online = req.OnlineStoreConfig === undefined ? undefined : object(req.OnlineStoreConfig);
  const additions = req.FeatureAdditions;
  return {
    ...(additions !== undefined ? { addFeatures: Array.isArray(additions) ? additions.map(nativeFeature) : additions } : {}),
    ...(online?.TtlDuration !== undefined ? { onlineStore: { ttl: nativeTtl(online.TtlDuration) } } : {}),
  };
}

const FIELD_NAMES: [RegExp, string][] = [
  [/^features\b/, "FeatureDefinitions"],
  [/^addFeatures\b/, "FeatureAdditions"],
  [/^name\b/, "FeatureGroupName"],
  [/^recordIdentifierFeature\b/, "RecordIdentifierFeatureName"],
  [/^eventTimeFeature\b/, "EventTimeFeatureName"],
  [/^onlineStore\.enabled\b/, "OnlineStoreConfig.EnableOnlineStore"],
  [/^onlineStore\.ttl\b/, "OnlineStoreConfig.TtlDuration"],
  [/^onlineStore\b/, "OnlineStoreConfig"],
  [/^encryption\.online\b/, "OnlineStoreConfig.SecurityConfig.KmsKeyId"],
  [/^encryption\.offline\b/, "OfflineStoreConfig.S3StorageConfig.KmsKeyId"],
  [/^description\b/, "Description"],
  [/^tags\b/, "Tags"],
  [/\.name$/, ".FeatureName"],
  [/\.type$/, ".FeatureType"],
  [/\.collection\.type$/, ".CollectionType"],
  [/\.collection\.dimension$/, ".CollectionConfig.VectorConfig.Dimension"],
  [/\.ttl\.unit$/, ".TtlDuration.Unit"],
  [/\.ttl\.value$/, ".TtlDuration.Value"],
  [/\.unit$/, ".Unit"],
  [/\.value$/, ".Value"],
  [/\.key$/, ".Key"],
];

/** Names a native field failure by the SageMaker member the client sent. */
export function wireFieldFailure(failure: Failure): Failure {
  if (failure.reason !== "invalid_field") return failure;
  let field = failure.field;
  for (const [pattern, replacement] of FIELD_NAMES) field = field.replace(pattern, replacement);
  return { ...failure, field };
}
