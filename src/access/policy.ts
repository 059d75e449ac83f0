import { fail, invalid, ok, type Result } from "../failure";
import { ACTION_NAMES, ACTIONS, type Action } from "./actions";

/**
 * IAM-like policy documents, inline on an access key: parsed once on write
 * (every rule named with its statement index), evaluated per request as
 * pure functions. Default deny; an explicit Deny wins over any Allow.
 * Not supported (rejected on write): NotAction, NotResource, Condition, Principal.
 */
export const POLICY_VERSION = "2012-10-17";
export const MAX_STATEMENTS = 100;
export const MAX_POLICY_BYTES = 16 * 1024;

export interface Statement {
  effect: "Allow" | "Deny";
  /** Compiled action patterns (case-insensitive, as IAM matches actions). */
  actions: RegExp[];
  /** Compiled resource patterns over full ARNs ("*" matches everything, including non-group resources). */
  resources: RegExp[];
}

export interface Policy {
  /** The document as written, returned by the admin API. */
  document: PolicyDocument;
  statements: Statement[];
}

export interface PolicyDocument {
  Version: string;
  Statement: PolicyStatementDocument[];
}

export interface PolicyStatementDocument {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action: string | string[];
  Resource: string | string[];
}

/** Where a group lives, for ARNs: `arn:aws:sagemaker:<region>:<account>:feature-group/<name>`. */
export interface ResourceScope {
  region: string;
  account: string;
}

const ACTION_PATTERN = /^(\*|(sagemaker|featurestore):[A-Za-z*?]+)$/i;
const ARN_PATTERN = /^arn:aws:sagemaker:([a-z0-9*?-]*):([0-9*?]*):feature-group\/(.+)$/;
const SHORT_PATTERN = /^feature-group\/(.+)$/;
const STATEMENT_KEYS = new Set(["Sid", "Effect", "Action", "Resource"]);

/** IAM wildcards: `*` any run of characters, `?` exactly one. */
function globToRegExp(glob: string, flags = ""): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\/]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`, flags);
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function stringList(raw: unknown, field: string): Result<string[]> {
  const list = typeof raw === "string" ? [raw] : raw;
  if (!Array.isArray(list) || list.length === 0 || !list.every((s) => typeof s === "string" && s !== "")) {
    return invalid(field, "must be a non-empty string or list of non-empty strings");
  }
  return ok(list as string[]);
}

function compileAction(pattern: string, field: string): Result<RegExp> {
  if (!ACTION_PATTERN.test(pattern)) return invalid(field, `'${pattern}' is not an action; expected sagemaker:<Operation> or featurestore:<Operation>, with * or ? wildcards, or *`);
  const regexp = globToRegExp(pattern, "i");
  // Catches typos: a pattern that names no action would silently grant nothing.
  if (!ACTION_NAMES.some((name) => regexp.test(name))) return invalid(field, `'${pattern}' matches no action (see docs/security.md for the list)`);
  return ok(regexp);
}

function compileResource(pattern: string, field: string, scope: ResourceScope): Result<RegExp> {
  if (pattern === "*") return ok(/^.*$/);
  const short = SHORT_PATTERN.exec(pattern);
  if (short) return ok(globToRegExp(`arn:aws:sagemaker:${scope.region}:${scope.account}:feature-group/${short[1]}`));
  if (ARN_PATTERN.test(pattern)) return ok(globToRegExp(pattern));
  return invalid(field, `'${pattern}' is not a resource; expected *, feature-group/<name pattern> or arn:aws:sagemaker:<region>:<account>:feature-group/<name pattern>`);
}

/**
 * Validates a policy document. `field` prefixes every failure, e.g.
 * `policy.Statement[2].Action[0]`.
 */
export function parsePolicy(raw: unknown, field: string, scope: ResourceScope): Result<Policy> {
  if (!isPlainObject(raw)) return invalid(field, "must be a policy document object {Version, Statement}");
  if (JSON.stringify(raw).length > MAX_POLICY_BYTES) return fail({ reason: "payload_too_large", field, limitBytes: MAX_POLICY_BYTES });
  for (const key of Object.keys(raw)) {
    if (key !== "Version" && key !== "Statement" && key !== "Id") return invalid(`${field}.${key}`, "is not a policy document member (Version, Statement, Id)");
  }
  if (raw.Version !== POLICY_VERSION) return invalid(`${field}.Version`, `must be "${POLICY_VERSION}"`);
  const list = isPlainObject(raw.Statement) ? [raw.Statement] : raw.Statement;
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_STATEMENTS) return invalid(`${field}.Statement`, `must be a list of 1 to ${MAX_STATEMENTS} statements`);
  const statements: Statement[] = [];
  const documents: PolicyStatementDocument[] = [];
  for (const [i, item] of list.entries()) {
    const at = `${field}.Statement[${i}]`;
    if (!isPlainObject(item)) return invalid(at, "must be an object {Effect, Action, Resource}");
    for (const key of Object.keys(item)) {
      if (!STATEMENT_KEYS.has(key)) return invalid(`${at}.${key}`, "is not supported; a statement has Sid, Effect, Action and Resource");
    }
    if (item.Sid !== undefined && typeof item.Sid !== "string") return invalid(`${at}.Sid`, "must be a string");
    if (item.Effect !== "Allow" && item.Effect !== "Deny") return invalid(`${at}.Effect`, "must be Allow or Deny");
    const actionList = stringList(item.Action, `${at}.Action`);
    if (!actionList.ok) return actionList;
    const resourceList = stringList(item.Resource, `${at}.Resource`);
    if (!resourceList.ok) return resourceList;
    const actions: RegExp[] = [];
    for (const [j, pattern] of actionList.value.entries()) {
      const compiled = compileAction(pattern, typeof item.Action === "string" ? `${at}.Action` : `${at}.Action[${j}]`);
      if (!compiled.ok) return compiled;
      actions.push(compiled.value);
    }
    const resources: RegExp[] = [];
    for (const [j, pattern] of resourceList.value.entries()) {
      const compiled = compileResource(pattern, typeof item.Resource === "string" ? `${at}.Resource` : `${at}.Resource[${j}]`, scope);
      if (!compiled.ok) return compiled;
      resources.push(compiled.value);
    }
    statements.push({ effect: item.Effect, actions, resources });
    documents.push({ ...(item.Sid !== undefined ? { Sid: item.Sid } : {}), Effect: item.Effect, Action: item.Action as string | string[], Resource: item.Resource as string | string[] });
  }
  return ok({ document: { Version: POLICY_VERSION, Statement: documents }, statements });
}

export function groupArn(scope: ResourceScope, name: string): string {
  return `arn:aws:sagemaker:${scope.region}:${scope.account}:feature-group/${name}`;
}

/** The resource string non-group actions are evaluated against. */
export const ANY_RESOURCE = "*";

const applies = (s: Statement, action: Action, resource: string) => s.actions.some((a) => a.test(action)) && s.resources.some((r) => r.test(resource));

/** True when the policy allows the action on the resource (an ARN, or "*"); no policy allows nothing. */
export function isAllowed(policy: Policy | null, action: Action, resource: string): boolean {
  if (!policy) return false;
  let allowed = false;
  for (const s of policy.statements) {
    if (!applies(s, action, resource)) continue;
    if (s.effect === "Deny") return false;
    allowed = true;
  }
  return allowed;
}

/**
 * For "list" actions: true when some Allow statement names the action at
 * all, so the request runs and its results are filtered by isAllowed per group.
 */
export function mayList(policy: Policy | null, action: Action): boolean {
  if (ACTIONS[action].resource !== "list") return false;
  return policy?.statements.some((s) => s.effect === "Allow" && s.actions.some((a) => a.test(action))) ?? false;
}

/**
 * For "group" actions: the first group the policy does not allow the action
 * on, or undefined when it allows them all. A request whose groups cannot be
 * read is checked as the empty name, so only patterns that allow every group
 * let it through (to the handler's own 400). Every transport (HTTP routes,
 * the RPC binding) authorizes with this.
 */
export function firstDeniedGroup(policy: Policy | null, action: Action, groups: readonly string[], scope: ResourceScope): string | undefined {
  return (groups.length ? groups : [""]).find((g) => !isAllowed(policy, action, groupArn(scope, g)));
}
