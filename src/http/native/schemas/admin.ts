import { z } from "zod";
import { AUDIT_RESULTS, KEY_STATUSES } from "../../../access";
import { named, timestamp } from "./common";

/** Answers of the admin routes (access keys and the audit log). */

export const accessKey = named(
  "AccessKey",
  z.object({
    accessKeyId: z.string(),
    name: z.string(),
    status: z.enum(KEY_STATUSES),
    policy: z.record(z.string(), z.unknown()).nullable().describe("The policy document as given, or null."),
    rateLimit: z.object({ perSecond: z.number().int(), burst: z.number().int() }).nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
    expiresAt: timestamp.nullable().describe("Set on the old key of a rotation: when it stops working."),
    rotatedTo: z.string().nullable(),
  }),
);

export const issuedKey = named(
  "IssuedAccessKey",
  z.object({ accessKey, secretAccessKey: z.string().describe("Shown once: in this answer only.") }),
);

export const rotatedKey = named("RotatedAccessKey", z.object({ accessKey, secretAccessKey: z.string(), previous: accessKey }));

export const accessKeyList = named("AccessKeyList", z.object({ accessKeys: z.array(accessKey), nextToken: z.string().optional() }));

export const auditLog = named(
  "AuditLog",
  z.object({
    entries: z.array(
      z.object({
        at: timestamp,
        requestId: z.string(),
        accessKeyId: z.string(),
        action: z.string(),
        featureGroup: z.string().nullable(),
        targetKeyId: z.string().nullable(),
        result: z.enum(AUDIT_RESULTS),
        sourceIp: z.string().nullable(),
      }),
    ),
    nextToken: z.string().optional(),
  }),
);

export const dataKeyRotation = named(
  "DataKeyRotation",
  z.object({ featureGroup: z.string(), store: z.enum(["online", "offline"]), activeKeyVersion: z.number().int() }),
);
