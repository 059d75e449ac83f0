import { z } from "zod";
import { isListParam, type DocumentedRoute, type ResponseSpec } from "./route";

/**
 * The OpenAPI 3.1 document of the native API, built from the routes'
 * declarations (src/http/route.ts): nothing here is written per route.
 * Request schemas render as the client sends them (zod "input"), answers as
 * the store sends them ("output"). Named schemas (`named` below) become
 * components; the rest are inlined.
 */

type JsonSchema = Record<string, unknown>;

/** Schemas listed under components.schemas by name; others are inlined where used. */
export const namedSchemas = new Map<z.ZodType, string>();

/** Names a schema for the OpenAPI document; a name belongs to one schema. */
export function named<S extends z.ZodType>(name: string, schema: S): S {
  for (const [other, taken] of namedSchemas) if (taken === name && other !== schema) throw new Error(`schema name ${name} is already taken`);
  namedSchemas.set(schema, name);
  return schema;
}

const COMPONENT_REF = (name: string) => `#/components/schemas/${name}`;

/** Renders the named schemas one side uses as components, with refs between them. */
function components(schemas: Set<z.ZodType>, io: "input" | "output"): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const schema of schemas) registry.add(schema, { id: namedSchemas.get(schema)! });
  const rendered = z.toJSONSchema(registry, { io, uri: COMPONENT_REF, unrepresentable: "any" }).schemas;
  return Object.fromEntries(Object.entries(rendered).map(([name, { $schema: _schema, $id: _id, ...schema }]) => [name, schema as JsonSchema]));
}

/** A schema inline, or a ref when it is named. */
function schemaOf(schema: z.ZodType, io: "input" | "output", used: Set<z.ZodType>): JsonSchema {
  if (namedSchemas.has(schema)) {
    used.add(schema);
    return { $ref: COMPONENT_REF(namedSchemas.get(schema)!) };
  }
  const { $schema: _schema, ...rendered } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as JsonSchema;
  return rendered;
}

function parameters(route: DocumentedRoute): JsonSchema[] {
  const { params, query } = route.spec;
  const list: JsonSchema[] = [];
  for (const [where, object] of [["path", params], ["query", query]] as const) {
    if (!object) continue;
    for (const [name, member] of Object.entries(object.shape) as [string, z.ZodType][]) {
      const { description, ...schema } = schemaOf(member, "input", new Set());
      const required = where === "path" || !member.safeParse(undefined).success;
      list.push({
        name,
        in: where,
        required,
        ...(description !== undefined ? { description } : {}),
        ...(isListParam(member) ? { style: "form", explode: true } : {}),
        schema,
      });
    }
  }
  return list;
}


/** The errors a route can answer besides its own: authentication, authorization, rate limit, and those its input can cause. */
function errorResponses(route: DocumentedRoute, error: z.ZodType): Record<string, JsonSchema> {
  const { params, query, body, rawBody } = route.spec;
  const errorContent = { "application/json": { schema: { $ref: COMPONENT_REF(namedSchemas.get(error)!) } } };
  const answer = (description: string) => ({ description, content: errorContent });
  return {
    ...(params || query || body || rawBody ? { "400": answer("A field breaks a rule: `field` names it, `message` states the rule.") } : {}),
    "401": answer("Credentials missing or wrong."),
    "403": answer("The key's policy does not allow the action on the resource."),
    ...(params ? { "404": answer("The resource in the path does not exist.") } : {}),
    ...(body || rawBody ? { "413": answer("The body is over the route's limit.") } : {}),
    "429": answer("The key is over its rate limit; retry with backoff."),
    default: answer("Any other error, in the one error shape (docs/api.md, Errors)."),
  };
}

function response(spec: ResponseSpec, used: Set<z.ZodType>): JsonSchema {
  const types = spec.contentTypes ?? (spec.schema ? ["application/json"] : []);
  return {
    description: spec.description,
    ...(spec.headers ? { headers: Object.fromEntries(Object.entries(spec.headers).map(([name, description]) => [name, { description, schema: { type: "string" } }])) } : {}),
    ...(types.length
      ? { content: Object.fromEntries(types.map((type) => [type, type === "application/json" && spec.schema ? { schema: schemaOf(spec.schema, "output", used) } : {}])) }
      : {}),
  };
}

function operation(route: DocumentedRoute, error: z.ZodType, requests: Set<z.ZodType>, answers: Set<z.ZodType>): JsonSchema {
  const { spec } = route;
  const { example } = spec;
  const params = parameters(route);
  return {
    operationId: spec.operationId,
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    tags: [spec.tag],
    "x-action": spec.action === "authenticated" ? "any authenticated key" : spec.action,
    ...(params.length ? { parameters: params } : {}),
    ...(spec.body
      ? {
          requestBody: {
            required: !spec.body.optional,
            description: `JSON, at most ${spec.body.maxBytes} bytes.`,
            content: { "application/json": { schema: schemaOf(spec.body.schema, "input", requests), ...(example.body !== undefined ? { example: example.body } : {}) } },
          },
        }
      : {}),
    ...(spec.rawBody ? { requestBody: { required: true, description: `${spec.rawBody.description} At most ${spec.rawBody.maxBytes} bytes.`, content: Object.fromEntries(spec.rawBody.contentTypes.map((type) => [type, {}])) } } : {}),
    "x-example-request": example,
    responses: { ...Object.fromEntries(spec.responses.map((r) => [String(r.status), response(r, answers)])), ...errorResponses(route, error) },
  };
}

/** Adds every named schema a named schema contains, so each renders as a ref. */
function withNested(roots: Set<z.ZodType>): Set<z.ZodType> {
  const all = new Set(roots);
  const visit = (value: unknown, seen: Set<unknown>): void => {
    if (typeof value !== "object" || value === null || seen.has(value)) return;
    seen.add(value);
    if (value instanceof z.ZodType && namedSchemas.has(value)) all.add(value);
    for (const child of Object.values(value instanceof z.ZodType ? value._zod.def : value)) visit(child, seen);
  };
  for (const root of roots) visit(root._zod.def, new Set());
  return all;
}

/** Merges the two sides' components; a name rendered differently on each side would be ambiguous and fails the build. */
function mergeComponents(requests: Record<string, JsonSchema>, answers: Record<string, JsonSchema>): Record<string, JsonSchema> {
  const merged = { ...requests };
  for (const [name, schema] of Object.entries(answers)) {
    if (merged[name] && JSON.stringify(merged[name]) !== JSON.stringify(schema)) throw new Error(`OpenAPI: schema ${name} differs between requests and answers`);
    merged[name] = schema;
  }
  return merged;
}

export interface ApiInfo {
  title: string;
  version: string;
  /** The one error shape every route can answer; it must be named. */
  error: z.ZodType;
}

/** The OpenAPI 3.1 document of the given routes. */
export function openApiDocument(routes: readonly DocumentedRoute[], info: ApiInfo): JsonSchema {
  const requests = new Set<z.ZodType>();
  const answers = new Set<z.ZodType>();
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) (paths[route.path] ??= {})[route.spec.method] = operation(route, info.error, requests, answers);
  answers.add(info.error);
  return {
    openapi: "3.1.0",
    info: { title: info.title, version: info.version, description: "The native API of Edge Feature Store (docs/api.md). Generated from the routes' declarations. The SageMaker-compatible API follows AWS's own models and is not described here." },
    servers: [{ url: "/" }],
    security: [{ bearer: [] }, { sigv4: [] }],
    tags: [...new Set(routes.map((r) => r.spec.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "`Authorization: Bearer <accessKeyId>:<secretAccessKey>`." },
        sigv4: { type: "apiKey", in: "header", name: "authorization", description: "AWS Signature Version 4 (service sagemaker), as the AWS SDKs sign." },
      },
      schemas: mergeComponents(components(withNested(requests), "input"), components(withNested(answers), "output")),
    },
  };
}
