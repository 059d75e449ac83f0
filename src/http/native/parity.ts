import { z } from "zod";
import { fail, ok, orThrow, type Failure, type Result } from "../../failure";
import { parityAuditNow } from "../../jobs";
import { jobView } from "./jobs";
import { countsOf, examplesOf, findAudit, getAudit, listAudits, PAGE_IDENTIFIERS, parityOptionsSchema, type AuditWithRun } from "../../parity";
import { isoFromEpochMs, MAX_CONTROL_BODY_BYTES } from "../../records";
import type { AppContext } from "../context";
import { failureField, failureMessage } from "../failures";
import { groupParam } from "../resources";
import { RouteGroup } from "../route";
import { groupPath, intQuery, named, pathParam, stringQuery } from "./schemas/common";
import { parityAudit, parityAuditList, startedParityAudit } from "./schemas/jobs";

/**
 * Parity audits of a feature group's two stores (src/parity): start one,
 * list them, read one. "Parity audit", not "audit": the audit log of
 * callers is /v1/admin/audit.
 */
export const parityRoutes = new RouteGroup("/");

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : isoFromEpochMs(ms));

export function parityAuditView({ audit, run }: AuditWithRun) {
  const counts = countsOf(audit);
  const error = run?.error ? (JSON.parse(run.error) as Failure) : null;
  const field = error ? failureField(error) : undefined;
  return {
    id: audit.id,
    featureGroup: audit.featureGroup,
    jobId: audit.jobId,
    trigger: run?.trigger ?? null,
    status: run?.status ?? "running",
    startedAt: iso(audit.startedAt),
    finishedAt: iso(run?.finishedAt),
    progress: { identifiers: audit.identifiers, pages: audit.pages, pageIdentifiers: PAGE_IDENTIFIERS, lastIdentifier: audit.cursor },
    counts,
    differences: counts.differing + counts.onlineOnly + counts.offlineOnly,
    maxExamplesPerKind: audit.maxExamples,
    examples: examplesOf(audit),
    ...(error ? { error: { code: error.reason, message: failureMessage(error), ...(field !== undefined ? { field } : {}) } } : {}),
  };
}

const auditLocation = (group: string, id: string) => `/v1/feature-groups/${encodeURIComponent(group)}/audits/${id}`;

async function auditOf(c: AppContext, group: string, id: string): Promise<Result<AuditWithRun>> {
  const found = await findAudit(c.get("store").db, group, id);
  return found ? ok(found) : fail({ reason: "resource_not_found", kind: "parity audit", name: id });
}

const TAG = "Parity audits";

/** Starts an audit: the first slice runs before the answer; a large group's audit goes on on the cron tick. Poll the Location. */
parityRoutes.add(
  {
    method: "post",
    path: "/feature-groups/:name/audit",
    operationId: "startParityAudit",
    summary: "Compare a group's online and offline stores (runs in slices; poll the Location)",
    tag: TAG,
    action: "featurestore:StartParityAudit",
    groups: groupParam,
    params: groupPath,
    // None at all (zero bytes) takes the defaults; whitespace alone is not a document.
    body: { schema: named("ParityAuditRequest", parityOptionsSchema), maxBytes: MAX_CONTROL_BODY_BYTES, optional: true },
    responses: [{ status: 202, description: "The audit so far and its job; Location names the audit.", schema: startedParityAudit, headers: { location: "The audit's URL." } }],
    example: { params: { name: "users" }, body: { examples: 5 } },
  },
  async (c, { params, body }) => {
    const group = params.name;
    const { job, run } = orThrow(await parityAuditNow(c.env, c.get("store"), group, body));
    const audit = orThrow(await auditOf(c, group, run.id));
    return c.json({ ...parityAuditView(audit), job: jobView(job) }, 202, { location: auditLocation(group, run.id) });
  },
);

parityRoutes.add(
  {
    method: "get",
    path: "/feature-groups/:name/audits",
    operationId: "listParityAudits",
    summary: "List a group's parity audits, newest first",
    tag: TAG,
    action: "featurestore:ListParityAudits",
    groups: groupParam,
    params: groupPath,
    query: z.object({ limit: intQuery(1, 100, 20, "Audits per page."), after: stringQuery("The id of the last audit of the previous page (nextAfter).") }),
    responses: [{ status: 200, description: "A page of audits.", schema: parityAuditList }],
    example: { params: { name: "users" }, query: { limit: "20" } },
  },
  async (c, { params, query }) => {
    const group = params.name;
    const afterId = query.after;
    const after = afterId !== undefined ? await getAudit(c.get("store").db, afterId) : undefined;
    if (afterId !== undefined && (!after || after.featureGroup !== group)) orThrow(fail({ reason: "invalid_field", field: "after", rule: `must be the id of an audit of ${group} (from a previous page)` }));
    const audits = await listAudits(c.get("store").db, group, { limit: query.limit + 1, ...(after ? { after } : {}) });
    const page = audits.slice(0, query.limit);
    return c.json({ audits: page.map(parityAuditView), ...(audits.length > query.limit ? { nextAfter: page.at(-1)!.audit.id } : {}) });
  },
);

parityRoutes.add(
  {
    method: "get",
    path: "/feature-groups/:name/audits/:id",
    operationId: "describeParityAudit",
    summary: "Read one parity audit: progress, counts and examples",
    tag: TAG,
    action: "featurestore:DescribeParityAudit",
    groups: groupParam,
    params: groupPath.extend({ id: pathParam("The audit's id.") }),
    responses: [{ status: 200, description: "The audit.", schema: parityAudit }],
    example: { params: { name: "users", id: "0b6f1c9e-3f7a-4d2b-9a51-2c8e7d4f6a10" } },
  },
  async (c, { params }) => c.json(parityAuditView(orThrow(await auditOf(c, params.name, params.id)))),
);
