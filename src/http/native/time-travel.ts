import { Hono } from "hono";
import { recordSchemaOf } from "../../catalog";
import { FailureError, invalid, ok, orThrow, type Result } from "../../failure";
import { parseEventTime, parseFeatureSubset, parseRecordIdentifier, type EventTime } from "../../records";
import { describeFeatureGroup } from "../../service";
import type { AppContext, AppEnv } from "../context";
import { intParam, listParam } from "../query";
import { authorize } from "../authorize";
import { groupParam } from "../resources";
import { MAX_AS_OF_LIMIT } from "../../records/limits";

/**
 * Time-travel routes. They authenticate and validate here, then hand typed
 * queries to the query worker over the QUERY service binding.
 */
export const timeTravelRoutes = new Hono<AppEnv>();

const INSTANT_RULE = "must be an ISO-8601 UTC time (2026-11-25T08:00:00Z) or epoch seconds";
const MAX_IDENTIFIERS = 1_000;

/** An instant given either way, whatever the group's event-time type. */
function instantParam(c: AppContext, name: string): Result<EventTime | undefined> {
  const raw = c.req.query(name);
  if (raw === undefined || raw === "") return ok(undefined);
  const parsed = parseEventTime(name, /^\d{4}-/.test(raw) ? "String" : "Fractional", raw);
  return parsed.ok ? parsed : invalid(name, INSTANT_RULE);
}

async function offlineGroup(c: AppContext) {
  const group = orThrow(await describeFeatureGroup(c.get("store"), c.req.param("name") ?? ""));
  if (!group.offlineStore.enabled) throw new FailureError({ reason: "invalid_field", field: "name", rule: `feature group ${group.name} has no offline store to travel through` });
  return group;
}

timeTravelRoutes.get("/feature-groups/:name/as-of", authorize("featurestore:QueryAsOf", groupParam), async (c) => {
  const group = await offlineGroup(c);
  const schema = recordSchemaOf(group);
  const eventTime = orThrow(instantParam(c, "eventTime"));
  const knownAt = orThrow(instantParam(c, "knownAt"));
  const availableAt = orThrow(instantParam(c, "availableAt"));
  const features = orThrow(parseFeatureSubset(schema, "features", listParam(c, "features")));
  const rawIds = listParam(c, "ids");
  if (rawIds.length > MAX_IDENTIFIERS) orThrow(invalid("ids", `must list at most ${MAX_IDENTIFIERS} identifiers`));
  const ids = rawIds.map((raw, i) => orThrow(parseRecordIdentifier(schema, `ids[${i}]`, raw)));
  const after = c.req.query("after");
  const result = orThrow(
    await c.env.QUERY.asOf({
      featureGroup: group.name,
      generation: group.generation,
      limit: orThrow(intParam(c, "limit", 1, MAX_AS_OF_LIMIT, 1_000)),
      ...(eventTime ? { eventKeyAtMost: eventTime.key } : {}),
      ...(knownAt ? { knownAtMs: knownAt.epochMs } : {}),
      ...(availableAt ? { availableAtMs: availableAt.epochMs } : {}),
      ...(features ? { features } : {}),
      ...(ids.length ? { recordIdentifiers: ids } : {}),
      ...(after !== undefined ? { after } : {}),
    }),
  );
  return c.json(result);
});

timeTravelRoutes.get("/feature-groups/:name/records/:id/history", authorize("featurestore:GetRecordHistory", groupParam), async (c) => {
  const group = await offlineGroup(c);
  const id = orThrow(parseRecordIdentifier(recordSchemaOf(group), "recordIdentifier", c.req.param("id")));
  const from = orThrow(instantParam(c, "from"));
  const to = orThrow(instantParam(c, "to"));
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
});
