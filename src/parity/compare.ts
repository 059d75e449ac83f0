import { isoFromEpochMs, epochMsOfKey, type FeatureValue } from "../records";
import type { OfflineSide, OnlineSide, ParityExample, PendingReason, Verdict } from "./model";

/**
 * The comparison of one identifier's two sides. Pure: no I/O, no clock.
 * Which offline version wins is decided before this, by the query worker's
 * as-of snapshot (query/versions.ts); this only compares what each side
 * serves, feature by feature.
 */

function sameValue(a: FeatureValue | undefined, b: FeatureValue | undefined): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => v === b[i]);
  }
  return a === b;
}

/** Features whose values differ (absent on one side counts), sorted by name. */
export function differingFeatures(online: Record<string, FeatureValue>, offline: Record<string, FeatureValue>): string[] {
  const names = new Set([...Object.keys(online), ...Object.keys(offline)]);
  return [...names].filter((name) => !sameValue(online[name], offline[name])).sort();
}

export interface Comparison {
  verdict: Verdict;
  differingFeatures?: string[];
  pendingReason?: PendingReason;
}

/** Whether the shard still owes the offline store rows for this identifier. */
function owed(online: OnlineSide | undefined): PendingReason | undefined {
  if (online?.outboxPending) return "outbox";
  if (online?.state === "expired") return "expiry";
  return undefined;
}

/** One identifier's verdict: expired, deleted and missing all count as gone, so two gone sides match. */
export function compareSides(online: OnlineSide | undefined, offline: OfflineSide | undefined): Comparison {
  const onlineServes = online?.state === "live";
  const offlineServes = offline !== undefined && !offline.isDeleted;
  let result: Comparison;
  if (!onlineServes && !offlineServes) return { verdict: "matching" };
  if (onlineServes && offlineServes) {
    const features = differingFeatures(online.record ?? {}, offline.record);
    if (features.length === 0) return { verdict: "matching" };
    result = { verdict: "differing", differingFeatures: features };
  } else result = { verdict: onlineServes ? "onlineOnly" : "offlineOnly" };
  const reason = owed(online);
  return reason ? { verdict: "pending", pendingReason: reason } : result;
}

/** Whether either side changed between two looks at an identifier. */
export function changedBetween(first: { online?: OnlineSide; offline?: OfflineSide }, second: { online?: OnlineSide; offline?: OfflineSide }): boolean {
  const onlineKey = (s?: OnlineSide) => `${s?.state ?? "absent"}:${s?.eventKey ?? ""}:${s?.writeSequence ?? ""}`;
  const offlineKey = (s?: OfflineSide) => (s ? `${s.isDeleted}:${s.writeSequence}:${s.writeTime}` : "absent");
  return onlineKey(first.online) !== onlineKey(second.online) || offlineKey(first.offline) !== offlineKey(second.offline);
}

/** Records larger than this as JSON are left out of examples (a result is one D1 row). */
export const MAX_EXAMPLE_RECORD_BYTES = 4096;
const utf8 = new TextEncoder();

function bounded(record: Record<string, FeatureValue> | undefined): { record?: Record<string, FeatureValue>; recordOmitted?: string } {
  if (!record) return {};
  const bytes = utf8.encode(JSON.stringify(record)).byteLength;
  return bytes <= MAX_EXAMPLE_RECORD_BYTES ? { record } : { recordOmitted: `${bytes} bytes of JSON, over the ${MAX_EXAMPLE_RECORD_BYTES} an example keeps` };
}

/** The example kept for an identifier that did not match. */
export function exampleOf(recordIdentifier: string, comparison: Comparison & { verdict: ParityExample["verdict"] }, online: OnlineSide | undefined, offline: OfflineSide | undefined): ParityExample {
  return {
    recordIdentifier,
    verdict: comparison.verdict,
    ...(comparison.differingFeatures ? { differingFeatures: comparison.differingFeatures } : {}),
    ...(comparison.pendingReason ? { pendingReason: comparison.pendingReason } : {}),
    online: {
      state: online?.state ?? "absent",
      ...(online?.eventKey !== undefined ? { eventTime: isoFromEpochMs(epochMsOfKey(online.eventKey)) } : {}),
      ...(online?.writeSequence !== undefined ? { writeSequence: online.writeSequence } : {}),
      ...bounded(online?.record),
    },
    offline: offline
      ? { state: offline.isDeleted ? "deleted" : "live", writeTime: offline.writeTime, writeSequence: offline.writeSequence, ...bounded(offline.record) }
      : { state: "absent" },
  };
}
