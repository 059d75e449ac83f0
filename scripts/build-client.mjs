#!/usr/bin/env node
// Builds the TypeScript client (clients/typescript/src) into one plain ES
// module, clients/typescript/dist/index.js, which package.json exports as
// "edge-feature-store/client" (its types point at the TypeScript source).
// `npm test` and `npm ci` (prepare) run it; dist/ is not committed.
//
// The client imports only types from the server (src/), which vanish here;
// the build fails if anything else of the repository ends up in the bundle,
// so the module stays dependency-free.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
export const CLIENT_BUNDLE = `${ROOT}clients/typescript/dist/index.js`;

/** Builds the bundle; returns its path. */
export async function buildClient() {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: ["clients/typescript/src/index.ts"],
    outfile: CLIENT_BUNDLE,
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    metafile: true,
    logLevel: "warning",
  });
  const outside = Object.keys(result.metafile.inputs).filter((path) => !path.startsWith("clients/typescript/src/"));
  if (outside.length) throw new Error(`the client bundle must hold only clients/typescript/src, but it holds ${outside.join(", ")}`);
  return CLIENT_BUNDLE;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    await buildClient();
  } catch (error) {
    process.stderr.write(`building the client failed: ${error?.message ?? error}\n`);
    process.exit(1);
  }
}
