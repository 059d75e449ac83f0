import { Hono } from "hono";
import {
  AUDIT_RESULTS,
  createAccessKey,
  deleteAccessKey,
  getAccessKey,
  listAccessKeys,
  parseKeySettings,
  parseOverlap,
  queryAudit,
  rotateAccessKey,
  updateAccessKey,
  type AccessKey,
  type AuditResult,
} from "../../access";
import { invalid, orThrow, type Result, ok } from "../../failure";
import { isoFromEpochMs, MAX_ADMIN_BODY_BYTES } from "../../records";
import { authorize } from "../authorize";
import { asObject, readJsonBody } from "../body";
import type { AppContext, AppEnv } from "../context";
import { intParam } from "../query";

/**
 * The admin API: access keys (/v1/admin/access-keys) and the audit log
 * (/v1/admin/audit). Secrets appear only in the create and rotate responses.
 */
export const accessKeyRoutes = new Hono<AppEnv>();
export const auditRoutes = new Hono<AppEnv>();


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

async function body(c: AppContext): Promise<unknown> {
  const text = await readJsonBody(c.req.raw, MAX_ADMIN_BODY_BYTES);
  return orThrow(text);
}

const keyParam = (c: AppContext) => {
  const id = c.req.param("id") ?? "";
  c.set("auditTarget", id);
  return id;
};

accessKeyRoutes.post("/", authorize("featurestore:CreateAccessKey"), async (c) => {
  const settings = orThrow(parseKeySettings(await body(c), c.env, true));
  const issued = orThrow(await createAccessKey(c.env, settings, c.get("store").now));
  c.set("auditTarget", issued.accessKey.accessKeyId);
  return c.json({ accessKey: keyView(issued.accessKey), secretAccessKey: issued.secretAccessKey }, 201);
});

accessKeyRoutes.get("/", authorize("featurestore:ListAccessKeys"), async (c) => {
  const limit = orThrow(intParam(c, "limit", 1, 100, 50));
  const after = c.req.query("nextToken");
  const page = await listAccessKeys(c.env, limit, after || undefined);
  return c.json({ accessKeys: page.keys.map(keyView), ...(page.last ? { nextToken: page.last } : {}) });
});

accessKeyRoutes.get("/:id", authorize("featurestore:GetAccessKey"), async (c) => {
  return c.json(keyView(orThrow(await getAccessKey(c.env, keyParam(c)))));
});

accessKeyRoutes.patch("/:id", authorize("featurestore:UpdateAccessKey"), async (c) => {
  const id = keyParam(c);
  const settings = orThrow(parseKeySettings(await body(c), c.env, false));
  return c.json(keyView(orThrow(await updateAccessKey(c.env, id, settings, c.get("store").now))));
});

accessKeyRoutes.post("/:id/rotate", authorize("featurestore:RotateAccessKey"), async (c) => {
  const id = keyParam(c);
  // An empty body takes the default overlap.
  const raw = c.req.header("content-length") === "0" || !c.req.raw.body ? {} : await body(c);
  const request = orThrow(asObject(raw, "body"));
  for (const key of Object.keys(request)) if (key !== "overlapSeconds") orThrow(invalid(key, "is not a rotation setting (overlapSeconds)"));
  const rotated = orThrow(await rotateAccessKey(c.env, id, orThrow(parseOverlap(request.overlapSeconds)), c.get("store").now));
  return c.json({ accessKey: keyView(rotated.accessKey), secretAccessKey: rotated.secretAccessKey, previous: keyView(rotated.previous) }, 201);
});

accessKeyRoutes.delete("/:id", authorize("featurestore:DeleteAccessKey"), async (c) => {
  orThrow(await deleteAccessKey(c.env, keyParam(c)));
  return c.body(null, 204);
});

function timeParam(c: AppContext, name: string): Result<number | undefined> {
  const raw = c.req.query(name);
  if (raw === undefined || raw === "") return ok(undefined);
  const ms = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) * 1000 : Date.parse(raw);
  return Number.isFinite(ms) ? ok(ms) : invalid(name, "must be an ISO-8601 time or epoch seconds");
}

auditRoutes.get("/", authorize("featurestore:ReadAuditLog"), async (c) => {
  const result = c.req.query("result");
  if (result !== undefined && !(AUDIT_RESULTS as readonly string[]).includes(result)) orThrow(invalid("result", `must be one of ${AUDIT_RESULTS.join(", ")}`));
  const token = c.req.query("nextToken");
  if (token !== undefined && token !== "" && !/^\d+$/.test(token)) orThrow(invalid("nextToken", "must be a token returned by a previous page"));
  const optional = (name: string) => {
    const value = c.req.query(name);
    return value === undefined || value === "" ? {} : { [name]: value };
  };
  const from = orThrow(timeParam(c, "from"));
  const to = orThrow(timeParam(c, "to"));
  const page = await queryAudit(c.env.DB, {
    limit: orThrow(intParam(c, "limit", 1, 1000, 100)),
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    ...optional("accessKeyId"),
    ...optional("action"),
    ...optional("featureGroup"),
    ...(result !== undefined ? { result: result as AuditResult } : {}),
    ...(token ? { before: Number(token) } : {}),
  });
  return c.json({
    entries: page.entries.map(({ id: _id, ...e }) => ({ ...e, at: isoFromEpochMs(e.at) })),
    ...(page.last !== undefined ? { nextToken: String(page.last) } : {}),
  });
});
