import type { Failure } from "../failure";
import { NATIVE_ERROR_CODES } from "./error-codes";

/** The HTTP status a failure is answered with natively (NATIVE_ERROR_CODES, error-codes.ts). */
export type NativeFailureStatus = (typeof NATIVE_ERROR_CODES)[Failure["reason"]]["status"];

/**
 * The native API's one mapping from a Failure to a status and a public
 * message. Messages name the field and the rule; they never echo secrets.
 */
export function nativeStatus(failure: Failure): NativeFailureStatus {
  return NATIVE_ERROR_CODES[failure.reason].status;
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
