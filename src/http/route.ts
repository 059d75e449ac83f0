import { Hono } from "hono";
import { z } from "zod";
import type { Action } from "../access";
import { fromZod } from "../catalog";
import { invalid, orThrow, type Result } from "../failure";
import { authenticatedOnly, authorize, type GroupsOf } from "./authorize";
import { readJsonBody, readTextBody } from "./body";
import type { AppContext, AppEnv } from "./context";
import { parseJson, type JsonLimits } from "../formats";

/**
 * The one way a native route is declared: method, path, action, the zod
 * schemas of its path parameters, query and JSON body, its answers, a
 * summary and an example request. The same declaration registers the Hono
 * handler, validates the request before the handler runs (the body through
 * the guarded JSON parser with the route's byte and shape limits, then the
 * schema; the first issue becomes a 400 naming the field and the rule), and
 * feeds the OpenAPI document (src/http/openapi.ts). A route cannot be
 * documented one way and validated another.
 */

export type HttpMethod = "get" | "post" | "put" | "patch" | "delete";

/** Anything a route declares with a zod schema has string keys: path parameters and query parameters. */
export type ParamsSchema = z.ZodObject;

export interface JsonBodySpec<S extends z.ZodType> {
  schema: S;
  /** The route's body limit (src/records/limits.ts), checked before a byte is parsed. */
  maxBytes: number;
  limits?: JsonLimits;
  /** A body of zero bytes is read as `undefined` for the schema (e.g. a request whose options all have defaults). */
  optional?: boolean;
}

/** A body the handler reads itself (streamed or binary): declared for the document only. */
export interface RawBodySpec {
  contentTypes: readonly string[];
  maxBytes: number;
  description: string;
}

export interface ResponseSpec {
  status: number;
  description: string;
  /** The JSON answer; absent for an empty answer or one that is not JSON. */
  schema?: z.ZodType;
  /** Defaults to application/json when there is a schema. */
  contentTypes?: readonly string[];
  headers?: Readonly<Record<string, string>>;
}

export interface ExampleRequest {
  params?: Record<string, string>;
  query?: Record<string, string | string[]>;
  body?: unknown;
}

export interface RouteSpec<P extends ParamsSchema | undefined, Q extends ParamsSchema | undefined, B extends z.ZodType | undefined> {
  method: HttpMethod;
  /** Relative to the group's prefix, in Hono's syntax (`/:name`). */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  /** Groups routes in the document (OpenAPI tags). */
  tag: string;
  /** A policy action (src/access/actions.ts), or "authenticated": any valid key. */
  action: Action | "authenticated";
  /** The feature groups a "group" action checks. */
  groups?: GroupsOf;
  params?: P;
  query?: Q;
  body?: B extends z.ZodType ? JsonBodySpec<B> : never;
  rawBody?: RawBodySpec;
  responses: readonly ResponseSpec[];
  /** A request that the schemas accept (test/http/openapi.test.ts checks it). */
  example: ExampleRequest;
}

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteInput<P, Q, B> {
  params: Parsed<P>;
  query: Parsed<Q>;
  body: Parsed<B>;
}

/** A route as the document sees it: its full path (`/v1/feature-groups/{name}`) and its declaration. */
export interface DocumentedRoute {
  path: string;
  spec: RouteSpec<ParamsSchema | undefined, ParamsSchema | undefined, z.ZodType | undefined>;
}

/** Unwraps optional, default and pipe wrappers to the schema that says what kind of value is expected. */
function innerSchema(schema: z.ZodType): z.ZodType {
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodDefault || schema instanceof z.ZodNullable || schema instanceof z.ZodPrefault) return innerSchema(schema.unwrap() as z.ZodType);
  if (schema instanceof z.ZodPipe) return innerSchema(schema.in as z.ZodType);
  return schema;
}

/** Whether a query parameter takes a list: given repeated (`?f=a&f=b`) or comma-separated (`?f=a,b`). */
export function isListParam(schema: z.ZodType): boolean {
  return innerSchema(schema)._zod.def.type === "array";
}

/** Whether the schema is a JSON object (so a body of another kind is refused as such). */
function expectsObject(schema: z.ZodType): boolean {
  return innerSchema(schema)._zod.def.type === "object";
}

/** The query parameters the schema names, as the client sent them; others are ignored. */
function queryInput(c: AppContext, schema: ParamsSchema): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(schema.shape)) {
    if (isListParam(member as z.ZodType)) {
      const values = (c.req.queries(name) ?? []).flatMap((v) => v.split(",")).filter((v) => v !== "");
      if (values.length > 0) input[name] = values;
    } else {
      const value = c.req.query(name);
      if (value !== undefined) input[name] = value;
    }
  }
  return input;
}

async function bodyInput(c: AppContext, spec: JsonBodySpec<z.ZodType>): Promise<Result<unknown>> {
  if (spec.optional) {
    const text = await readTextBody(c.req.raw, spec.maxBytes);
    if (!text.ok || text.value === "") return text.ok ? { ok: true, value: undefined } : text;
    return parseJson(text.value, "body", spec.limits);
  }
  return readJsonBody(c.req.raw, spec.maxBytes, spec.limits);
}

function validated<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  return orThrow(fromZod(schema.safeParse(value), ""));
}

/** Parses and validates a request against its route's declaration; throws the first failure. */
async function routeInput<P extends ParamsSchema | undefined, Q extends ParamsSchema | undefined, B extends z.ZodType | undefined>(
  c: AppContext,
  spec: RouteSpec<P, Q, B>,
): Promise<RouteInput<P, Q, B>> {
  const params = spec.params ? validated(spec.params, c.req.param()) : undefined;
  const query = spec.query ? validated(spec.query, queryInput(c, spec.query)) : undefined;
  let body: unknown = undefined;
  if (spec.body) {
    const raw = orThrow(await bodyInput(c, spec.body));
    if (raw !== undefined && expectsObject(spec.body.schema) && (typeof raw !== "object" || raw === null || Array.isArray(raw))) orThrow(invalid("body", "must be a JSON object"));
    body = validated(spec.body.schema, raw);
  }
  return { params, query, body } as RouteInput<P, Q, B>;
}

/**
 * A set of routes under one prefix (`/feature-groups`): the Hono app to
 * mount there, and the declarations the OpenAPI document is built from.
 */
export class RouteGroup {
  readonly app = new Hono<AppEnv>();
  readonly #routes: DocumentedRoute[] = [];

  constructor(readonly prefix: string) {}

  /** The group's routes with their full paths under `base` (`/v1`), in OpenAPI's `{param}` syntax. */
  documented(base: string): DocumentedRoute[] {
    return this.#routes.map((route) => ({ ...route, path: openApiPath(joinPath(base, this.prefix, route.path)) }));
  }

  add<P extends ParamsSchema | undefined = undefined, Q extends ParamsSchema | undefined = undefined, B extends z.ZodType | undefined = undefined>(
    spec: RouteSpec<P, Q, B>,
    handler: (c: AppContext, input: RouteInput<P, Q, B>) => Response | Promise<Response>,
  ): void {
    const access = spec.action === "authenticated" ? authenticatedOnly() : authorize(spec.action, spec.groups);
    this.app.on(spec.method.toUpperCase(), spec.path, access, async (c) => handler(c, await routeInput(c, spec)));
    this.#routes.push({ path: spec.path, spec: spec as unknown as DocumentedRoute["spec"] });
  }
}

/** Joins path pieces the way Hono mounts sub-apps: one slash between pieces, none trailing. */
export function joinPath(...pieces: string[]): string {
  const joined = pieces.join("/").replace(/\/+/g, "/");
  return joined.length > 1 ? joined.replace(/\/$/, "") : joined;
}

/** `/feature-groups/:name` → `/feature-groups/{name}`. */
export function openApiPath(honoPath: string): string {
  return honoPath.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
}
