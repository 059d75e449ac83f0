import { z } from "zod";
import type { FeatureValue } from "../records";

/**
 * A parity audit compares, for every identifier of a feature group, the
 * online record with the offline store's latest version "as of now" (the
 * query worker's as-of snapshot, deletions included). Not to be confused
 * with the access audit log (src/access/audit.ts): a parity audit checks
 * data, not callers.
 *
 * Each identifier lands in exactly one bucket:
 * - matching: both sides serve the same feature values, or both agree it
 *   is gone (deleted, expired, or never written);
 * - differing: both serve it, with different values;
 * - onlineOnly / offlineOnly: only one side serves it;
 * - pending: the sides differ while the shard still owes the offline store
 *   rows for it (its outbox, or an expiry row), or it changed between the
 *   audit's two looks. Not counted as a difference: audit again later.
 */
export const VERDICTS = ["matching", "differing", "onlineOnly", "offlineOnly", "pending"] as const;
export type Verdict = (typeof VERDICTS)[number];
export type ParityCounts = Record<Verdict, number>;

export const emptyCounts = (): ParityCounts => ({ matching: 0, differing: 0, onlineOnly: 0, offlineOnly: 0, pending: 0 });

/** What the online store holds for an identifier (see ParityEntry in online/protocol.ts). */
export interface OnlineSide {
  state: "live" | "deleted" | "expired" | "absent";
  record?: Record<string, FeatureValue>;
  eventKey?: string;
  writeSequence?: number;
  /** Its outbox holds rows for it not yet confirmed in the offline manifest. */
  outboxPending: boolean;
}

/** The offline store's winning version of an identifier (a deletion included); undefined when it has none. */
export interface OfflineSide {
  isDeleted: boolean;
  record: Record<string, FeatureValue>;
  writeSequence: number;
  writeTime: string;
}

/** Why a difference is reported as pending rather than counted. */
export type PendingReason = "outbox" | "expiry" | "changed";

/** An identifier that did not match, as kept with the audit's result. */
export interface ParityExample {
  recordIdentifier: string;
  verdict: Exclude<Verdict, "matching">;
  /** Features whose values differ (differing only). */
  differingFeatures?: string[];
  pendingReason?: PendingReason;
  online: { state: OnlineSide["state"]; eventTime?: string; writeSequence?: number; record?: Record<string, FeatureValue>; recordOmitted?: string };
  offline: { state: "live" | "deleted" | "absent"; writeTime?: string; writeSequence?: number; record?: Record<string, FeatureValue>; recordOmitted?: string };
}

/** Examples kept per verdict: the default, and the most a request may ask (a result is one D1 row of at most 2 MB). */
export const DEFAULT_EXAMPLES = 10;
export const MAX_EXAMPLES = 25;

export interface ParityOptions {
  /** Examples kept per non-matching verdict. */
  examples: number;
}

export const DEFAULT_PARITY_OPTIONS: ParityOptions = { examples: DEFAULT_EXAMPLES };
const EXAMPLES_RULE = `must be an integer from 0 to ${MAX_EXAMPLES} (examples kept per kind of difference)`;

/** Parses the optional body of POST /v1/feature-groups/{name}/audit: `{"examples"?: 0–25}`. */
/** A parity audit's request: examples kept per kind of difference. A body of nothing takes the defaults. */
export const parityOptionsSchema = z
  .strictObject(
    {
      examples: z
        .int({ error: EXAMPLES_RULE })
        .min(0, EXAMPLES_RULE)
        .max(MAX_EXAMPLES, EXAMPLES_RULE)
        .default(DEFAULT_EXAMPLES)
        .describe(`Examples kept per kind of difference, 0 to ${MAX_EXAMPLES}; ${DEFAULT_EXAMPLES} when absent.`),
    },
    { error: (issue) => (issue.code === "unrecognized_keys" ? "is not a field of a parity audit request (examples)" : undefined) },
  )
  .prefault({});
