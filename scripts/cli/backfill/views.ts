// What the backfill reads of the API's answers (docs/api.md), typed once.
// The API is this project's own: its answers are taken as documented.
import type { FeatureDefinition } from "../../../src/records";

/** GET /v1/feature-groups/{name}, the fields the CLI uses. */
export interface GroupView {
  name: string;
  /** The group's incarnation: a group deleted and created again under its name has a new one. */
  generation: string;
  recordIdentifierFeature: string;
  eventTimeFeature: string;
  features: FeatureDefinition[];
  onlineStore?: { enabled: boolean };
  offlineStore?: { enabled: boolean };
}

/** GET /v1/feature-groups/{name}/offline-store, the fields the CLI uses. */
export interface OfflineStoreView {
  bucket: string;
  prefix: string;
  files: { key: string }[];
}

/** A report entry of one rejected row, in the API's wording. */
export interface Problem {
  row: number;
  field: string;
  rule: string;
}
