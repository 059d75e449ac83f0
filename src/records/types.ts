/** The record model shared by the catalog, the online store and the APIs. */

export const FEATURE_TYPES = ["Integral", "Fractional", "String"] as const;
export type FeatureType = (typeof FEATURE_TYPES)[number];

export const COLLECTION_TYPES = ["List", "Set", "Vector"] as const;
export type CollectionType = (typeof COLLECTION_TYPES)[number];

export type Collection =
  | { type: "List" }
  | { type: "Set" }
  | { type: "Vector"; dimension: number };

export interface FeatureDefinition {
  name: string;
  type: FeatureType;
  collection?: Collection;
}

export const TTL_UNITS = ["Seconds", "Minutes", "Hours", "Days", "Weeks"] as const;
export type TtlUnit = (typeof TTL_UNITS)[number];
export interface TtlDuration {
  unit: TtlUnit;
  value: number;
}

/**
 * What the record validator needs to know about a feature group. A subset of
 * the catalog's FeatureGroup so this module stays free of storage concerns.
 */
export interface RecordSchema {
  featureGroup: string;
  recordIdentifierFeature: string;
  eventTimeFeature: string;
  features: ReadonlyMap<string, FeatureDefinition>;
}

/** A scalar as stored and served: int64 outside ±(2^53−1) is a decimal string. */
export type ScalarValue = number | string;
export type FeatureValue = ScalarValue | ScalarValue[];

/** A validated record, ready for the online store. */
export interface CanonicalRecord {
  /** The identifier as a string (Integral identifiers in canonical decimal). */
  recordIdentifier: string;
  /** Sortable event-time key: see event-time.ts. */
  eventKey: string;
  /** Event time in epoch milliseconds (for TTL arithmetic). */
  eventTimeMs: number;
  /** Feature name → canonical value, as JSON text. */
  body: string;
  /** UTF-8 size of body in bytes. */
  sizeBytes: number;
}

export const RESERVED_FEATURE_NAMES = ["is_deleted", "write_time", "api_invocation_time"] as const;

/** SageMaker's pattern for feature group and feature names, plus its 64-character limit. */
export const NAME_PATTERN = /^(?=.{1,64}$)[a-zA-Z0-9]([_-]*[a-zA-Z0-9]){0,63}$/;
