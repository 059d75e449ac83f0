import { Hono } from "hono";
import { fail, ok, orThrow, type Failure, type Result } from "../../failure";
import { parityAuditNow } from "../../jobs";
import { jobView } from "./jobs";
import { countsOf, examplesOf, findAudit, getAudit, listAudits, parseParityOptions, PAGE_IDENTIFIERS, type AuditWithRun, type ParityOptions } from "../../parity";
import { isoFromEpochMs, MAX_CONTROL_BODY_BYTES } from "../../records";
import { authorize } from "../authorize";
import { readTextBody } from "../body";
import type { AppContext, AppEnv } from "../context";
import { failureField, failureMessage } from "../failures";
import { parseJson } from "../../formats/json";
import { intParam } from "../query";
import { groupParam } from "../resources";

/**
 * Parity audits of a feature group's two stores (src/parity): start one,
 * list them, read one. "Parity audit", not "audit": the audit log of
 * callers is /v1/admin/audit.
 */
export const parityRoutes = new Hono<AppEnv>();

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

/** The optional body: none at all (zero bytes), or a JSON object of options; whitespace alone is not a document. */
async function readOptions(c: AppContext): Promise<Result<ParityOptions>> {
  const text = await readTextBody(c.req.raw, MAX_CONTROL_BODY_BYTES);
  if (!text.ok) return text;
  if (text.value === "") return parseParityOptions(undefined);
  const body = parseJson(text.value, "body");
  return body.ok ? parseParityOptions(body.value) : body;
}

const auditLocation = (group: string, id: string) => `/v1/feature-groups/${encodeURIComponent(group)}/audits/${id}`;

async function auditOf(c: AppContext, group: string, id: string): Promise<Result<AuditWithRun>> {
  const found = await findAudit(c.get("store").db, group, id);
  return found ? ok(found) : fail({ reason: "resource_not_found", kind: "parity audit", name: id });
}

/** Starts an audit: the first slice runs before the answer; a large group's audit goes on on the cron tick. Poll the Location. */
parityRoutes.post("/feature-groups/:name/audit", authorize("featurestore:StartParityAudit", groupParam), async (c) => {
  const options = orThrow(await readOptions(c));
  const group = c.req.param("name");
  const { job, run } = orThrow(await parityAuditNow(c.env, c.get("store"), group, options));
  const audit = orThrow(await auditOf(c, group, run.id));
  return c.json({ ...parityAuditView(audit), job: jobView(job) }, 202, { location: auditLocation(group, run.id) });
});

parityRoutes.get("/feature-groups/:name/audits", authorize("featurestore:ListParityAudits", groupParam), async (c) => {
  const limit = orThrow(intParam(c, "limit", 1, 100, 20));
  const group = c.req.param("name");
  const afterId = c.req.query("after");
  const after = afterId !== undefined ? await getAudit(c.get("store").db, afterId) : undefined;
  if (afterId !== undefined && (!after || after.featureGroup !== group)) orThrow(fail({ reason: "invalid_field", field: "after", rule: `must be the id of an audit of ${group} (from a previous page)` }));
  const audits = await listAudits(c.get("store").db, group, { limit: limit + 1, ...(after ? { after } : {}) });
  const page = audits.slice(0, limit);
  return c.json({ audits: page.map(parityAuditView), ...(audits.length > limit ? { nextAfter: page.at(-1)!.audit.id } : {}) });
});

parityRoutes.get("/feature-groups/:name/audits/:id", authorize("featurestore:DescribeParityAudit", groupParam), async (c) =>
  c.json(parityAuditView(orThrow(await auditOf(c, c.req.param("name"), c.req.param("id"))))),
);
