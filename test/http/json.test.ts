import { describe, expect, it } from "vitest";
import { jsonShapeViolation, MAX_JSON_DEPTH, MAX_JSON_ITEMS, parseJson } from "../../src/formats/json";
import { api, createGroup } from "../helpers";

const small = { maxDepth: 3, maxItems: 4, maxStringChars: 5 };

describe("the guarded JSON parser", () => {
  it("parses documents within the limits exactly as JSON.parse does", () => {
    const text = '{"a":[1,2,{"b":"x\\"y"}],"c":"\\u00e9"}';
    expect(parseJson(text, "body")).toEqual({ ok: true, value: JSON.parse(text) });
  });

  it("refuses nesting past the depth limit, naming the rule", () => {
    expect(jsonShapeViolation("[[[1]]]", small)).toBeNull();
    expect(jsonShapeViolation("[[[[1]]]]", small)).toMatch(/more than 3 levels deep/);
    const deep = parseJson("[".repeat(100_000) + "]".repeat(100_000), "body");
    expect(deep).toEqual({ ok: false, failure: { reason: "invalid_field", field: "body", rule: `must not nest arrays and objects more than ${MAX_JSON_DEPTH} levels deep` } });
  });

  it("counts items per container, not per document", () => {
    expect(jsonShapeViolation("[1,2,3,4]", small)).toBeNull();
    expect(jsonShapeViolation("[1,2,3,4,5]", small)).toMatch(/more than 4 items/);
    expect(jsonShapeViolation('[[1,2,3,4],[1,2,3,4],{"a":1,"b":2,"c":3,"d":4}]', small)).toBeNull();
    expect(jsonShapeViolation('{"a":1,"b":2,"c":3,"d":4,"e":5}', small)).toMatch(/more than 4 items/);
    expect(parseJson(`[${"0,".repeat(MAX_JSON_ITEMS)}0]`, "body").ok).toBe(false);
  });

  it("measures strings and member names after escapes, and ignores brackets and commas inside them", () => {
    expect(jsonShapeViolation('["\\u0041\\n\\"bc"]', small)).toBeNull();
    expect(jsonShapeViolation('["abcdef"]', small)).toMatch(/longer than 5 characters/);
    expect(jsonShapeViolation('{"abcdef":1}', small)).toMatch(/longer than 5 characters/);
    expect(jsonShapeViolation('[",,,,", "[[[["]', small)).toBeNull();
  });

  it("never throws on text that is not JSON, and leaves the verdict to JSON.parse", () => {
    for (const text of ['"\\', "[\\u", '{"a', "]]]]", ",,,,,", "\u0000", "\ud800"]) {
      expect(() => jsonShapeViolation(text, small)).not.toThrow();
      expect(parseJson(text, "body").ok).toBe(false);
    }
    expect(parseJson("  ", "body")).toMatchObject({ ok: false, failure: { field: "body", rule: "must be a JSON document (it is empty)" } });
  });
});

describe("JSON routes under the shape limits", () => {
  it("answer a deeply nested put with 400 naming the rule, and write nothing", async () => {
    const group = await createGroup();
    const res = await api("PUT", `/v1/feature-groups/${group}/records`, `{"record":{"id":"a","ts":"2026-01-01T00:00:00Z","city":${"[".repeat(5000)}${"]".repeat(5000)}}}`);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "invalid_field", field: "body" });
    expect(res.body.error.message).toMatch(/levels deep/);
    expect((await api("GET", `/v1/feature-groups/${group}/records/a`)).status).toBe(404);
  });

  it("answer the SageMaker runtime in its own error shape", async () => {
    const group = await createGroup();
    const res = await api("PUT", `/FeatureGroup/${group}`, `{"Record":[${"{},".repeat(MAX_JSON_ITEMS)}{}]}`);
    expect(res.status).toBe(400);
    expect(res.headers.get("x-amzn-ErrorType")).toBe("ValidationError");
    expect(res.body.Message).toMatch(/more than 100000 items/);
  });
});
