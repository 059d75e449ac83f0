import type { FeatureDefinition, RecordSchema, TtlDuration } from "../records";

export type FeatureGroupStatus = "Created" | "Deleting" | "DeleteFailed";

export interface Tag {
  key: string;
  value: string;
}

export interface FeatureGroup {
  name: string;
  generation: string;
  recordIdentifierFeature: string;
  eventTimeFeature: string;
  features: FeatureDefinition[];
  onlineStore: { enabled: boolean; ttl?: TtlDuration };
  offlineStore: { enabled: boolean };
  description?: string;
  tags: Tag[];
  status: FeatureGroupStatus;
  /** SageMaker-only settings as the client sent them (see schema.ts). */
  sagemakerSettings?: Record<string, unknown>;
  shardCount: number;
  catalogVersion: number;
  createdAt: number;
  updatedAt: number;
}

export interface FeatureMetadata {
  featureGroup: string;
  feature: FeatureDefinition;
  description?: string;
  parameters: Record<string, string>;
  createdAt: number;
  updatedAt: number;
}

/** The validator's view of a group. */
export function recordSchemaOf(group: FeatureGroup): RecordSchema {
  return {
    featureGroup: group.name,
    recordIdentifierFeature: group.recordIdentifierFeature,
    eventTimeFeature: group.eventTimeFeature,
    features: new Map(group.features.map((f) => [f.name, f])),
  };
}
