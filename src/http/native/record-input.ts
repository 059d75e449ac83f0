import { z } from "zod";
import { ok, type Result } from "../../failure";
import { MAX_BATCH_GET_GROUPS, MAX_BATCH_GET_IDENTIFIERS, ttlDurationSchema, type TtlDuration } from "../../records";
import type { BatchGetRequest, StoreTarget } from "../../service";
import { fromZod } from "../../validation";
import { closedObject, named } from "./schemas/common";

/**
 * The native API's record inputs as zod schemas, for every transport that
 * speaks them: the HTTP routes (records.ts, which also document them) and
 * the Workers RPC binding (src/rpc), so both refuse the same inputs with
 * the same field names. Feature values are checked later, against the
 * group's definitions.
 */

const STORE_TARGETS = ["online", "offline"] as const satisfies readonly StoreTarget[];
const TARGETS_RULE = `must be a list of ${STORE_TARGETS.join(", ")}`;

/**
 * A list of store targets. The rule is checked on the whole list, so a bad
 * item is named as the list (`targetStores`), as clients have always seen it;
 * the document still lists the allowed items.
 */
export function storeTargetList(rule: string) {
  return z
    .array(z.string({ error: rule }), { error: rule })
    .refine((targets): targets is StoreTarget[] => targets.every((t) => (STORE_TARGETS as readonly string[]).includes(t)), rule)
    .meta({ items: { type: "string", enum: [...STORE_TARGETS] } });
}

export const targetStoresSchema = storeTargetList(TARGETS_RULE).optional().describe("The stores to write: online, offline or both (the default: every store the group has).");

const featuresObject = (field: string) =>
  z.record(z.string(), z.unknown(), { error: "must be a JSON object" }).describe(`Feature name to value, checked against the group's feature definitions (${field}).`);

export const putBodySchema = named(
  "PutRecordRequest",
  closedObject({ record: featuresObject("record"), targetStores: targetStoresSchema, ttl: ttlDurationSchema.optional() }, "a put"),
);

export const updateBodySchema = named(
  "UpdateRecordRequest",
  closedObject({ features: featuresObject("features"), targetStores: targetStoresSchema, ttl: ttlDurationSchema.optional() }, "a record update"),
);

const FEATURES_RULE = "must be a list of feature names";
/** Checked as a whole list, so a bad item is named as the list (`requests[0].features`), as clients have always seen it. */
const featureNameList = z
  .array(z.unknown(), { error: FEATURES_RULE })
  .refine((names) => names.every((name) => typeof name === "string"), FEATURES_RULE)
  .transform((names) => names as string[])
  .meta({ items: { type: "string" } });

const identifier = z.union([z.string(), z.number()], { error: "must be a string or an integer" });

export const batchGetBodySchema = named(
  "BatchGetRequest",
  z.object({
    requests: z
      .array(
        z.object(
          {
            featureGroup: z.string({ error: "must be a feature group name" }),
            recordIdentifiers: z
              .array(identifier, { error: `must be a list of 1 to ${MAX_BATCH_GET_IDENTIFIERS} identifiers` })
              .min(1, `must be a list of 1 to ${MAX_BATCH_GET_IDENTIFIERS} identifiers`)
              .max(MAX_BATCH_GET_IDENTIFIERS, `must be a list of 1 to ${MAX_BATCH_GET_IDENTIFIERS} identifiers`),
            features: featureNameList.optional(),
          },
          { error: "must be a JSON object" },
        ),
        { error: `must be a list of 1 to ${MAX_BATCH_GET_GROUPS} {featureGroup, recordIdentifiers, features?}` },
      )
      .min(1, `must be a list of 1 to ${MAX_BATCH_GET_GROUPS} {featureGroup, recordIdentifiers, features?}`)
      .max(MAX_BATCH_GET_GROUPS, `must be a list of 1 to ${MAX_BATCH_GET_GROUPS} {featureGroup, recordIdentifiers, features?}`),
  }, { error: "must be a JSON object" }),
);

export function parseTargets(raw: unknown, field: string): Result<StoreTarget[] | undefined> {
  return fromZod(targetStoresSchema.safeParse(raw), field);
}

export interface PutBody {
  record: Record<string, unknown>;
  targetStores?: StoreTarget[];
  ttl?: TtlDuration;
}

export function parsePutBody(body: unknown): Result<PutBody> {
  return fromZod(putBodySchema.safeParse(body), "");
}

/** The batch's requests with identifiers as strings and the feature list (empty: every feature) filled in. */
export function batchGetRequests(body: z.output<typeof batchGetBodySchema>): BatchGetRequest[] {
  return body.requests.map(({ featureGroup, recordIdentifiers, features }) => ({ featureGroup, recordIdentifiers: recordIdentifiers.map(String), features: features ?? [] }));
}

export function parseBatchGet(body: unknown): Result<BatchGetRequest[]> {
  const parsed = fromZod(batchGetBodySchema.safeParse(body), "");
  return parsed.ok ? ok(batchGetRequests(parsed.value)) : parsed;
}
