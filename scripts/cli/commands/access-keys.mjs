import { call } from "./passthrough.mjs";

/**
 * /v1/admin/access-keys: thin pass-through. The secret a create or rotate
 * returns is printed once to stdout, as the API answers it; nothing is
 * stored or logged by the CLI.
 */
export const accessKeyCommands = {
  create: call("create an access key (prints its secret once)", "access-keys create [--file key.json]", "POST", () => "/admin/access-keys", { body: "empty" }),
  list: call("list access keys (never their secrets)", "access-keys list", "GET", () => "/admin/access-keys"),
  rotate: call("rotate an access key's secret (prints the new secret once)", "access-keys rotate <access-key-id>", "POST", (id) => `/admin/access-keys/${id}/rotate`, { body: "empty" }),
  revoke: call("revoke an access key", "access-keys revoke <access-key-id>", "DELETE", (id) => `/admin/access-keys/${id}`),
};
