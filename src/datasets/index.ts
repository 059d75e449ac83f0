/**
 * Point-in-time-correct training sets: requests resolved and checked
 * (requests.ts), joined from the offline store (dataset.ts, in the query
 * worker), kept as asynchronous jobs (dataset-jobs.ts) and run a chunk per queue message (job-run.ts), encoded
 * (encode.ts), or handed to an engine as SQL (sql.ts).
 */
export { buildDataset, type DatasetEntity, type DatasetGroup, type DatasetOptions, type DatasetQuery, type DatasetResult } from "./dataset";
export {
  abandonJob,
  cancelJobById,
  createJob,
  findJob,
  jobFeatureGroups,
  recentJobs,
  type JobFormat,
  type JobPlace,
  type JobMessage,
  type JobSpec,
  type JobState,
  type JobView,
} from "./dataset-jobs";
export { resumeStalledJob, resumeStalledJobs, runJobMessage, STALLED_MS } from "./job-run";
export { datasetArrowStream, datasetParquet, datasetTable } from "./encode";
export { ASYNC_FORMATS, datasetOptions, datasetSql, resolveGroups, stageJob, syncEntities, featureTypesOf, type EntitiesRequest, type GroupRequest, type ResolvedGroup, type SqlRequest } from "./requests";
export { formatOfName, UPLOAD_NAME, UPLOAD_NAME_RULE, UPLOAD_PREFIX, uploadKey } from "./uploads";
