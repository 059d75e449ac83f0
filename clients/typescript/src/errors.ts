// Typed errors for the store's error codes (docs/api.md#errors), the same
// classes and code mapping as the Python client (clients/python,
// edge_feature_store/errors.py), so both clients fail alike.
import type { NATIVE_ERROR_CODES, NativeErrorCode } from "../../../src/http/error-codes";
import type { BulkIngestReport } from "./types";

/** What the client adds to the server's codes: failures found before or instead of an answer. */
export type ClientErrorCode = "connection_error" | "timeout" | "client_error" | `http_${number}`;

/** The HTTP status the server answers with a code (src/http/error-codes.ts). */
export type StatusOf<C extends NativeErrorCode> = (typeof NATIVE_ERROR_CODES)[C]["status"];

export interface ErrorDetails {
  /** The server's `error.code`, or a client code (connection_error, timeout, http_<status>). */
  code: NativeErrorCode | ClientErrorCode | (string & {});
  status?: number;
  /** The request field the server names, when it names one (`record.age`, `requests[0].featureGroup`). */
  field?: string;
  /** Finds the request in the server's logs and audit log. */
  requestId?: string;
  /** The parsed error body (null when it was not JSON). */
  body?: unknown;
  /** The first 500 characters of a body that was not JSON. */
  responseText?: string;
  /** The call: method and path below the endpoint (`/v1/...`, with its query). */
  method?: string;
  path?: string;
  cause?: unknown;
}

/** An error answered by the store, or found before an answer (connection, timeout). Never carries the secret. */
export class FeatureStoreError extends Error {
  readonly code: ErrorDetails["code"];
  readonly status: number | undefined;
  readonly field: string | undefined;
  readonly requestId: string | undefined;
  readonly body: unknown;
  readonly responseText: string | undefined;
  readonly method: string | undefined;
  readonly path: string | undefined;

  constructor(message: string, details: ErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.code = details.code;
    this.status = details.status;
    this.field = details.field;
    this.requestId = details.requestId;
    this.body = details.body ?? null;
    this.responseText = details.responseText;
    this.method = details.method;
    this.path = details.path;
  }

  override toString(): string {
    return `${this.name}: ${this.message} [${this.code}${this.field ? `, field ${this.field}` : ""}]`;
  }
}

/** 400: a field breaks a rule (`invalid_field`, `unknown_feature`); `field` names it. */
export class ValidationError extends FeatureStoreError {}
/** 400 `invalid_rows`: bulk ingest with onInvalid=reject; `report` names each row, field and rule. */
export class InvalidRowsError extends ValidationError {
  get report(): BulkIngestReport | undefined {
    const body = this.body;
    return typeof body === "object" && body !== null && "report" in body ? (body.report as BulkIngestReport) : undefined;
  }
}
/** 401: credentials missing or wrong. */
export class AuthenticationError extends FeatureStoreError {}
/** 403: the key's policy does not allow the action on the resource. */
export class AccessDeniedError extends FeatureStoreError {}
/** 404: no such feature group, feature, record, job, upload or route. */
export class NotFoundError extends FeatureStoreError {}
/** 404 `feature_group_not_found`. */
export class FeatureGroupNotFoundError extends NotFoundError {}
/** 404 `record_not_found` (getRecord answers null instead). */
export class RecordNotFoundError extends NotFoundError {}
/** 404 `resource_not_found`: a job, dataset job or its result, access key or upload. */
export class ResourceNotFoundError extends NotFoundError {}
/** 409: the name is taken, the group is busy, or the request conflicts with the state. */
export class ConflictError extends FeatureStoreError {}
/** 409 `feature_group_exists`. */
export class FeatureGroupExistsError extends ConflictError {}
/** 413: a body or a record over its limit. */
export class PayloadTooLargeError extends FeatureStoreError {}
/** 429: the key is over its rate limit (retried with backoff before this is thrown). */
export class ThrottledError extends FeatureStoreError {}
/** 500 `internal_error`: an unexpected failure on the server. */
export class ServerError extends FeatureStoreError {}
/** 503 `unavailable` (retried with backoff before this is thrown). */
export class UnavailableError extends FeatureStoreError {}
/** The store could not be reached (DNS, refused, reset), after the retries a request allows. */
export class ConnectionError extends FeatureStoreError {}
/** No answer within `timeoutMs`, after the retries a request allows. */
export class RequestTimeoutError extends FeatureStoreError {}

type ErrorClass = new (message: string, details: ErrorDetails) => FeatureStoreError;

/** Every native code has its class: `satisfies` fails to compile when the server gains a code. */
const BY_CODE = {
  invalid_field: ValidationError,
  unknown_feature: ValidationError,
  invalid_rows: InvalidRowsError,
  unauthenticated: AuthenticationError,
  signature_invalid: AuthenticationError,
  access_denied: AccessDeniedError,
  feature_group_not_found: FeatureGroupNotFoundError,
  feature_not_found: NotFoundError,
  record_not_found: RecordNotFoundError,
  resource_not_found: ResourceNotFoundError,
  route_not_found: NotFoundError,
  feature_group_exists: FeatureGroupExistsError,
  feature_group_busy: ConflictError,
  event_time_not_newer: ConflictError,
  update_older_event_time: ConflictError,
  conflict: ConflictError,
  payload_too_large: PayloadTooLargeError,
  throttled: ThrottledError,
  internal_error: ServerError,
  unavailable: UnavailableError,
} as const satisfies Record<NativeErrorCode, ErrorClass>;

/**
 * The status the server answers each code with. Checked against the
 * server's own table (NATIVE_ERROR_CODES) at compile time: a status changed
 * there does not compile here until it is changed here too.
 */
const STATUS_OF_CODE = {
  invalid_field: 400,
  unknown_feature: 400,
  invalid_rows: 400,
  unauthenticated: 401,
  signature_invalid: 401,
  access_denied: 403,
  feature_group_not_found: 404,
  feature_not_found: 404,
  record_not_found: 404,
  resource_not_found: 404,
  route_not_found: 404,
  feature_group_exists: 409,
  feature_group_busy: 409,
  event_time_not_newer: 409,
  update_older_event_time: 409,
  conflict: 409,
  payload_too_large: 413,
  throttled: 429,
  internal_error: 500,
  unavailable: 503,
} as const satisfies { readonly [C in NativeErrorCode]: StatusOf<C> };

const BY_STATUS: Readonly<Record<number, ErrorClass>> = {
  400: ValidationError,
  401: AuthenticationError,
  403: AccessDeniedError,
  404: NotFoundError,
  409: ConflictError,
  413: PayloadTooLargeError,
  429: ThrottledError,
  500: ServerError,
  503: UnavailableError,
};

const isNativeCode = (code: string): code is NativeErrorCode => Object.hasOwn(BY_CODE, code);

const classOf = (code: string, status: number | undefined): ErrorClass =>
  (isNativeCode(code) ? BY_CODE[code] : undefined) ?? (status !== undefined ? BY_STATUS[status] : undefined) ?? FeatureStoreError;

/** An error for a code the server answered inside a 200 (a batch get's per-identifier errors), with the status the code stands for. */
export function errorOfCode(code: string, message: string, details: Omit<ErrorDetails, "code"> = {}): FeatureStoreError {
  const status = details.status ?? (isNativeCode(code) ? STATUS_OF_CODE[code] : undefined);
  return new (classOf(code, status))(message, { ...details, code, ...(status !== undefined ? { status } : {}) });
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** The error for a non-2xx answer: by `error.code`, else by status (the SageMaker shape, or no JSON at all). */
export function errorFromResponse(status: number, text: string, requestId: string | null, call: { method: string; path: string }): FeatureStoreError {
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  const base = { status, body, method: call.method, path: call.path, ...(requestId ? { requestId } : {}) };
  const error = isObject(body) ? body.error : undefined;
  if (isObject(error)) {
    const code = typeof error.code === "string" ? error.code : "unknown";
    const field = typeof error.field === "string" ? error.field : undefined;
    const id = typeof error.requestId === "string" ? error.requestId : requestId;
    return new (classOf(code, status))(typeof error.message === "string" ? error.message : `HTTP ${status}`, { ...base, code, ...(field ? { field } : {}), ...(id ? { requestId: id } : {}) });
  }
  const responseText = text.slice(0, 500);
  if (isObject(body) && typeof body.__type === "string") {
    return new (BY_STATUS[status] ?? FeatureStoreError)(typeof body.Message === "string" ? body.Message : `HTTP ${status}`, { ...base, code: body.__type, responseText });
  }
  return new (BY_STATUS[status] ?? FeatureStoreError)(`HTTP ${status}`, { ...base, code: `http_${status}`, responseText });
}
