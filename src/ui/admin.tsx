import { Hono } from "hono";
import { AUDIT_RESULTS, type AuditEntry, createAccessKey, listAccessKeys, parseKeySettings, queryAudit, rotateAccessKey, updateAccessKey, DEFAULT_OVERLAP_SECONDS, type AccessKey, type AuditResult } from "../access";
import { invalid, orThrow } from "../failure";
import { authorize } from "../http/authorize";
import type { AppContext, AppEnv } from "../http/context";
import { readForm } from "./guard";
import { isoTime } from "./format";
import { CsrfField, page, viewerOf } from "./layout";
import { Pager } from "./pager";
import { keysetPage, pageRequestOf, type Fetch } from "./paging";
import { may } from "./permissions";

/**
 * Administration: access keys (create with the secret shown once, disable,
 * rotate) and the audit log. The same actions as /v1/admin, so a key that
 * may not administer is refused here as there.
 */
export const adminRoutes = new Hono<AppEnv>();

/** The audit log shows this many entries per page. */
export const AUDIT_PAGE = 100;
/** Access keys per page. */
export const KEYS_PAGE = 50;
/** A key's policy, as a new key gets it unless the form says otherwise: read-only catalog access. */
const EXAMPLE_POLICY = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["sagemaker:ListFeatureGroups", "sagemaker:Search", "sagemaker:DescribeFeatureGroup"], Resource: "*" }] }, null, 2);

const keyTarget = (c: AppContext) => {
  const id = c.req.param("id") ?? "";
  c.set("auditTarget", id);
  return id;
};

/** The secret of a new or rotated key, shown on this one response and nowhere else. */
function IssuedSecret(props: { what: string; issued: AccessKey; secret: string }) {
  return (
    <>
      <h1>{props.what}</h1>
      <div class="notice ok" role="status">
        <p>
          Access key <code>{props.issued.accessKeyId}</code> ({props.issued.name}). Copy the secret now: it is shown only this once and cannot be read again.
        </p>
        <p>
          <label for="issued-secret">Secret access key</label>
        </p>
        <input id="issued-secret" class="secret" readonly size={48} value={props.secret} />
      </div>
      <p>
        <a href="/ui/admin">Back to access keys</a>
      </p>
    </>
  );
}

function KeysTable(props: { c: AppContext; keys: AccessKey[] }) {
  const viewer = viewerOf(props.c)!;
  const mayUpdate = may(props.c, "featurestore:UpdateAccessKey");
  const mayRotate = may(props.c, "featurestore:RotateAccessKey");
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">Access key</th>
          <th scope="col">Name</th>
          <th scope="col">Status</th>
          <th scope="col">Created</th>
          <th scope="col">Expires</th>
          <th scope="col">Actions</th>
        </tr>
      </thead>
      <tbody>
        {props.keys.map((key) => (
          <tr>
            <th scope="row">
              <code>{key.accessKeyId}</code>
            </th>
            <td>{key.name}</td>
            <td>{key.status}{key.rotatedTo ? ` (rotated to ${key.rotatedTo})` : ""}</td>
            <td>{isoTime(key.createdAt)}</td>
            <td>{isoTime(key.expiresAt)}</td>
            <td>
              {mayUpdate && key.status === "Active" ? (
                <form method="post" action={`/ui/admin/keys/${key.accessKeyId}/disable`} class="inline">
                  <CsrfField viewer={viewer} />
                  <button type="submit" class="secondary" aria-label={`Disable ${key.accessKeyId}`}>
                    Disable
                  </button>
                </form>
              ) : null}{" "}
              {mayRotate && key.status === "Active" && !key.rotatedTo ? (
                <form method="post" action={`/ui/admin/keys/${key.accessKeyId}/rotate`} class="inline">
                  <CsrfField viewer={viewer} />
                  <button type="submit" class="secondary" aria-label={`Rotate ${key.accessKeyId}`}>
                    Rotate
                  </button>
                </form>
              ) : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

adminRoutes.get("/admin", authorize("featurestore:ListAccessKeys"), async (c) => {
  const fetch: Fetch<AccessKey> = async (cursor, limit) => {
    const listed = await listAccessKeys(c.env, limit, "before" in cursor ? { before: cursor.before } : cursor.after);
    return { items: listed.keys, more: listed.more };
  };
  const listed = await keysetPage(pageRequestOf(c), KEYS_PAGE, fetch, (k) => k.accessKeyId);
  const viewer = viewerOf(c)!;
  return page(
    c,
    "Access keys",
    <>
      <h1>Access keys</h1>
      <p>
        The root key (<code>FS_ROOT_ACCESS_KEY_ID</code>) is not listed: it lives in the worker's secrets. See also the <a href="/ui/admin/audit">audit log</a>.
      </p>
      {listed.items.length > 0 ? <KeysTable c={c} keys={listed.items} /> : <p class="muted">{listed.paged ? "No more access keys." : "No access keys yet."}</p>}
      <Pager c={c} page={listed} label="Access keys" />
      <h2 id="create-title">Create an access key</h2>
      {may(c, "featurestore:CreateAccessKey") ? (
        <form method="post" action="/ui/admin/keys" class="stack" aria-labelledby="create-title">
          <CsrfField viewer={viewer} />
          <label>
            Name
            <input name="name" required maxlength={128} />
          </label>
          <label for="new-key-policy">Policy (JSON, as in docs/security.md)</label>
          <textarea id="new-key-policy" name="policy" rows={10}>
            {EXAMPLE_POLICY}
          </textarea>
          <div>
            <button type="submit">Create key</button>
          </div>
        </form>
      ) : (
        <p class="notice refused">
          Your access key's policy does not allow <code>featurestore:CreateAccessKey</code>.
        </p>
      )}
    </>,
  );
});

adminRoutes.post("/admin/keys", authorize("featurestore:CreateAccessKey"), async (c) => {
  const form = await readForm(c);
  let policy: unknown;
  try {
    policy = JSON.parse(form.get("policy") ?? "");
  } catch {
    orThrow(invalid("policy", "must be a JSON policy document"));
  }
  const settings = orThrow(parseKeySettings({ name: form.get("name") ?? "", policy }, c.env, true));
  const issued = orThrow(await createAccessKey(c.env, settings, c.get("store").now));
  c.set("auditTarget", issued.accessKey.accessKeyId);
  return page(c, "Key created", <IssuedSecret what="Access key created" issued={issued.accessKey} secret={issued.secretAccessKey} />, 201);
});

adminRoutes.post("/admin/keys/:id/disable", authorize("featurestore:UpdateAccessKey"), async (c) => {
  orThrow(await updateAccessKey(c.env, keyTarget(c), { status: "Inactive" }, c.get("store").now));
  return c.redirect("/ui/admin", 303);
});

adminRoutes.post("/admin/keys/:id/rotate", authorize("featurestore:RotateAccessKey"), async (c) => {
  const rotated = orThrow(await rotateAccessKey(c.env, keyTarget(c), DEFAULT_OVERLAP_SECONDS, c.get("store").now));
  return page(c, "Key rotated", <IssuedSecret what={`Rotated: ${rotated.previous.accessKeyId} works until ${isoTime(rotated.previous.expiresAt)}`} issued={rotated.accessKey} secret={rotated.secretAccessKey} />, 201);
});

adminRoutes.get("/admin/audit", authorize("featurestore:ReadAuditLog"), async (c) => {
  const text = (name: string) => (c.req.query(name) ?? "").trim();
  const filters = { accessKeyId: text("accessKeyId"), action: text("action"), featureGroup: text("featureGroup"), result: text("result") };
  if (filters.result && !(AUDIT_RESULTS as readonly string[]).includes(filters.result)) orThrow(invalid("result", `must be one of ${AUDIT_RESULTS.join(", ")}`));
  // The list is newest first, so the page after an entry holds older ones (the API's `before` id) and the page before it newer ones.
  const idOf = (cursor: string) => (/^\d{1,15}$/.test(cursor) ? Number(cursor) : 0);
  const fetch: Fetch<AuditEntry & { id: number }> = async (cursor, limit) => {
    const found = await queryAudit(c.env.DB, {
      limit,
      ...(filters.accessKeyId ? { accessKeyId: filters.accessKeyId } : {}),
      ...(filters.action ? { action: filters.action } : {}),
      ...(filters.featureGroup ? { featureGroup: filters.featureGroup } : {}),
      ...(filters.result ? { result: filters.result as AuditResult } : {}),
      ...("before" in cursor ? { after: idOf(cursor.before) } : cursor.after !== undefined ? { before: idOf(cursor.after) } : {}),
    });
    return { items: found.entries, more: found.more };
  };
  const found = await keysetPage(pageRequestOf(c), AUDIT_PAGE, fetch, (e) => String(e.id));
  return page(
    c,
    "Audit log",
    <>
      <h1>Audit log</h1>
      <form method="get" action="/ui/admin/audit" class="filters" aria-label="Filter the audit log">
        <label>
          Access key
          <input name="accessKeyId" value={filters.accessKeyId} />
        </label>
        <label>
          Action
          <input name="action" value={filters.action} placeholder="sagemaker:UpdateFeatureGroup" />
        </label>
        <label>
          Feature group
          <input name="featureGroup" value={filters.featureGroup} />
        </label>
        <label>
          Result
          <select name="result">
            <option value="">Any</option>
            {AUDIT_RESULTS.map((r) => (
              <option value={r} selected={r === filters.result}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Filter</button>
      </form>
      <table>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Access key</th>
            <th scope="col">Action</th>
            <th scope="col">Feature group</th>
            <th scope="col">Target key</th>
            <th scope="col">Result</th>
          </tr>
        </thead>
        <tbody>
          {found.items.map((e) => (
            <tr>
              <td>{isoTime(e.at)}</td>
              <td>
                <code>{e.accessKeyId}</code>
              </td>
              <td>
                <code>{e.action}</code>
              </td>
              <td>{e.featureGroup ?? ""}</td>
              <td>{e.targetKeyId ?? ""}</td>
              <td>{e.result}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {found.items.length === 0 ? <p class="muted">{found.paged ? "No more entries match." : "No entries match."}</p> : null}
      <Pager c={c} page={found} label="Audit log" labels={{ prev: "Newer entries", next: "Older entries" }} />
    </>,
  );
});
