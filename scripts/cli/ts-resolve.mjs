// Resolve hook: lets the CLI import the project's own TypeScript modules
// (src/records, src/offline) with Node's built-in type stripping. The sources
// use bundler-style extensionless specifiers ("./types", "../records"), which
// Node's ESM resolver does not try; this adds ".ts" or "/index.ts" for
// relative specifiers inside the project's src/ only.
export async function resolve(specifier, context, nextResolve) {
  const parent = context.parentURL ?? "";
  if ((specifier.startsWith("./") || specifier.startsWith("../")) && parent.includes("/src/") && !/\.[cm]?[jt]s$/.test(specifier)) {
    for (const suffix of [".ts", "/index.ts"]) {
      try {
        return await nextResolve(specifier + suffix, context);
      } catch {
        // try the next form
      }
    }
  }
  return nextResolve(specifier, context);
}
