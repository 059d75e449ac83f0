import { z } from "zod";
import { recordSchemaOf } from "../../catalog";
import { FailureError, invalid, orThrow } from "../../failure";
import { type EventTime, MAX_AS_OF_LIMIT, parseEventTime, parseFeatureSubset, parseRecordIdentifier } from "../../records";
import { describeFeatureGroup } from "../../service";
import type { AppContext } from "../context";
import { groupParam } from "../resources";
import { RouteGroup } from "../route";
import { groupPath, intQuery, listQuery, pathParam, stringQuery } from "./schemas/common";
import { asOfResponse, historyResponse } from "./schemas/datasets";

/**
 * Time-travel routes. They authenticate and validate here, then hand typed
 * queries to the query worker over the QUERY service binding.
 */
export const timeTravelRoutes = new RouteGroup("/");

const INSTANT_RULE = "must be an ISO-8601 UTC time (2026-11-25T08:00:00Z) or epoch seconds";
const MAX_IDENTIFIERS = 1_000;

/** An instant given either way, whatever the group's event-time type; empty means absent. */
const instantQuery = (description: string) =>
  z
    .string()
    .optional()
    .transform((raw, ctx): EventTime | undefined => {
      if (raw === undefined || raw === "") return undefined;
      const parsed = parseEventTime("instant", /^\d{4}-/.test(raw) ? "String" : "Fractional", raw);
      if (parsed.ok) return parsed.value;
      ctx.issues.push({ code: "custom", message: INSTANT_RULE, input: raw });
      return z.NEVER;
    })
    .describe(`${description} ISO-8601 UTC time or epoch seconds.`);

async function offlineGroup(c: AppContext, name: string) {
  const group = orThrow(await describeFeatureGroup(c.get("store"), name));
  if (!group.offlineStore.enabled) throw new FailureError({ reason: "invalid_field", field: "name", rule: `feature group ${group.name} has no offline store to travel through` });
  return group;
}

const TAG = "Time travel";

timeTravelRoutes.add(
  {
    method: "get",
    path: "/feature-groups/:name/as-of",
    operationId: "queryAsOf",
    summary: "Each record as it was at an event time, as known at a time, from the offline store",
    tag: TAG,
    action: "featurestore:QueryAsOf",
    groups: groupParam,
    params: groupPath,
    query: z.object({
      eventTime: instantQuery("The latest version at or before this event time (default: the latest)."),
      knownAt: instantQuery("Only versions written by then."),
      availableAt: instantQuery("Only versions available (knowledge time) by then."),
      features: listQuery("Features to return (default: all)."),
      ids: z.array(z.string()).max(MAX_IDENTIFIERS, `must list at most ${MAX_IDENTIFIERS} identifiers`).optional().describe(`Only these identifiers (at most ${MAX_IDENTIFIERS}). Repeat the parameter or separate items with commas.`),
      limit: intQuery(1, MAX_AS_OF_LIMIT, 1_000, "Records per page."),
      after: stringQuery("nextAfter of the previous page."),
    }),
    responses: [{ status: 200, description: "A page of records.", schema: asOfResponse }],
    example: { params: { name: "users" }, query: { eventTime: "2026-11-25T08:00:00Z", ids: ["u1", "u2"], features: ["age"] } },
  },
  async (c, { params, query }) => {
    const group = await offlineGroup(c, params.name);
    const schema = recordSchemaOf(group);
    const { eventTime, knownAt, availableAt, after } = query;
    const features = orThrow(parseFeatureSubset(schema, "features", query.features ?? []));
    const ids = (query.ids ?? []).map((raw, i) => orThrow(parseRecordIdentifier(schema, `ids[${i}]`, raw)));
    const result = orThrow(
      await c.env.QUERY.asOf({
        featureGroup: group.name,
        generation: group.generation,
        limit: query.limit,
        ...(eventTime ? { eventKeyAtMost: eventTime.key } : {}),
        ...(knownAt ? { knownAtMs: knownAt.epochMs } : {}),
        ...(availableAt ? { availableAtMs: availableAt.epochMs } : {}),
        ...(features ? { features } : {}),
        ...(ids.length ? { recordIdentifiers: ids } : {}),
        ...(after !== undefined ? { after } : {}),
      }),
    );
    return c.json(result);
  },
);

timeTravelRoutes.add(
  {
    method: "get",
    path: "/feature-groups/:name/records/:id/history",
    operationId: "getRecordHistory",
    summary: "Every version of one record in the offline store, oldest first",
    tag: TAG,
    action: "featurestore:GetRecordHistory",
    groups: groupParam,
    params: groupPath.extend({ id: pathParam("The record identifier.") }),
    query: z.object({ from: instantQuery("Versions with event times from this one."), to: instantQuery("Versions with event times up to this one.") }),
    responses: [{ status: 200, description: "The versions.", schema: historyResponse }],
    example: { params: { name: "users", id: "u1" }, query: { from: "2026-11-01T00:00:00Z", to: "2026-11-25T00:00:00Z" } },
  },
  async (c, { params, query }) => {
    const group = await offlineGroup(c, params.name);
    const id = orThrow(parseRecordIdentifier(recordSchemaOf(group), "recordIdentifier", params.id));
    const { from, to } = query;
    if (from && to && from.key > to.key) orThrow(invalid("from", "must not be after to"));
    const result = orThrow(
      await c.env.QUERY.history({
        featureGroup: group.name,
        generation: group.generation,
        recordIdentifier: id,
        ...(from ? { fromKey: from.key } : {}),
        ...(to ? { toKey: to.key } : {}),
      }),
    );
    return c.json(result);
  },
);
