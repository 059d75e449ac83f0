import type { FeatureGroup, FeatureMetadata } from "../../catalog";
import { isoFromEpochMs } from "../../records";

/** The native API's JSON views of catalog objects. */

export function featureGroupArn(env: { FS_ACCOUNT_ID: string; FS_REGION: string }, name: string): string {
  return `arn:aws:sagemaker:${env.FS_REGION}:${env.FS_ACCOUNT_ID}:feature-group/${name}`;
}

export function featureGroupView(group: FeatureGroup, arn: string) {
  return {
    name: group.name,
    arn,
    generation: group.generation,
    recordIdentifierFeature: group.recordIdentifierFeature,
    eventTimeFeature: group.eventTimeFeature,
    features: group.features,
    onlineStore: group.onlineStore,
    offlineStore: group.offlineStore,
    ...(group.description !== undefined ? { description: group.description } : {}),
    tags: group.tags,
    status: group.status,
    shardCount: group.shardCount,
    createdAt: isoFromEpochMs(group.createdAt),
    updatedAt: isoFromEpochMs(group.updatedAt),
  };
}

export function featureGroupSummaryView(group: FeatureGroup, arn: string) {
  return {
    name: group.name,
    arn,
    status: group.status,
    onlineStore: { enabled: group.onlineStore.enabled },
    offlineStore: group.offlineStore,
    createdAt: isoFromEpochMs(group.createdAt),
  };
}

export function featureMetadataView(metadata: FeatureMetadata) {
  return {
    featureGroup: metadata.featureGroup,
    feature: metadata.feature,
    ...(metadata.description !== undefined ? { description: metadata.description } : {}),
    parameters: metadata.parameters,
    createdAt: isoFromEpochMs(metadata.createdAt),
    updatedAt: isoFromEpochMs(metadata.updatedAt),
  };
}
