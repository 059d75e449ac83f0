/// <reference types="vite/client" />
import { describe, expect, it } from "vitest";

/**
 * Client JSON reaches the HTTP layer only through the guarded parser
 * (src/formats/json.ts: byte, depth, item and string limits before JSON.parse).
 * The sources are read at build time (Vite's import.meta.glob), so a new
 * bare JSON.parse, or a Hono body reader that skips the limits, fails here
 * until it is the parser's or is listed as parsing the store's own data.
 */
const sources = import.meta.glob("../../src/http/**/*.ts", { query: "?raw", import: "default", eager: true }) as Record<string, string>;

/** JSON.parse of text the store wrote itself (records, job errors, query-worker rows), never of a request. */
const STORED_TEXT_PARSES = new Map<string, string[]>([
  ["http/sagemaker/wire.ts", ["body"]],
  ["http/native/jobs.ts", ["row.error", "run.error"]],
  ["http/native/parity.ts", ["run.error"]],
  ["http/native/datasets.ts", ["r", "r"]],
]);

const file = (path: string) => path.replace(/^.*\/src\//, "");

describe("the HTTP layer's JSON parsing", () => {
  it("parses request bodies only through the guarded parser", () => {
    expect(Object.keys(sources).length).toBeGreaterThan(20);
    const parses = new Map<string, string[]>();
    for (const [path, text] of Object.entries(sources)) {
      const found = [...text.matchAll(/JSON\.parse\(([^)]*)\)/g)].map((m) => m[1]!.trim());
      if (found.length) parses.set(file(path), found);
    }
    expect(Object.fromEntries(parses)).toEqual(Object.fromEntries(STORED_TEXT_PARSES));
  });

  it("never reads a body with Hono's or the platform's unguarded readers", () => {
    for (const [path, text] of Object.entries(sources)) {
      expect(text.match(/\.req\.(json|text|parseBody|arrayBuffer|formData)\(|\.raw\.(json|text|formData)\(/g), file(path)).toBeNull();
    }
  });
});
