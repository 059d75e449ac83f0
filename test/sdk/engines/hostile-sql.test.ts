// Generated SQL carries client-chosen names (entity table, its columns, the
// timestamp column, prefixes) as quoted identifiers. DuckDB runs the SQL the
// worker generates for names built to break out of quoting, and the
// injection never happens: the names come back as columns, a bystander
// table survives.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { native } from "../support";
import { call, createOfflineGroup, openDuck, type Duck } from "./engines";

const ENTITY_TABLE = 'ents"; DROP TABLE victims; --';
const TIMESTAMP = `t'ime"`;
const ENTITY_ID = 'i"d`';
const EXTRA = ["we`ird -- col", "\u05e9\u05dc\u05d5\u05dd \u202e", "a;b) x'"];
const PREFIX = "p\"x`'__";

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

describe("generated point-in-time SQL with hostile names", () => {
  let duck: Duck;
  let group: string;
  beforeAll(async () => {
    duck = await openDuck();
    group = await createOfflineGroup("hostilesql", [{ name: "age", type: "Integral" }]);
    await duck.run("CREATE TABLE victims (x INTEGER)");
    const columns = [ENTITY_ID, TIMESTAMP, ...EXTRA];
    await duck.run(`CREATE TABLE ${quote(ENTITY_TABLE)} (${columns.map((c) => `${quote(c)} VARCHAR`).join(", ")})`);
    await duck.run(`INSERT INTO ${quote(ENTITY_TABLE)} VALUES ('u1', '2026-06-01T00:00:00Z', 'w', 'r', 's')`);
  });
  afterAll(() => duck?.close());

  it("runs in DuckDB with every name intact and nothing injected", async () => {
    const sql = await call<{ duckdb: string; athena: string; spark: string }>("POST", "/datasets/sql", {
      entityTable: ENTITY_TABLE,
      entityColumns: [ENTITY_ID, TIMESTAMP, ...EXTRA],
      timestampColumn: TIMESTAMP,
      featureGroups: [{ name: group, entityColumn: ENTITY_ID, prefix: PREFIX, features: ["age"] }],
    });
    const rows = await duck.all(sql.duckdb);
    expect(rows).toEqual([{ [ENTITY_ID]: "u1", [TIMESTAMP]: "2026-06-01T00:00:00Z", [EXTRA[0]!]: "w", [EXTRA[1]!]: "r", [EXTRA[2]!]: "s", [`${PREFIX}age`]: null }]);
    expect(await duck.all("SELECT count(*)::INTEGER AS n FROM victims")).toEqual([{ n: 0 }]);
    // Athena quotes as DuckDB does; Spark doubles backticks.
    expect(sql.athena).toContain(quote(ENTITY_TABLE));
    expect(sql.spark).toContain("`we``ird -- col`");
    expect(sql.spark).toContain("`i\"d```");
  });

  it("refuses names no quoting can carry to every engine, naming the field", async () => {
    for (const [field, body] of [
      ["entityTable", { entityTable: "a\u0000b" }],
      ["entityColumns[1]", { entityColumns: ["id", "line\nbreak"] }],
      ["timestampColumn", { timestampColumn: "t\ud800" }],
    ] as const) {
      const res = await native<{ error: { code: string; field: string } }>("POST", "/datasets/sql", {
        entityColumns: ["id", "t"],
        timestampColumn: "t",
        featureGroups: [{ name: group, entityColumn: "id" }],
        ...body,
      });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: "invalid_field", field });
    }
  });
});
