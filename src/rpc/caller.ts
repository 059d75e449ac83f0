import { ACTIONS, admit, defaultRateLimit, firstDeniedGroup, groupArn, recordAudit, usableKey, type Action, type AuditResult, type ResolvedKey } from "../access";
import { clockOf } from "../clock";
import type { Env } from "../env";
import { fail, ok, type Result } from "../failure";

/**
 * Who a FeatureStore RPC call acts as, and whether it may. A service binding
 * carries no credential of its own: the caller's configuration names an
 * access key in the binding's `props`, and the call then passes exactly the
 * checks an HTTP request with that key passes (src/http/middleware.ts and
 * authorize.ts): the key must be Active and unexpired, one request of its
 * rate limit is spent, its policy must allow the action on every group, and
 * a denial is written to the audit log.
 *
 * Why an id without a secret: props are set by whoever deploys the calling
 * Worker into this account (the calling code cannot change them), and a
 * Worker can only bind to a Worker of its own account; putting a secret in
 * a wrangler.toml would only copy it into source control. The root key is
 * not an access key and cannot be bound.
 */

/** The actions the binding serves: all are about feature groups. */
export type RpcAction = "sagemaker:GetRecord" | "sagemaker:BatchGetRecord" | "sagemaker:PutRecord" | "sagemaker:DeleteRecord" | "sagemaker:DescribeFeatureGroup";

export interface CallContext {
  requestId: string;
  now: number;
}

const NOT_VALID = "the access key this service binding names (props.accessKeyId) is not valid: unknown, inactive, expired or deleted";

function boundKeyId(props: unknown): string | undefined {
  const id = typeof props === "object" && props !== null ? (props as { accessKeyId?: unknown }).accessKeyId : undefined;
  return typeof id === "string" && id !== "" ? id : undefined;
}

async function audit(env: Env, call: CallContext, key: ResolvedKey, action: Action, result: AuditResult, featureGroup: string | undefined): Promise<void> {
  await recordAudit(env.DB, [
    { at: call.now, requestId: call.requestId, accessKeyId: key.accessKeyId, action, featureGroup: featureGroup ?? null, targetKeyId: null, result, sourceIp: null },
  ]);
}

/** Authenticates the binding's key, spends its rate limit and authorizes the action on the groups; the key when all pass. */
export async function admitCall(env: Env, props: unknown, action: RpcAction, groups: readonly string[], call: CallContext): Promise<Result<ResolvedKey>> {
  const accessKeyId = boundKeyId(props);
  if (accessKeyId === undefined) {
    return fail({ reason: "unauthenticated", detail: "this service binding names no access key; set props.accessKeyId on the calling Worker's binding (docs/api.md#workers-rpc-binding)" });
  }
  const found = await usableKey(env, accessKeyId, call.now);
  if (!found.ok) return found;
  const key = found.value;
  if (!key) return fail({ reason: "unauthenticated", detail: NOT_VALID });
  const admitted = await admit(env, accessKeyId, key.rateLimit ?? defaultRateLimit(env), clockOf(env));
  if (!admitted.ok) return admitted;
  const scope = { region: env.FS_REGION, account: env.FS_ACCOUNT_ID };
  const denied = firstDeniedGroup(key.policy, action, groups, scope);
  if (denied !== undefined) {
    await audit(env, call, key, action, "denied", denied);
    return fail({ reason: "access_denied", action, resource: groupArn(scope, denied) });
  }
  return ok(key);
}

/** Records how an audited action ended (none of the binding's actions is audited today; the table decides, as for HTTP). */
export async function auditOutcome(env: Env, call: CallContext, key: ResolvedKey, action: RpcAction, succeeded: boolean, featureGroup: string | undefined): Promise<void> {
  if (!ACTIONS[action].audited) return;
  try {
    await audit(env, call, key, action, succeeded ? "allowed" : "failed", featureGroup);
  } catch (error) {
    console.error("audit write failed", { requestId: call.requestId, action, error: error instanceof Error ? error.message : String(error) });
  }
}
