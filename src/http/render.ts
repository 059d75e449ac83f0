import type { Failure } from "../failure";
import type { AppContext } from "./context";
import { failureField, failureMessage, nativeStatus } from "./failures";

/** Renders the native API's one error shape. */
export function renderNativeFailure(c: AppContext, failure: Failure): Response {
  const field = failureField(failure);
  return c.json(
    {
      error: {
        code: failure.reason,
        message: failureMessage(failure),
        ...(field !== undefined ? { field } : {}),
        requestId: c.get("requestId"),
      },
    },
    nativeStatus(failure),
  );
}

/** A JSON response from text already encoded (records are stored as JSON). */
export function rawJson(text: string, headers: Record<string, string> = {}, status: 200 | 201 = 200): Response {
  return new Response(text, { status, headers: { ...headers, "content-type": "application/json; charset=utf-8" } });
}
