import { z } from "zod";
import { groupParam } from "../resources";
import { orThrow } from "../../failure";
import { rewrapDataKeys, rotateGroupDataKey } from "../../service";
import { RouteGroup } from "../route";
import { groupPath, named } from "./schemas/common";
import { dataKeyRotation } from "./schemas/admin";

/**
 * Key administration under /v1/admin (docs/security-encryption.md). Both
 * routes are idempotent in effect: a repeated rotation only adds another
 * version, a repeated re-wrap finds nothing left to do.
 */
export const adminKeyRoutes = new RouteGroup("/admin");

adminKeyRoutes.add(
  {
    method: "post",
    path: "/feature-groups/:name/keys/rotate",
    operationId: "rotateDataKey",
    summary: "Add a new version of a group's data key for one store",
    tag: "Admin",
    action: "featurestore:RotateDataKey",
    groups: groupParam,
    params: groupPath,
    query: z.object({ store: z.enum(["online", "offline"], { error: "must be online or offline" }).describe("The store whose data key to rotate.") }),
    responses: [{ status: 200, description: "The store's new active key version.", schema: dataKeyRotation }],
    example: { params: { name: "users" }, query: { store: "online" } },
  },
  async (c, { params, query }) => c.json(orThrow(await rotateGroupDataKey(c.get("store"), params.name, query.store))),
);

adminKeyRoutes.add(
  {
    method: "post",
    path: "/master-key/rewrap",
    operationId: "rewrapDataKeys",
    summary: "Re-seal every data key with the active master key",
    tag: "Admin",
    action: "featurestore:RewrapDataKeys",
    responses: [
      {
        status: 200,
        description: "How many keys were re-sealed.",
        schema: named("RewrapReport", z.object({ rewrapped: z.number().int(), alreadyCurrent: z.number().int(), activeMasterKeyId: z.string() })),
      },
    ],
    example: {},
  },
  async (c) => c.json(orThrow(await rewrapDataKeys(c.get("store")))),
);
