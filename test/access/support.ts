import { api, type ApiResponse } from "../helpers";

/** Access-key helpers for the workers project: keys are created by the root key through the admin API. */

export interface IssuedKey {
  accessKeyId: string;
  secretAccessKey: string;
  auth: string;
}

export async function createKey(settings: { name?: string; policy?: unknown; rateLimit?: unknown } = {}): Promise<IssuedKey> {
  const res = await api("POST", "/v1/admin/access-keys", { name: settings.name ?? "test key", ...settings });
  if (res.status !== 201) throw new Error(`createKey failed: ${res.status} ${res.text}`);
  const { accessKey, secretAccessKey } = res.body as { accessKey: { accessKeyId: string }; secretAccessKey: string };
  return { accessKeyId: accessKey.accessKeyId, secretAccessKey, auth: `Bearer ${accessKey.accessKeyId}:${secretAccessKey}` };
}

/** A request as the key. */
export function as<T = any>(key: IssuedKey | string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
  return api<T>(method, path, body, { authorization: typeof key === "string" ? key : key.auth, ...headers });
}

export const allowAll = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] };

export function policy(...statements: { Effect: "Allow" | "Deny"; Action: string | string[]; Resource: string | string[] }[]) {
  return { Version: "2012-10-17", Statement: statements };
}
