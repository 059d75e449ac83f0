import { createMiddleware } from "hono/factory";
import { matchedRoutes } from "hono/route";
import type { MiddlewareHandler } from "hono";
import { ACTIONS, firstDeniedGroup, groupArn, isAllowed, mayList, recordAudit, ANY_RESOURCE, type Action, type AuditResult } from "../access";
import { FailureError } from "../failure";
import type { AppContext, AppEnv } from "./context";

/**
 * Authorization, in one place for every route: each route declares its
 * action (and how to find the feature groups it touches) with
 * `authorize(...)`; `requireDeclaration` denies non-root callers any route
 * that declares nothing, so a route added without a declaration fails
 * closed. The root key is allowed everything. Denials, and every call of an
 * audited action (src/access/actions.ts), go to the audit log.
 */

/** The feature groups a request touches (plain names; ARNs already reduced). */
export type GroupsOf = (c: AppContext) => string[] | Promise<string[]>;

const DECLARED = Symbol("authorization declared");
type Declared = MiddlewareHandler<AppEnv> & { [DECLARED]?: true };

/** The action checked for undeclared routes: no policy can name it, so it is always denied. */
const UNDECLARED_ACTION = "featurestore:UndeclaredRoute";

const scopeOf = (c: AppContext) => ({ region: c.env.FS_REGION, account: c.env.FS_ACCOUNT_ID });

function auditEntry(c: AppContext, action: string, result: AuditResult, featureGroup?: string) {
  return {
    at: c.get("store").now,
    requestId: c.get("requestId"),
    accessKeyId: c.get("principal").accessKeyId,
    action,
    featureGroup: featureGroup ?? null,
    targetKeyId: c.get("auditTarget") ?? null,
    result,
    sourceIp: c.req.header("cf-connecting-ip") ?? null,
  };
}

/**
 * Records how an audited call ended. The change has happened by now, so a
 * failed write must not turn its response into an error: it is logged
 * (without the request) instead.
 */
async function auditOutcome(c: AppContext, action: string, featureGroup: string | undefined): Promise<void> {
  try {
    await recordAudit(c.env.DB, [auditEntry(c, action, c.res.status < 400 ? "allowed" : "failed", featureGroup)]);
  } catch (error) {
    console.error("audit write failed", { requestId: c.get("requestId"), action, error: error instanceof Error ? error.message : String(error) });
  }
}

async function deny(c: AppContext, action: string, resource: string, featureGroup?: string): Promise<never> {
  await recordAudit(c.env.DB, [auditEntry(c, action, "denied", featureGroup)]);
  throw new FailureError({ reason: "access_denied", action, resource });
}

/** The first group the policy does not allow the action on, or undefined when it allows all. */
function firstDenied(c: AppContext, action: Action, groups: string[]): string | undefined {
  return firstDeniedGroup(c.get("principal").policy ?? null, action, groups, scopeOf(c));
}

/**
 * Declares a route's action. `groupsOf` names the feature groups for
 * "group" actions (each is checked); "list" actions get `visibleGroup` in
 * the context to filter their results; "none" actions need Resource "*".
 * `action` may be a function of the request (the control plane's X-Amz-Target);
 * undefined there (an operation with no action) is denied to non-root keys.
 */
export function authorize(action: Action | ((c: AppContext) => Action | undefined), groupsOf?: GroupsOf): MiddlewareHandler<AppEnv> {
  const middleware: Declared = createMiddleware<AppEnv>(async (c, next) => {
    const name = typeof action === "function" ? action(c) : action;
    if (name === undefined) {
      if (!c.get("principal").root) await deny(c, UNDECLARED_ACTION, `${c.req.method} ${new URL(c.req.url).pathname}`);
      return next();
    }
    const spec = ACTIONS[name];
    const principal = c.get("principal");
    const groups = spec.resource === "group" && groupsOf && (!principal.root || spec.audited) ? await groupsOf(c) : [];
    if (!principal.root) {
      const policy = principal.policy ?? null;
      if (spec.resource === "none" && !isAllowed(policy, name, ANY_RESOURCE)) await deny(c, name, ANY_RESOURCE);
      if (spec.resource === "list") {
        if (!mayList(policy, name)) await deny(c, name, ANY_RESOURCE);
        c.set("visibleGroup", (group: string) => isAllowed(policy, name, groupArn(scopeOf(c), group)));
      }
      if (spec.resource === "group") {
        const denied = firstDenied(c, name, groups);
        if (denied !== undefined) await deny(c, name, groupArn(scopeOf(c), denied), denied);
      }
    }
    await next();
    if (spec.audited) await auditOutcome(c, name, groups[0]);
  });
  middleware[DECLARED] = true;
  return middleware;
}

/** Allows any authenticated caller (e.g. /v1/health). */
export function authenticatedOnly(): MiddlewareHandler<AppEnv> {
  const middleware: Declared = createMiddleware<AppEnv>((_c, next) => next());
  middleware[DECLARED] = true;
  return middleware;
}

/**
 * Fails closed: a non-root caller reaching a route that declared no
 * authorization is denied. Paths no route answers fall through to 404.
 */
export const requireDeclaration = createMiddleware<AppEnv>(async (c, next) => {
  if (c.get("principal").root) return next();
  const routes = matchedRoutes(c);
  // `use("*")` middleware matches every path; only the other routes can answer.
  const answering = routes.filter((r) => !(r.method === "ALL" && r.path.endsWith("*")));
  if (answering.length > 0 && !answering.some((r) => (r.handler as Declared)[DECLARED])) {
    await deny(c, UNDECLARED_ACTION, `${c.req.method} ${new URL(c.req.url).pathname}`);
  }
  await next();
});
