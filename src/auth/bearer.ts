import { fail, ok, type Result } from "../failure";

/**
 * The simple form for fetch callers: `Authorization: Bearer <id>:<secret>`.
 * (Signature Version 4 arrives with the SageMaker-compatible API.)
 */
export interface BearerCredential {
  accessKeyId: string;
  secret: string;
}

const BEARER_RULE = "expected 'Authorization: Bearer <accessKeyId>:<secretAccessKey>'";

export function parseBearer(header: string | undefined): Result<BearerCredential> {
  if (!header) return fail({ reason: "unauthenticated", detail: `missing credentials; ${BEARER_RULE}` });
  const match = /^Bearer\s+([^:\s]+):(\S+)$/i.exec(header.trim());
  if (!match) return fail({ reason: "unauthenticated", detail: `malformed Authorization header; ${BEARER_RULE}` });
  return ok({ accessKeyId: match[1]!, secret: match[2]! });
}
