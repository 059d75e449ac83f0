import type { z } from "zod";
import { invalid, ok, type Result } from "./failure";

/**
 * The bridge from zod to the one failure shape: the first issue of a
 * failed parse becomes an invalid_field naming the field (its path, dotted
 * and indexed: `featureGroups[0].lookback.value`) and the rule (the issue's
 * message). Every context and transport that validates with zod goes
 * through here, so a schema's messages are the API's messages.
 */

/** Turns the first zod issue into a field-naming failure; `prefix` names the value parsed ("" for a body). */
export function fromZod<T>(parsed: z.ZodSafeParseResult<T>, prefix: string): Result<T> {
  if (parsed.success) return ok(parsed.data);
  const first = parsed.error.issues[0];
  if (!first) return invalid(prefix || "body", "is invalid");
  const issue = decisiveIssue(first);
  // A strict object's unknown key is named as the field, not the object that holds it.
  const keyPath = issue.code === "unrecognized_keys" && issue.keys[0] !== undefined ? [...issue.path, issue.keys[0]] : issue.path;
  const path = keyPath.reduce<string>(
    (acc, part) => (typeof part === "number" ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)),
    prefix,
  );
  return invalid(path || "body", issue.code === "unrecognized_keys" && issue.message.startsWith("Unrecognized key") ? "is not a field of this request" : issue.message);
}

/**
 * A union's own issue only says "Invalid input". When exactly one member
 * recognised the value's shape, that member's first issue is what the
 * client got wrong (`rows` too long, not "invalid input"); otherwise the
 * union's message (schemas give it one listing the accepted shapes) stands.
 */
function decisiveIssue(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code !== "invalid_union") return issue;
  const recognised = issue.errors.filter((members) => members.length > 0 && members.every((member) => !isShapeMismatch(member)));
  const member = recognised.length === 1 ? recognised[0]?.[0] : undefined;
  if (!member) return issue;
  return decisiveIssue({ ...member, path: [...issue.path, ...member.path] });
}

/** The value is not this union member's kind at all: another type, or (strict objects) a key the member does not know. */
function isShapeMismatch(issue: z.core.$ZodIssue): boolean {
  return issue.path.length === 0 && (issue.code === "invalid_type" || issue.code === "unrecognized_keys");
}

