import type { Failure } from "../failure";

/**
 * Every code the native API puts in `error.code`: the reasons of Failure
 * (src/failure.ts), plus the two answers that are not a Failure.
 */
export type NativeErrorCode = Failure["reason"] | "invalid_rows" | "internal_error";

interface ErrorCodeSpec {
  status: number;
  /** When the code is answered, for docs/api.md. */
  when: string;
}

/**
 * The native API's error codes with their HTTP status and meaning, in the
 * order docs/api.md lists them. nativeStatus (failures.ts) answers with
 * these statuses, and docs/api.md's table is generated from this list
 * (errorCodesTableMarkdown; test/sdk/docs.test.ts fails when it differs).
 * `satisfies` makes it exhaustive: a new Failure reason does not compile
 * until it has a row here.
 */
export const NATIVE_ERROR_CODES = {
  invalid_field: { status: 400, when: "a field breaks a rule; `field` names it, `message` states the rule" },
  unknown_feature: { status: 400, when: "a record or a feature list names a feature the group lacks" },
  invalid_rows: { status: 400, when: "bulk ingest with `onInvalid=reject` found invalid rows; nothing was written and `report` names each row, field and rule" },
  unauthenticated: { status: 401, when: "credentials missing or wrong (also: key unknown, disabled, expired or deleted)" },
  signature_invalid: { status: 401, when: "a Signature Version 4 request that does not verify: signature missing, malformed, expired (clock skew) or not matching" },
  access_denied: { status: 403, when: "the key's policy does not allow the action on the resource; `message` names both" },
  feature_group_not_found: { status: 404, when: "no feature group of that name" },
  feature_not_found: { status: 404, when: "the group has no feature of that name" },
  record_not_found: { status: 404, when: "no record with that identifier (missing, deleted or expired)" },
  resource_not_found: { status: 404, when: "no job, job run, dataset job or its result, access key, upload or offline object of that name" },
  route_not_found: { status: 404, when: "no route for the method and path" },
  feature_group_exists: { status: 409, when: "create with a taken name" },
  feature_group_busy: { status: 409, when: "update of a group being deleted" },
  event_time_not_newer: { status: 409, when: "hard delete not newer than the stored record" },
  update_older_event_time: { status: 409, when: "an update of a record carries an event time older than the stored record's" },
  conflict: { status: 409, when: "the request conflicts with the resource's state, e.g. rotating an access key that was already rotated, or running a job that already runs" },
  payload_too_large: { status: 413, when: "a body over its route's limit ([Limits](#limits)), or a record over the record limit" },
  throttled: { status: 429, when: "the key is over its rate limit; retry with backoff" },
  internal_error: { status: 500, when: "an unexpected failure; the message says nothing more, the request id finds it in the logs" },
  unavailable: { status: 503, when: "retry: a catalog change is in flight, shards did not confirm a change, or an encrypted group's data key cannot be unwrapped" },
} as const satisfies Record<NativeErrorCode, ErrorCodeSpec>;

/** The error table of docs/api.md, generated from NATIVE_ERROR_CODES. */
export function errorCodesTableMarkdown(): string {
  const rows = Object.entries(NATIVE_ERROR_CODES).map(([code, spec]) => `| \`${code}\` | ${spec.status} | ${spec.when} |`);
  return ["| code | status | when |", "|---|---|---|", ...rows].join("\n");
}
