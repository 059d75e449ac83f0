// Tables in the docs that are generated from the code: each must be exactly what its generator writes.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { actionsTableMarkdown } from "../../src/access/actions-table";
import { errorCodesTableMarkdown, NATIVE_ERROR_CODES } from "../../src/http/error-codes";
import { limitsTableMarkdown } from "../../src/http/limits-table";

const doc = (name: string) => readFileSync(resolve(import.meta.dirname, "../../docs", name), "utf8");

/** The text between `<!-- name:start -->` and `<!-- name:end -->`. */
const generated = (text: string, name: string) => new RegExp(`<!-- ${name}:start -->\\n([\\s\\S]*?)\\n<!-- ${name}:end -->`).exec(text)?.[1];

describe("docs/security.md", () => {
  it("lists exactly the actions of src/access/actions.ts (regenerate with actionsTableMarkdown())", () => {
    expect(generated(doc("security.md"), "actions")).toBe(actionsTableMarkdown());
  });
});

describe("docs/api.md", () => {
  it("lists exactly the error codes of src/http/error-codes.ts (regenerate with errorCodesTableMarkdown())", () => {
    expect(generated(doc("api.md"), "error-codes")).toBe(errorCodesTableMarkdown());
  });

  it("lists exactly the limits of src/records/limits.ts (regenerate with limitsTableMarkdown())", () => {
    expect(generated(doc("api.md"), "limits")).toBe(limitsTableMarkdown());
  });

  it("names no native error code outside the generated table that the code does not answer", () => {
    // Prose elsewhere in the doc quotes codes as `<status> <code>`; each must be a code with that status.
    const text = doc("api.md");
    for (const [, status, code] of text.matchAll(/`(\d{3}) ([a-z_]+)`/g)) {
      expect(NATIVE_ERROR_CODES, `${status} ${code}`).toHaveProperty(code!);
      expect(String(NATIVE_ERROR_CODES[code as keyof typeof NATIVE_ERROR_CODES].status), `${status} ${code}`).toBe(status);
    }
  });
});
