/**
 * The feature store's TypeScript client for fetch callers: Workers,
 * browsers and Node ≥ 20, with no dependencies. `import { FeatureStoreClient }
 * from "edge-feature-store/client"`; see docs/clients.md.
 */
export { FeatureStoreClient, type CallOptions, type ClientOptions, type GetRecordOptions } from "./client";
export { DEFAULTS, type FetchLike, type QueryValue, type SendOptions, type TransportOptions } from "./http";
export {
  AccessDeniedError,
  AuthenticationError,
  ConflictError,
  ConnectionError,
  FeatureGroupExistsError,
  FeatureGroupNotFoundError,
  FeatureStoreError,
  InvalidRowsError,
  NotFoundError,
  PayloadTooLargeError,
  RecordNotFoundError,
  RequestTimeoutError,
  ResourceNotFoundError,
  ServerError,
  ThrottledError,
  UnavailableError,
  ValidationError,
  type ClientErrorCode,
  type ErrorDetails,
} from "./errors";
export type * from "./types";
