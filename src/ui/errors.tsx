import { FailureError } from "../failure";
import type { AppContext } from "../http/context";
import { nativeStatus, failureMessage } from "../http/failures";
import { CsrfRefusal } from "./guard";
import { page } from "./layout";

/**
 * Failures on catalog pages render as pages, not JSON: a refusal says which
 * action the key's policy does not allow on what, so a user knows what to
 * ask for. Unexpected errors are logged (never the request) and shown with
 * the request id only.
 */
export function renderUiError(error: Error, c: AppContext) {
  if (error instanceof CsrfRefusal) {
    return page(c, "Refused", <Refusal title="Refused: nothing was changed">{error.why}</Refusal>, 403);
  }
  if (error instanceof FailureError) {
    const failure = error.failure;
    if (failure.reason === "unauthenticated") return c.redirect("/ui/sign-in", 303);
    if (failure.reason === "access_denied") {
      return page(
        c,
        "Not allowed",
        <Refusal title="Not allowed by your access key's policy">
          Your key may not <code>{failure.action}</code> on <code>{failure.resource}</code>. An administrator can grant it in the key's policy.
        </Refusal>,
        403,
      );
    }
    return page(c, "Could not do that", <Refusal title="Could not do that">{failureMessage(failure)}</Refusal>, nativeStatus(failure));
  }
  console.error("unhandled error", { requestId: c.get("requestId"), method: c.req.method, path: new URL(c.req.url).pathname, error: error.stack ?? error.message });
  return page(c, "Internal error", <Refusal title="Internal error">Something went wrong on our side. Request id: <code>{c.get("requestId")}</code></Refusal>, 500);
}

function Refusal(props: { title: string; children?: unknown }) {
  return (
    <div class="notice refused" role="alert">
      <h1>{props.title}</h1>
      <p>{props.children as string}</p>
      <p>
        <a href="/ui/feature-groups">Back to feature groups</a>
      </p>
    </div>
  );
}
