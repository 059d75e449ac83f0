import { ACTIONS, ANY_RESOURCE, groupArn, isAllowed, type Action } from "../access";
import type { AppContext } from "../http/context";

/**
 * Whether the signed-in key may take an action, asked before showing a
 * form or a section, so a page can explain what the key's policy leaves
 * out instead of offering a button that fails. The action itself still
 * goes through authorize() (src/http/authorize.ts) when it is taken.
 */
export function may(c: AppContext, action: Action, group?: string): boolean {
  const principal = c.get("principal");
  if (principal.root) return true;
  const resource = ACTIONS[action].resource === "group" && group !== undefined ? groupArn({ region: c.env.FS_REGION, account: c.env.FS_ACCOUNT_ID }, group) : ANY_RESOURCE;
  return isAllowed(principal.policy ?? null, action, resource);
}
