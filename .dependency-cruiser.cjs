/**
 * Layer rules for src/, checked by `npm test` (npm run deps).
 * Transports (src/http, src/rpc) turn requests into calls on the contexts;
 * a context that imported a transport would tie domain logic to one wire
 * format, which is how three copies of the same parser came about.
 */
const CONTEXTS = "^src/(access|auth|catalog|crypto|datasets|formats|ingest|jobs|offline|online|parity|parquet|query|records|service)/";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "context-imports-transport",
      comment: "Contexts serve every transport; shared input parsing or views belong in a context, not in src/http or src/rpc.",
      severity: "error",
      from: { path: CONTEXTS },
      to: { path: "^src/(http|rpc|ui)/" },
    },
    {
      name: "transport-deep-import",
      comment: "A context's public surface is its index.ts; a transport reaching past it couples to internals the context may change.",
      severity: "error",
      // limits-table.ts is also loaded in plain Node by the docs test (test/sdk/docs.test.ts): it takes the leaf
      // modules that hold the limits, since an index would pull parquet-wasm's .wasm import into Node.
      from: { path: "^src/(http|rpc|ui)/", pathNot: "^src/http/limits-table\\.ts$" },
      to: { path: CONTEXTS, pathNot: "/index\\.tsx?$" },
    },
    {
      name: "no-circular",
      comment: "A cycle makes module initialisation order matter and hides which layer owns what.",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true, dependencyTypesNot: ["type-only"] },
    },
    {
      name: "not-to-test",
      comment: "Product code never imports test code.",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^test/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    exclude: { path: "\\.d\\.ts$" },
  },
};
