import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../http/context";
import { renderUiError } from "./errors";
import { groupEditRoutes } from "./group-edits";
import { groupListRoutes } from "./group-list";
import { groupPageRoutes } from "./group-page";
import { requireCsrf, requireSession } from "./guard";
import { page } from "./layout";
import { recordPageRoutes } from "./record-page";
import { adminRoutes } from "./admin";
import { jobRoutes } from "./jobs";
import { signInRoutes } from "./sign-in";
import { ICON, STYLESHEET } from "./style";

/**
 * The web catalog, mounted at /ui: server-rendered pages (hono/jsx), usable
 * without JavaScript. Only the stylesheet and the sign-in form answer
 * without a session; every other page needs one, every POST passes the
 * CSRF check, and every action is authorized by the API's own policy engine.
 */
export const uiApp = new Hono<AppEnv>();

/** Pages may load only this site's stylesheet: no script runs, inline or not, and forms post only here. */
const UI_CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const uiHeaders = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  c.header("content-security-policy", UI_CSP);
  // Not the API's no-referrer: under it browsers send "Origin: null" with form posts, which the CSRF check must refuse.
  c.header("referrer-policy", "same-origin");
});

uiApp.use("*", uiHeaders);
uiApp.get("/assets/ui.css", (c) => c.body(STYLESHEET, 200, { "content-type": "text/css; charset=utf-8" }));
uiApp.get("/assets/icon.svg", (c) => c.body(ICON, 200, { "content-type": "image/svg+xml" }));
uiApp.route("/", signInRoutes);
// Everything registered below needs a session; POSTs also the CSRF token.
uiApp.use("*", requireSession, requireCsrf);
uiApp.get("/", (c) => c.redirect("/ui/feature-groups", 303));
uiApp.route("/", groupListRoutes);
uiApp.route("/", groupPageRoutes);
uiApp.route("/", groupEditRoutes);
uiApp.route("/", recordPageRoutes);
uiApp.route("/", jobRoutes);
uiApp.route("/", adminRoutes);
uiApp.all("*", (c) => page(c, "Not found", <p class="notice info">There is no page at this address. <a href="/ui/feature-groups">Back to feature groups</a></p>, 404));
uiApp.onError(renderUiError);
