import { defineConfig } from "drizzle-kit";

// `npm run db:generate` writes flat SQL migrations that wrangler applies.
export default defineConfig({
  dialect: "sqlite",
  schema: ["./src/catalog/schema.ts", "./src/offline/schema.ts", "./src/jobs/schema.ts", "./src/access/schema.ts", "./src/crypto/schema.ts", "./src/datasets/schema.ts", "./src/parity/schema.ts", "./src/ui/schema.ts"],
  out: "./migrations",
});
