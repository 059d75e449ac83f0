import { z } from "zod";
import {
  AUDIT_RESULTS,
  createAccessKey,
  createKeySettingsSchema,
  deleteAccessKey,
  getAccessKey,
  keySettingsSchema,
  listAccessKeys,
  parseKeySettings,
  queryAudit,
  rotateAccessKey,
  rotationSchema,
  updateAccessKey,
  type AccessKey,
} from "../../access";
import { orThrow } from "../../failure";
import { isoFromEpochMs, MAX_ADMIN_BODY_BYTES } from "../../records";
import type { AppContext } from "../context";
import { RouteGroup } from "../route";
import { intQuery, named, pathParam, stringQuery } from "./schemas/common";
import { accessKeyList, accessKey, auditLog, issuedKey, rotatedKey } from "./schemas/admin";

/**
 * The admin API: access keys (/v1/admin/access-keys) and the audit log
 * (/v1/admin/audit). Secrets appear only in the create and rotate responses.
 */
export const accessKeyRoutes = new RouteGroup("/admin/access-keys");
export const auditRoutes = new RouteGroup("/admin/audit");

const TAG = "Admin";

function keyView(key: AccessKey) {
  return {
    accessKeyId: key.accessKeyId,
    name: key.name,
    status: key.status,
    policy: key.policy,
    rateLimit: key.rateLimit,
    createdAt: isoFromEpochMs(key.createdAt),
    updatedAt: isoFromEpochMs(key.updatedAt),
    expiresAt: key.expiresAt === null ? null : isoFromEpochMs(key.expiresAt),
    rotatedTo: key.rotatedTo,
  };
}

/** The key in the path, also named in the call's audit entry. */
const keyPath = z.object({ id: pathParam("The access key id (FSAK…).") });
const auditTarget = (c: AppContext, id: string) => {
  c.set("auditTarget", id);
  return id;
};

const examplePolicy = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: ["sagemaker:GetRecord", "sagemaker:BatchGetRecord"], Resource: "arn:aws:sagemaker:*:*:feature-group/users" }],
};

accessKeyRoutes.add(
  {
    method: "post",
    path: "/",
    operationId: "createAccessKey",
    summary: "Create an access key (its secret is in this answer only)",
    tag: TAG,
    action: "featurestore:CreateAccessKey",
    body: { schema: named("CreateAccessKeyRequest", createKeySettingsSchema), maxBytes: MAX_ADMIN_BODY_BYTES },
    responses: [{ status: 201, description: "The key and its secret.", schema: issuedKey }],
    example: { body: { name: "recommender", policy: examplePolicy, rateLimit: { perSecond: 100, burst: 200 } } },
  },
  async (c, { body }) => {
    const settings = orThrow(parseKeySettings(body, c.env, true));
    const issued = orThrow(await createAccessKey(c.env, settings, c.get("store").now));
    c.set("auditTarget", issued.accessKey.accessKeyId);
    return c.json({ accessKey: keyView(issued.accessKey), secretAccessKey: issued.secretAccessKey }, 201);
  },
);

accessKeyRoutes.add(
  {
    method: "get",
    path: "/",
    operationId: "listAccessKeys",
    summary: "List access keys, a page at a time",
    tag: TAG,
    action: "featurestore:ListAccessKeys",
    query: z.object({ limit: intQuery(1, 100, 50, "Keys per page."), nextToken: stringQuery("The token of the previous page.") }),
    responses: [{ status: 200, description: "A page of keys (never secrets).", schema: accessKeyList }],
    example: { query: { limit: "50" } },
  },
  async (c, { query }) => {
    const page = await listAccessKeys(c.env, query.limit, query.nextToken || undefined);
    return c.json({ accessKeys: page.keys.map(keyView), ...(page.last ? { nextToken: page.last } : {}) });
  },
);

accessKeyRoutes.add(
  {
    method: "get",
    path: "/:id",
    operationId: "getAccessKey",
    summary: "Describe an access key",
    tag: TAG,
    action: "featurestore:GetAccessKey",
    params: keyPath,
    responses: [{ status: 200, description: "The key (never its secret).", schema: accessKey }],
    example: { params: { id: "FSAKAAAAAAAAAAAAAAAA" } },
  },
  async (c, { params }) => c.json(keyView(orThrow(await getAccessKey(c.env, auditTarget(c, params.id))))),
);

accessKeyRoutes.add(
  {
    method: "patch",
    path: "/:id",
    operationId: "updateAccessKey",
    summary: "Change an access key's name, status, policy or rate limit",
    tag: TAG,
    action: "featurestore:UpdateAccessKey",
    params: keyPath,
    body: { schema: named("UpdateAccessKeyRequest", keySettingsSchema), maxBytes: MAX_ADMIN_BODY_BYTES },
    responses: [{ status: 200, description: "The key after the change.", schema: accessKey }],
    example: { params: { id: "FSAKAAAAAAAAAAAAAAAA" }, body: { status: "Inactive" } },
  },
  async (c, { params, body }) => {
    const id = auditTarget(c, params.id);
    const settings = orThrow(parseKeySettings(body, c.env, false));
    return c.json(keyView(orThrow(await updateAccessKey(c.env, id, settings, c.get("store").now))));
  },
);

accessKeyRoutes.add(
  {
    method: "post",
    path: "/:id/rotate",
    operationId: "rotateAccessKey",
    summary: "Issue a new key and secret; the old one keeps working for the overlap",
    tag: TAG,
    action: "featurestore:RotateAccessKey",
    params: keyPath,
    // An empty body takes the default overlap.
    body: { schema: named("RotateAccessKeyRequest", rotationSchema.prefault({})), maxBytes: MAX_ADMIN_BODY_BYTES, optional: true },
    responses: [{ status: 201, description: "The new key and secret, and the old key with its expiry.", schema: rotatedKey }],
    example: { params: { id: "FSAKAAAAAAAAAAAAAAAA" }, body: { overlapSeconds: 3600 } },
  },
  async (c, { params, body }) => {
    const id = auditTarget(c, params.id);
    const rotated = orThrow(await rotateAccessKey(c.env, id, body.overlapSeconds, c.get("store").now));
    return c.json({ accessKey: keyView(rotated.accessKey), secretAccessKey: rotated.secretAccessKey, previous: keyView(rotated.previous) }, 201);
  },
);

accessKeyRoutes.add(
  {
    method: "delete",
    path: "/:id",
    operationId: "deleteAccessKey",
    summary: "Delete an access key",
    tag: TAG,
    action: "featurestore:DeleteAccessKey",
    params: keyPath,
    responses: [{ status: 204, description: "Deleted." }],
    example: { params: { id: "FSAKAAAAAAAAAAAAAAAA" } },
  },
  async (c, { params }) => {
    orThrow(await deleteAccessKey(c.env, auditTarget(c, params.id)));
    return c.body(null, 204);
  },
);

const TIME_RULE = "must be an ISO-8601 time or epoch seconds";
/** An instant as epoch ms; empty means absent. */
const timeQuery = (description: string) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw === "") return undefined;
      const ms = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) * 1000 : Date.parse(raw);
      if (Number.isFinite(ms)) return ms;
      ctx.issues.push({ code: "custom", message: TIME_RULE, input: raw });
      return z.NEVER;
    })
    .describe(`${description} ISO-8601 time or epoch seconds.`);

/** An optional filter; empty means absent. */
const filterQuery = (description: string) =>
  z
    .string()
    .optional()
    .transform((value) => (value === "" ? undefined : value))
    .describe(description);

auditRoutes.add(
  {
    method: "get",
    path: "/",
    operationId: "readAuditLog",
    summary: "Read the audit log, newest first",
    tag: TAG,
    action: "featurestore:ReadAuditLog",
    query: z.object({
      limit: intQuery(1, 1000, 100, "Entries per page."),
      from: timeQuery("Entries at or after this time."),
      to: timeQuery("Entries at or before this time."),
      accessKeyId: filterQuery("Only calls by this key."),
      action: filterQuery("Only calls of this action."),
      featureGroup: filterQuery("Only calls about this group."),
      result: z.enum(AUDIT_RESULTS, { error: `must be one of ${AUDIT_RESULTS.join(", ")}` }).optional().describe("Only calls with this outcome."),
      nextToken: z
        .string()
        .regex(/^\d*$/, "must be a token returned by a previous page")
        .optional()
        .describe("The token of the previous page."),
    }),
    responses: [{ status: 200, description: "A page of entries.", schema: auditLog }],
    example: { query: { result: "denied", from: "2026-11-25T00:00:00Z", limit: "100" } },
  },
  async (c, { query }) => {
    const { from, to, accessKeyId, action, featureGroup, result, nextToken: token } = query;
    const page = await queryAudit(c.env.DB, {
      limit: query.limit,
      ...(from !== undefined ? { from } : {}),
      ...(to !== undefined ? { to } : {}),
      ...(accessKeyId !== undefined ? { accessKeyId } : {}),
      ...(action !== undefined ? { action } : {}),
      ...(featureGroup !== undefined ? { featureGroup } : {}),
      ...(result !== undefined ? { result } : {}),
      ...(token ? { before: Number(token) } : {}),
    });
    return c.json({
      entries: page.entries.map(({ id: _id, ...e }) => ({ ...e, at: isoFromEpochMs(e.at) })),
      ...(page.last !== undefined ? { nextToken: String(page.last) } : {}),
    });
  },
);
