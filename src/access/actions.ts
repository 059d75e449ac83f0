/**
 * Every action a policy can name: the one table that routes declare against,
 * docs/security.md lists and the policy matrix tests iterate. A route whose
 * action is not here does not compile; an action here without a route fails
 * the matrix test.
 *
 * - resource "group": the request names feature groups; each is checked.
 * - resource "list": the request is allowed when some statement could allow
 *   the action, and the results are filtered to groups it allows.
 * - resource "none": not about a group; statements must name Resource "*".
 * - audited: successful and refused calls are written to the audit log
 *   (denials of every action are logged regardless).
 */
export interface ActionSpec {
  resource: "group" | "list" | "none";
  audited: boolean;
  /** Where it is reachable: SageMaker operation and/or native route. */
  sagemaker?: string;
  native?: string;
}

export const ACTIONS = {
  // Control plane.
  "sagemaker:CreateFeatureGroup": { resource: "group", audited: true, sagemaker: "CreateFeatureGroup", native: "POST /v1/feature-groups" },
  "sagemaker:DescribeFeatureGroup": { resource: "group", audited: false, sagemaker: "DescribeFeatureGroup", native: "GET /v1/feature-groups/{name}, GET /v1/feature-groups/{name}/freshness" },
  "sagemaker:UpdateFeatureGroup": { resource: "group", audited: true, sagemaker: "UpdateFeatureGroup", native: "PATCH /v1/feature-groups/{name}" },
  "sagemaker:DeleteFeatureGroup": { resource: "group", audited: true, sagemaker: "DeleteFeatureGroup", native: "DELETE /v1/feature-groups/{name}" },
  "sagemaker:ListFeatureGroups": { resource: "list", audited: false, sagemaker: "ListFeatureGroups", native: "GET /v1/feature-groups" },
  "sagemaker:Search": { resource: "list", audited: false, sagemaker: "Search" },
  "sagemaker:DescribeFeatureMetadata": { resource: "group", audited: false, sagemaker: "DescribeFeatureMetadata", native: "GET /v1/feature-groups/{name}/features/{feature}" },
  "sagemaker:UpdateFeatureMetadata": { resource: "group", audited: true, sagemaker: "UpdateFeatureMetadata", native: "PATCH /v1/feature-groups/{name}/features/{feature}" },
  // Tags of a feature group (SageMaker's AddTags / ListTags / DeleteTags on its ARN).
  "sagemaker:AddTags": { resource: "group", audited: true, sagemaker: "AddTags", native: "PUT /v1/feature-groups/{name}/tags" },
  "sagemaker:ListTags": { resource: "group", audited: false, sagemaker: "ListTags", native: "GET /v1/feature-groups/{name}/tags" },
  "sagemaker:DeleteTags": { resource: "group", audited: true, sagemaker: "DeleteTags", native: "DELETE /v1/feature-groups/{name}/tags" },
  // Runtime.
  "sagemaker:PutRecord": { resource: "group", audited: false, sagemaker: "PutRecord", native: "PUT /v1/feature-groups/{name}/records" },
  "sagemaker:GetRecord": { resource: "group", audited: false, sagemaker: "GetRecord", native: "GET /v1/feature-groups/{name}/records/{id}" },
  "sagemaker:DeleteRecord": { resource: "group", audited: false, sagemaker: "DeleteRecord", native: "DELETE /v1/feature-groups/{name}/records/{id}" },
  "sagemaker:UpdateRecord": { resource: "group", audited: false, sagemaker: "UpdateRecord", native: "PATCH /v1/feature-groups/{name}/records/{id}" },
  "sagemaker:ListRecords": { resource: "group", audited: false, sagemaker: "ListRecords", native: "GET /v1/feature-groups/{name}/records" },
  "sagemaker:BatchGetRecord": { resource: "group", audited: false, sagemaker: "BatchGetRecord", native: "POST /v1/records/batch-get" },
  "sagemaker:BatchWriteRecord": { resource: "group", audited: false, sagemaker: "BatchWriteRecord" },
  // Feature-store-only operations.
  "featurestore:BulkIngest": { resource: "group", audited: false, native: "POST /v1/feature-groups/{name}/records/batch" },
  "featurestore:QueryAsOf": { resource: "group", audited: false, native: "GET /v1/feature-groups/{name}/as-of" },
  "featurestore:GetRecordHistory": { resource: "group", audited: false, native: "GET /v1/feature-groups/{name}/records/{id}/history" },
  "featurestore:BuildDataset": { resource: "group", audited: false, native: "POST /v1/datasets" },
  "featurestore:DescribeDatasetJob": { resource: "group", audited: false, native: "GET /v1/datasets/jobs/{id}" },
  "featurestore:GetDatasetJobResult": { resource: "group", audited: false, native: "GET /v1/datasets/jobs/{id}/result" },
  "featurestore:CancelDatasetJob": { resource: "group", audited: true, native: "POST /v1/datasets/jobs/{id}/cancel" },
  "featurestore:PutEntityUpload": { resource: "none", audited: false, native: "PUT /v1/uploads/{name}" },
  "featurestore:GetDatasetSql": { resource: "group", audited: false, native: "POST /v1/datasets/sql" },
  "featurestore:ReadOfflineStore": { resource: "group", audited: false, native: "GET /v1/feature-groups/{name}/offline-store" },
  "featurestore:ListDeadLetters": { resource: "none", audited: false, native: "GET /v1/offline/dead-letters" },
  "featurestore:ReplayDeadLetters": { resource: "none", audited: true, native: "POST /v1/offline/dead-letters/replay" },
  "featurestore:RegisterOfflineStoreFile": { resource: "group", audited: true, native: "POST /v1/feature-groups/{name}/offline-store/files" },
  // Scheduled jobs: the resource is the job's target group (a job writes to it later, with no caller attached).
  "featurestore:CreateJob": { resource: "group", audited: true, native: "POST /v1/jobs" },
  "featurestore:ListJobs": { resource: "list", audited: false, native: "GET /v1/jobs" },
  "featurestore:DescribeJob": { resource: "group", audited: false, native: "GET /v1/jobs/{id}" },
  "featurestore:UpdateJob": { resource: "group", audited: true, native: "PATCH|PUT /v1/jobs/{id}" },
  "featurestore:DeleteJob": { resource: "group", audited: true, native: "DELETE /v1/jobs/{id}" },
  "featurestore:StartJobRun": { resource: "group", audited: true, native: "POST /v1/jobs/{id}/run" },
  "featurestore:PauseJob": { resource: "group", audited: true, native: "POST /v1/jobs/{id}/pause" },
  "featurestore:ResumeJob": { resource: "group", audited: true, native: "POST /v1/jobs/{id}/resume" },
  "featurestore:ListJobRuns": { resource: "group", audited: false, native: "GET /v1/jobs/{id}/runs" },
  "featurestore:DescribeJobRun": { resource: "group", audited: false, native: "GET /v1/jobs/{id}/runs/{runId}" },
  "featurestore:MaterializeFeatureGroup": { resource: "group", audited: true, native: "POST /v1/feature-groups/{name}/materialize" },
  // Parity audits of a group's online and offline stores (not the access audit log below).
  "featurestore:StartParityAudit": { resource: "group", audited: true, native: "POST /v1/feature-groups/{name}/audit" },
  "featurestore:ListParityAudits": { resource: "group", audited: false, native: "GET /v1/feature-groups/{name}/audits" },
  "featurestore:DescribeParityAudit": { resource: "group", audited: false, native: "GET /v1/feature-groups/{name}/audits/{id}" },
  // Administration: as powerful as the root key, since a key may grant itself anything.
  "featurestore:CreateAccessKey": { resource: "none", audited: true, native: "POST /v1/admin/access-keys" },
  "featurestore:ListAccessKeys": { resource: "none", audited: false, native: "GET /v1/admin/access-keys" },
  "featurestore:GetAccessKey": { resource: "none", audited: false, native: "GET /v1/admin/access-keys/{id}" },
  "featurestore:UpdateAccessKey": { resource: "none", audited: true, native: "PATCH /v1/admin/access-keys/{id}" },
  "featurestore:RotateAccessKey": { resource: "none", audited: true, native: "POST /v1/admin/access-keys/{id}/rotate" },
  "featurestore:DeleteAccessKey": { resource: "none", audited: true, native: "DELETE /v1/admin/access-keys/{id}" },
  "featurestore:RotateDataKey": { resource: "group", audited: true, native: "POST /v1/admin/feature-groups/{name}/keys/rotate" },
  "featurestore:RewrapDataKeys": { resource: "none", audited: true, native: "POST /v1/admin/master-key/rewrap" },
  "featurestore:ReadAuditLog": { resource: "none", audited: false, native: "GET /v1/admin/audit" },
} as const satisfies Record<string, ActionSpec>;

export type Action = keyof typeof ACTIONS;

export const ACTION_NAMES = Object.keys(ACTIONS) as Action[];

export function isAction(name: string): name is Action {
  return Object.hasOwn(ACTIONS, name);
}

/** The SageMaker operation's action, for the control plane's X-Amz-Target dispatch. */
export function sageMakerAction(operation: string): Action | undefined {
  const name = `sagemaker:${operation}`;
  return isAction(name) ? name : undefined;
}
