import type { Failure } from "../../failure";
import type { AppContext } from "../context";
import { failureMessage } from "../failures";
import { TAG_OPERATIONS } from "./tags";

/**
 * SageMaker's error shapes, as the AWS SDKs parse them: status, the
 * x-amzn-ErrorType header and {"__type", "Message"}. One mapping per
 * protocol: the runtime (restJson1) and the control plane (awsJson1_1).
 */
export type SageMakerApi = "runtime" | "control";

interface WireError {
  code: string;
  status: 400 | 403 | 404 | 409 | 413 | 429 | 503;
  message: string;
}

function authError(failure: Failure & { reason: "signature_invalid" | "unauthenticated" }): WireError {
  if (failure.reason === "unauthenticated") return { code: "UnrecognizedClientException", status: 403, message: "The security token included in the request is invalid." };
  switch (failure.kind) {
    case "missing":
      return { code: "MissingAuthenticationTokenException", status: 403, message: "Missing Authentication Token" };
    case "malformed":
      return { code: "IncompleteSignatureException", status: 403, message: failure.detail };
    case "expired":
      return { code: "InvalidSignatureException", status: 403, message: `Signature expired: ${failure.detail}` };
    case "mismatch":
      return { code: "InvalidSignatureException", status: 403, message: "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method." };
  }
}

/**
 * @param operation the operation; PutRecord and the tag operations answer a
 *   missing group with ValidationError / ValidationException, as the real
 *   service does.
 */
export function wireError(failure: Failure, api: SageMakerApi, operation?: string): WireError {
  const message = failureMessage(failure);
  const validation = api === "runtime" ? "ValidationError" : "ValidationException";
  const notFound: WireError = api === "runtime" ? { code: "ResourceNotFound", status: 404, message } : { code: "ResourceNotFound", status: 400, message };
  switch (failure.reason) {
    case "invalid_field":
    case "unknown_feature":
    case "event_time_not_newer":
    case "payload_too_large":
      return { code: validation, status: 400, message };
    case "feature_group_not_found":
      // PutRecord and the tag operations answer a missing group as the real service does.
      if (api === "runtime" && operation === "PutRecord") return { code: validation, status: 400, message };
      return api === "control" && operation !== undefined && TAG_OPERATIONS.has(operation) ? { code: validation, status: 400, message } : notFound;
    case "feature_not_found":
    case "record_not_found":
    case "resource_not_found":
      return notFound;
    case "access_denied":
      // The runtime's model names it AccessForbidden; the control plane answers as IAM does.
      return api === "runtime" ? { code: "AccessForbidden", status: 403, message } : { code: "AccessDeniedException", status: 400, message };
    case "throttled":
      // Both codes are in the SDKs' retryable (throttling) list.
      return api === "runtime" ? { code: "ThrottlingException", status: 429, message } : { code: "ThrottlingException", status: 400, message };
    case "conflict":
      return api === "control" ? { code: "ResourceInUse", status: 400, message } : { code: "ConflictException", status: 409, message };
    case "route_not_found":
      return { code: "UnknownOperationException", status: api === "runtime" ? 404 : 400, message };
    case "feature_group_exists":
    case "feature_group_busy":
      return api === "control" ? { code: "ResourceInUse", status: 400, message } : { code: validation, status: 400, message };
    case "update_older_event_time":
      return { code: "ConflictException", status: 409, message };
    case "unauthenticated":
    case "signature_invalid":
      return authError(failure);
    case "unavailable":
      return { code: "ServiceUnavailable", status: 503, message };
  }
}

/** Renders a failure in the SageMaker wire shape. */
export function renderSageMakerFailure(c: AppContext, failure: Failure, api: SageMakerApi, operation?: string): Response {
  const error = wireError(failure, api, operation);
  return new Response(JSON.stringify({ __type: error.code, Message: error.message }), {
    status: error.status,
    headers: {
      "content-type": api === "runtime" ? "application/json" : "application/x-amz-json-1.1",
      "x-amzn-ErrorType": error.code,
      "x-amzn-RequestId": c.get("requestId"),
      // SDKs correct their clock from Date after a skew error.
      date: new Date(c.get("store").now).toUTCString(),
    },
  });
}
