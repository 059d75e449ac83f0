/**
 * Expected failures, as data. Every context returns these instead of throwing;
 * the HTTP layer maps each reason to a status and a public message in one
 * exhaustive switch per wire format.
 */
export type Failure =
  | { reason: "invalid_field"; field: string; rule: string }
  | { reason: "unknown_feature"; featureGroup: string; feature: string; field: string }
  | { reason: "feature_group_not_found"; featureGroup: string }
  | { reason: "feature_group_exists"; featureGroup: string }
  | { reason: "feature_group_busy"; featureGroup: string; status: string }
  | { reason: "feature_not_found"; featureGroup: string; feature: string }
  | { reason: "record_not_found"; featureGroup: string; recordIdentifier: string }
  | { reason: "event_time_not_newer"; featureGroup: string; recordIdentifier: string; eventTime: string }
  | { reason: "update_older_event_time"; featureGroup: string; recordIdentifier: string }
  | { reason: "payload_too_large"; field: string; limitBytes: number }
  | { reason: "unauthenticated"; detail: string }
  /** A SigV4 request that does not verify; kind picks the error code SDKs expect. */
  | { reason: "signature_invalid"; kind: SignatureFailureKind; detail: string }
  | { reason: "route_not_found"; method: string; path: string }
  /** Authenticated, but no policy allows the action on the resource (or one denies it). */
  | { reason: "access_denied"; action: string; resource: string }
  /** The caller's request rate is over its limit; retry after a backoff. */
  | { reason: "throttled"; detail: string }
  /** Something other than a feature group, feature or record that is not there (a job, run, access key). */
  | { reason: "resource_not_found"; kind: string; name: string }
  /** The request is well formed but conflicts with the resource's current state. */
  | { reason: "conflict"; detail: string }
  | { reason: "unavailable"; detail: string };

export type SignatureFailureKind = "missing" | "malformed" | "expired" | "mismatch";

export type Result<T> = { ok: true; value: T } | { ok: false; failure: Failure };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(failure: Failure): Result<T> => ({ ok: false, failure });
export const invalid = <T = never>(field: string, rule: string): Result<T> =>
  fail({ reason: "invalid_field", field, rule });

/**
 * Carries a Failure through a throw so thin handlers can stop early; the
 * app's error handler renders it. Only the HTTP layer throws these.
 */
export class FailureError extends Error {
  constructor(readonly failure: Failure) {
    super(failure.reason);
    this.name = "FailureError";
  }
}

/** Unwraps a Result or throws its Failure for the HTTP error handler. */
export function orThrow<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  throw new FailureError(result.failure);
}
