import { call } from "./passthrough";

/**
 * /v1/admin/access-keys: thin pass-through. The secret a create or rotate
 * returns is printed once to stdout, as the API answers it; nothing is
 * stored or logged by the CLI.
 */
export const accessKeyCommands = {
  create: call("create an access key from {name, policy, rateLimit} (prints its secret once)", "access-keys create --file key.json", "POST", () => "/admin/access-keys", { body: "required" }),
  list: call("list access keys (never their secrets)", "access-keys list [--limit n] [--next-token t]", "GET", () => "/admin/access-keys", { query: { limit: "page size", "next-token": "continue a previous page" } }),
  get: call("show one access key (never its secret)", "access-keys get <access-key-id>", "GET", (id) => `/admin/access-keys/${id}`),
  update: call("change a key's name, status (Active/Inactive), policy or rate limit", "access-keys update <access-key-id> --file changes.json", "PATCH", (id) => `/admin/access-keys/${id}`, { body: "required" }),
  rotate: call("issue a new key with the same policy (prints its secret once); the old one works for --file's overlapSeconds", "access-keys rotate <access-key-id> [--file {overlapSeconds}]", "POST", (id) => `/admin/access-keys/${id}/rotate`, { body: "empty" }),
  revoke: call("revoke an access key", "access-keys revoke <access-key-id>", "DELETE", (id) => `/admin/access-keys/${id}`),
};
