import type { Failure } from "../failure";

/**
 * The native API's one mapping from a Failure to a status and a public
 * message. Messages name the field and the rule; they never echo secrets.
 */
export function nativeStatus(failure: Failure): 400 | 401 | 403 | 404 | 409 | 413 | 429 | 503 {
  switch (failure.reason) {
    case "invalid_field":
    case "unknown_feature":
      return 400;
    case "unauthenticated":
    case "signature_invalid":
      return 401;
    case "access_denied":
      return 403;
    case "feature_group_not_found":
    case "resource_not_found":
    case "feature_not_found":
    case "record_not_found":
    case "route_not_found":
      return 404;
    case "feature_group_exists":
    case "feature_group_busy":
    case "event_time_not_newer":
    case "update_older_event_time":
    case "conflict":
      return 409;
    case "payload_too_large":
      return 413;
    case "throttled":
      return 429;
    case "unavailable":
      return 503;
  }
}

export function failureMessage(failure: Failure): string {
  switch (failure.reason) {
    case "invalid_field":
      return `${failure.field}: ${failure.rule}`;
    case "unknown_feature":
      return `${failure.field}: feature group ${failure.featureGroup} has no feature named ${failure.feature}`;
    case "feature_group_not_found":
      return `feature group ${failure.featureGroup} does not exist`;
    case "feature_group_exists":
      return `feature group ${failure.featureGroup} already exists`;
    case "feature_group_busy":
      return `feature group ${failure.featureGroup} is ${failure.status}; wait for it to finish`;
    case "feature_not_found":
      return `feature group ${failure.featureGroup} has no feature named ${failure.feature}`;
    case "record_not_found":
      return `feature group ${failure.featureGroup} has no record ${failure.recordIdentifier}`;
    case "event_time_not_newer":
      return `eventTime: a hard delete must be newer than the stored record of ${failure.recordIdentifier}; ${failure.eventTime} is not`;
    case "update_older_event_time":
      return `an update of ${failure.recordIdentifier} must not carry an event time older than the stored record's`;
    case "payload_too_large":
      return `${failure.field}: must be at most ${failure.limitBytes} bytes`;
    case "unauthenticated":
      return `unauthenticated: ${failure.detail}`;
    case "signature_invalid":
      return `signature: ${failure.detail}`;
    case "route_not_found":
      return `no route for ${failure.method} ${failure.path}`;
    case "access_denied":
      return `access denied: the caller is not allowed to perform ${failure.action} on ${failure.resource}`;
    case "throttled":
      return `throttled: ${failure.detail}`;
    case "resource_not_found":
      return `${failure.kind} ${failure.name} does not exist`;
    case "conflict":
      return failure.detail;
    case "unavailable":
      return failure.detail;
  }
}

/** The field a failure names, when it names one. */
export function failureField(failure: Failure): string | undefined {
  return "field" in failure ? failure.field : undefined;
}
