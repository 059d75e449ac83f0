import { Hono } from "hono";
import { verifySecret } from "../auth";
import type { AppContext, AppEnv } from "../http/context";
import { clearSessionCookie, readForm, requireCsrf, requireSession, sameOrigin, sessionToken, setSessionCookie } from "./guard";
import { duration } from "./format";
import { page } from "./layout";
import { endSession, startSession } from "./sessions";
import { reserveSignIn } from "./sign-in-throttle";

/**
 * Signing in and out. The secret travels once, in a POST body, and is
 * checked by the API's own credential check; the browser gets a session
 * cookie in return and the secret is kept nowhere.
 */
export const signInRoutes = new Hono<AppEnv>();

/** Only paths of the catalog itself: an open redirect would let a link send a signed-in user anywhere. */
function safeNext(raw: string | null | undefined): string {
  return raw && /^\/ui(\/[^/\\]|$|\?)/.test(raw) && !raw.includes("\\") ? raw : "/ui/feature-groups";
}

function SignInForm(props: { next: string; problem?: string | undefined; notice?: string | undefined }) {
  return (
    <section aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in</h1>
      {props.notice ? (
        <p class="notice ok" role="status">
          {props.notice}
        </p>
      ) : null}
      {props.problem ? (
        <p class="notice refused" role="alert">
          {props.problem}
        </p>
      ) : null}
      <p>Sign in with an access key: its id and secret. What you see and may change follows the key's policy. The secret is checked once and is not kept by your browser.</p>
      <form method="post" action="/ui/sign-in" class="stack">
        <input type="hidden" name="next" value={props.next} />
        <label>
          Access key id
          <input name="accessKeyId" autocomplete="username" required spellcheck={false} />
        </label>
        <label>
          Secret access key
          <input name="secret" type="password" autocomplete="current-password" required />
        </label>
        <div>
          <button type="submit">Sign in</button>
        </div>
      </form>
      <p class="muted">Running locally? The root key is in <code>.dev.vars</code> (FS_ROOT_ACCESS_KEY_ID and FS_ROOT_SECRET_ACCESS_KEY).</p>
    </section>
  );
}

signInRoutes.get("/sign-in", (c) => {
  const notice = c.req.query("signedOut") !== undefined ? "You are signed out." : undefined;
  return page(c, "Sign in", <SignInForm next={safeNext(c.req.query("next"))} notice={notice} />);
});

signInRoutes.post("/sign-in", async (c: AppContext) => {
  if (!sameOrigin(c)) return page(c, "Sign in", <SignInForm next="/ui/feature-groups" problem="Refused: the form was not sent from a page of this site." />, 403);
  const form = await readForm(c);
  const accessKeyId = (form.get("accessKeyId") ?? "").trim();
  const secret = form.get("secret") ?? "";
  const next = safeNext(form.get("next"));
  if (!accessKeyId || !secret) return page(c, "Sign in", <SignInForm next={next} problem="Enter both the access key id and its secret." />, 400);
  // Reserved before the secret is checked, so guesses racing each other are counted too.
  const reservation = await reserveSignIn(c.env, accessKeyId, c.req.header("cf-connecting-ip"));
  if (!reservation.ok) {
    const seconds = Math.max(1, Math.ceil(reservation.retryAfterMs / 1000));
    c.header("retry-after", String(seconds));
    const problem = `Too many failed sign-ins with this access key id or from your network. Wait ${duration(seconds * 1000)} and try again.`;
    return page(c, "Sign in", <SignInForm next={next} problem={problem} />, 429);
  }
  const store = c.get("store");
  const verified = await verifySecret(c.env, accessKeyId, secret, store.now);
  if (!verified.ok) {
    const unauthenticated = verified.failure.reason === "unauthenticated";
    // Only a wrong credential counts as a failed sign-in; our own outage must not lock anyone out.
    if (!unauthenticated) await reservation.release();
    const problem = unauthenticated ? "The access key id or secret is not valid." : "Signing in is not possible right now; try again shortly.";
    return page(c, "Sign in", <SignInForm next={next} problem={problem} />, unauthenticated ? 401 : 503);
  }
  await reservation.release();
  // A session id the browser already had (perhaps planted by someone else) is ended, never promoted.
  const previous = sessionToken(c);
  if (previous) await endSession(store.db, previous);
  const { token } = await startSession(store.db, verified.value.accessKeyId, store.now);
  setSessionCookie(c, token);
  return c.redirect(next, 303);
});

signInRoutes.post("/sign-out", requireSession, requireCsrf, async (c) => {
  const token = sessionToken(c);
  if (token) await endSession(c.get("store").db, token);
  clearSessionCookie(c);
  return c.redirect("/ui/sign-in?signedOut", 303);
});
