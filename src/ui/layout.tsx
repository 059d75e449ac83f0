import type { Child } from "hono/jsx";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppContext } from "../http/context";
import { CSRF_FIELD } from "./guard";
import { may } from "./permissions";

/** The page frame: skip link, navigation, who is signed in and the sign-out button. */

/** What the frame needs of a signed-in request. */
export interface Viewer {
  accessKeyId: string;
  root: boolean;
  csrfToken: string;
  /** Whether to offer the admin pages (keys that may not would only meet a refusal there). */
  administers: boolean;
}

export function viewerOf(c: AppContext): Viewer | undefined {
  const session = c.get("uiSession");
  if (!session) return undefined;
  return { accessKeyId: session.accessKeyId, root: c.get("principal").root, csrfToken: session.csrfToken, administers: may(c, "featurestore:ListAccessKeys") || may(c, "featurestore:ReadAuditLog") };
}

/** The hidden field every form of a session carries. */
export const CsrfField = (props: { viewer: Viewer }) => <input type="hidden" name={CSRF_FIELD} value={props.viewer.csrfToken} />;

export function Layout(props: { title: string; viewer?: Viewer | undefined; children?: Child }) {
  const { viewer } = props;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · Edge Feature Store`}</title>
        <link rel="stylesheet" href="/ui/assets/ui.css" />
        <link rel="icon" href="/ui/assets/icon.svg" type="image/svg+xml" />
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="top">
          <strong>Edge Feature Store</strong>
          {viewer ? (
            <nav aria-label="Main">
              <ul>
                <li>
                  <a href="/ui/feature-groups">Feature groups</a>
                </li>
                <li>
                  <a href="/ui/jobs">Datasets and jobs</a>
                </li>
                {viewer.administers ? (
                  <li>
                    <a href="/ui/admin">Admin</a>
                  </li>
                ) : null}
              </ul>
            </nav>
          ) : null}
          {viewer ? (
            <div class="who">
              <span>
                Signed in as <code>{viewer.accessKeyId}</code>
                {viewer.root ? " (root)" : ""}
              </span>
              <form method="post" action="/ui/sign-out" class="inline">
                <CsrfField viewer={viewer} />
                <button type="submit">Sign out</button>
              </form>
            </div>
          ) : null}
        </header>
        <main id="main">{props.children}</main>
      </body>
    </html>
  );
}

/** Answers with a full page. */
export function page(c: AppContext, title: string, body: Child, status: ContentfulStatusCode = 200) {
  return c.html(
    <Layout title={title} viewer={viewerOf(c)}>
      {body}
    </Layout>,
    status,
  );
}
