import { describe, expect, it } from "vitest";
import { z } from "zod";
import { app } from "../../src/http/app";
import { nativeRoutes } from "../../src/http/native";
import { accessKey } from "../../src/http/native/schemas/admin";
import { featureGroup, featureGroupList, tagsResponse } from "../../src/http/native/schemas/catalog";
import { errorResponse } from "../../src/http/native/schemas/common";
import { batchGetResponse, putRecordResponse, recordResponse } from "../../src/http/native/schemas/records";
import { api, createGroup, putRecord, at } from "../helpers";
import { as, createKey, policy } from "../access/support";

/**
 * GET /v1/openapi.json: generated from the routes' declarations, so it
 * must list exactly the routes the app answers, and what it documents must
 * be what the routes accept and answer.
 */

interface Operation {
  operationId: string;
  parameters?: { name: string; in: string; required: boolean }[];
  requestBody?: { content: Record<string, { schema?: unknown }> };
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, { type: string; scheme?: string }>; schemas: Record<string, unknown> };
}

const METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE"]);
const openApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");

/** The app's native routes as Hono registered them (middleware, `use("*")`, excluded). */
function appRoutes(): string[] {
  const routes = app.routes.filter((r) => METHODS.has(r.method) && r.path.startsWith("/v1/"));
  return [...new Set(routes.map((r) => `${r.method} ${openApiPath(r.path)}`))].sort();
}

async function fetchDocument(): Promise<Document> {
  const res = await api<Document>("GET", "/v1/openapi.json");
  expect(res.status).toBe(200);
  return res.body;
}

describe("GET /v1/openapi.json", () => {
  it("lists every native route the app answers, and none it does not", async () => {
    const document = await fetchDocument();
    const documented = Object.entries(document.paths)
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    expect(appRoutes().length).toBeGreaterThan(50);
    expect(documented).toEqual(appRoutes());
  });

  it("is an OpenAPI 3.1 document with bearer authentication and the one error shape", async () => {
    const document = await fetchDocument();
    expect(document.openapi).toBe("3.1.0");
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
    expect(document.components.schemas.Error).toMatchObject({ type: "object", properties: { error: { type: "object" } } });
    const ids = new Set<string>();
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const operation of Object.values(operations)) {
        expect(ids.has(operation.operationId), `${operation.operationId} is unique`).toBe(false);
        ids.add(operation.operationId);
        expect(operation.responses["401"]?.content?.["application/json"]?.schema?.$ref).toBe("#/components/schemas/Error");
        for (const name of path.match(/\{([^}]+)\}/g) ?? []) {
          expect(operation.parameters?.some((p) => p.in === "path" && `{${p.name}}` === name && p.required), `${operation.operationId} declares ${name}`).toBe(true);
        }
      }
    }
    // Every reference resolves to a component.
    const refs = JSON.stringify(document).match(/"\$ref":"[^"]+"/g) ?? [];
    for (const ref of refs) {
      const target = /#\/components\/schemas\/([^"]+)"/.exec(ref)?.[1];
      expect(target !== undefined && target in document.components.schemas, ref).toBe(true);
    }
  });

  it("is readable by any authenticated key, whatever its policy, and by no one without a key", async () => {
    const denyAll = await createKey({ name: "openapi-deny-all", policy: policy({ Effect: "Deny", Action: "*", Resource: "*" }) });
    expect((await as(denyAll, "GET", "/v1/openapi.json")).status).toBe(200);
    expect((await api("GET", "/v1/openapi.json", undefined, { authorization: "" })).status).toBe(401);
  });

  it("has an example request for every route that its schemas accept", () => {
    for (const { path, spec } of nativeRoutes()) {
      const where = `${spec.method.toUpperCase()} ${path}`;
      const { example } = spec;
      for (const name of path.match(/\{([^}]+)\}/g) ?? []) expect(example.params?.[name.slice(1, -1)], `${where} example names ${name}`).toBeDefined();
      if (spec.params) expect(spec.params.safeParse(example.params ?? {}).error?.issues, `${where} params`).toBeUndefined();
      // Query examples are given as the route reads them: one string, or a list for list parameters.
      if (spec.query) expect(spec.query.safeParse(example.query ?? {}).error?.issues, `${where} query`).toBeUndefined();
      if (spec.body) expect(spec.body.schema.safeParse(example.body).error?.issues, `${where} body`).toBeUndefined();
      else expect(example.body, `${where} has no JSON body`).toBeUndefined();
    }
  });

  it("describes the answers routes really give", async () => {
    const name = await createGroup({ offline: false });
    const check = (schema: z.ZodType, body: unknown, what: string) => expect(schema.safeParse(body).error?.issues, what).toBeUndefined();

    check(featureGroup, (await api("GET", `/v1/feature-groups/${name}`)).body, "describeFeatureGroup");
    check(featureGroupList, (await api("GET", `/v1/feature-groups?nameContains=${name}`)).body, "listFeatureGroups");
    const put = await putRecord(name, { id: "r1", ts: at(1), age: 30 });
    expect(put.status).toBe(200);
    check(putRecordResponse, put.body, "putRecord");
    check(recordResponse, (await api("GET", `/v1/feature-groups/${name}/records/r1`)).body, "getRecord");
    check(batchGetResponse, (await api("POST", "/v1/records/batch-get", { requests: [{ featureGroup: name, recordIdentifiers: ["r1", "nope"] }] })).body, "batchGetRecords");
    check(tagsResponse, (await api("PUT", `/v1/feature-groups/${name}/tags`, { tags: [{ key: "team", value: "ml" }] })).body, "addTags");
    const created = await api("POST", "/v1/admin/access-keys", { name: "openapi-answer" });
    check(accessKey, created.body.accessKey, "createAccessKey");
    check(errorResponse, (await api("GET", "/v1/feature-groups/no-such-group-openapi")).body, "error");
  });

  it("refuses a request its schema refuses with a 400 naming the field and the rule", async () => {
    const name = await createGroup({ offline: false });
    const res = await api("PUT", `/v1/feature-groups/${name}/records`, { record: { id: "r1" }, targetStores: ["nowhere"] });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "invalid_field", field: "targetStores", message: "targetStores: must be a list of online, offline" });
    const unknown = await api("PUT", `/v1/feature-groups/${name}/records`, { record: { id: "r1" }, extra: 1 });
    expect(unknown.body.error).toMatchObject({ code: "invalid_field", field: "extra", message: "extra: is not a field of a put (expected record, targetStores, ttl)" });
    const limit = await api("GET", `/v1/feature-groups?limit=1000`);
    expect(limit.body.error).toMatchObject({ code: "invalid_field", field: "limit", message: "limit: must be an integer from 1 to 100" });
  });
});
