import { Hono } from "hono";
import { authorize } from "../authorize";
import { groupParam } from "../resources";
import { orThrow } from "../../failure";
import { parseKeyStore, rewrapDataKeys, rotateGroupDataKey } from "../../service/encryption";
import type { AppEnv } from "../context";

/**
 * Key administration under /v1/admin (docs/security-encryption.md). Both
 * routes are idempotent in effect: a repeated rotation only adds another
 * version, a repeated re-wrap finds nothing left to do.
 */
export const adminKeyRoutes = new Hono<AppEnv>();

adminKeyRoutes.post("/feature-groups/:name/keys/rotate", authorize("featurestore:RotateDataKey", groupParam), async (c) => {
  const store = orThrow(parseKeyStore(c.req.query("store")));
  return c.json(orThrow(await rotateGroupDataKey(c.get("store"), c.req.param("name"), store)));
});

adminKeyRoutes.post("/master-key/rewrap", authorize("featurestore:RewrapDataKeys"), async (c) => {
  return c.json(orThrow(await rewrapDataKeys(c.get("store"))));
});
