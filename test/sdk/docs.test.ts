// docs/security.md lists every action: its table must be the one generated from src/access/actions.ts.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { actionsTableMarkdown } from "../../src/access/actions-table";

describe("docs/security.md", () => {
  it("lists exactly the actions of src/access/actions.ts (regenerate with actionsTableMarkdown())", () => {
    const doc = readFileSync(resolve(import.meta.dirname, "../../docs/security.md"), "utf8");
    const table = /<!-- actions:start -->\n([\s\S]*?)\n<!-- actions:end -->/.exec(doc)?.[1];
    expect(table).toBe(actionsTableMarkdown());
  });
});
