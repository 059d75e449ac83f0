import { z } from "zod";
import { NATIVE_ERROR_CODES, type NativeErrorCode } from "../../error-codes";
import { named } from "../../openapi";

export { named };

/**
 * Building blocks of the native routes' schemas (src/http/route.ts): query
 * parameters that keep the rules the API has always stated, the one error
 * shape, and names for schemas the OpenAPI document lists as components.
 */

/** A JSON object that refuses unknown keys with a rule naming the ones it knows. */
export function closedObject<T extends z.core.$ZodLooseShape>(shape: T, what: string) {
  const rule = `is not a field of ${what} (expected ${Object.keys(shape).join(", ")})`;
  return z.strictObject(shape, { error: (issue) => (issue.code === "unrecognized_keys" ? rule : issue.code === "invalid_type" ? "must be a JSON object" : undefined) });
}

/** An integer query parameter within bounds, or its default when absent. */
export function intQuery(min: number, max: number, fallback: number, description: string) {
  const rule = `must be an integer from ${min} to ${max}`;
  return z
    .string()
    .regex(/^\d+$/, rule)
    .refine((raw) => Number(raw) >= min && Number(raw) <= max, rule)
    .transform(Number)
    .default(fallback)
    .describe(`${description} An integer from ${min} to ${max}; ${fallback} when absent.`);
}

/** An enumerated query parameter, or its default when absent. */
export function enumQuery<const T extends readonly [string, ...string[]]>(allowed: T, fallback: T[number], description: string) {
  return z
    .enum(allowed, { error: `must be one of ${allowed.join(", ")}` })
    .default(fallback as never)
    .describe(`${description} One of ${allowed.join(", ")}; ${fallback} when absent.`) as z.ZodDefault<z.ZodEnum<{ [K in T[number]]: K }>>;
}

/** A list query parameter: repeated (`?f=a&f=b`) or comma-separated (`?f=a,b`); empty items dropped. */
export function listQuery(description: string) {
  return z.array(z.string()).optional().describe(`${description} Repeat the parameter or separate items with commas.`);
}

/** An optional string query parameter. */
export const stringQuery = (description: string) => z.string().optional().describe(description);

/** A path parameter (already percent-decoded); the route's own rules apply to it after. */
export const pathParam = (description: string) => z.string().describe(description);

/** `{name}`: a feature group. */
export const groupPath = z.object({ name: pathParam("The feature group's name.") });

/** An ISO-8601 UTC timestamp as answers carry them. */
export const timestamp = z.string().describe("ISO-8601 UTC time, e.g. 2026-11-25T08:00:00.000Z");

const ERROR_CODES = Object.keys(NATIVE_ERROR_CODES) as [NativeErrorCode, ...NativeErrorCode[]];

/** The native API's one error shape (src/http/render.ts); codes and statuses are listed in docs/api.md. */
export const errorResponse = named(
  "Error",
  z.object({
    error: z.object({
      code: z.enum(ERROR_CODES),
      message: z.string().describe("Names the field and the rule the request broke, or what failed."),
      field: z.string().optional().describe("The field the failure is about (`record.age`, `requests[0].recordIdentifiers`)."),
      requestId: z.string().describe("Also in the x-request-id header; finds the request in the logs."),
    }),
  }),
);

/** An error inside a 200 answer (a batch's per-item errors, a run's failure). */
export const itemError = named(
  "ItemError",
  z.object({ code: z.string(), message: z.string(), field: z.string().optional() }),
);

/** A feature value as stored: a scalar, or a list for collection features. */
export const featureValue = named(
  "FeatureValue",
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.union([z.string(), z.number()]))]).describe("A feature's value: String, Integral or Fractional, or a list for collection types."),
);

/** A record: feature name to value. */
export const featureRecord = named("Record", z.record(z.string(), featureValue));
