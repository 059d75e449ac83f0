import { fail, invalid, ok, type Result } from "../../failure";
import { isoFromEpochMs, parseTtl, TTL_UNITS, type TtlDuration } from "../../records";
import type { StoredRecord } from "../../online";
import type { StoreTarget } from "../../service";

/** Conversions between SageMaker's wire shapes and the core's. */

export interface FeatureValue {
  FeatureName: string;
  ValueAsString?: string;
  ValueAsStringList?: string[];
}

const ARN = /^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:(\d{12}):feature-group\/(.+)$/;

/**
 * A feature group name, or its ARN. An ARN of another account names a group
 * that does not exist here.
 */
export function featureGroupName(raw: string, accountId: string): string {
  const arn = ARN.exec(raw);
  if (!arn) return raw;
  return arn[1] === accountId ? arn[2]! : raw;
}

/** A SageMaker Record (a list of FeatureValue) as name → raw value pairs for the core's validator. */
export function recordEntries(raw: unknown, field: string): Result<[string, unknown][]> {
  if (!Array.isArray(raw) || raw.length === 0) return invalid(field, "must be a non-empty list of {FeatureName, ValueAsString | ValueAsStringList}");
  const entries: [string, unknown][] = [];
  for (const [i, item] of raw.entries()) {
    const at = `${field}[${i}]`;
    if (typeof item !== "object" || item === null) return invalid(at, "must be a FeatureValue object");
    const { FeatureName, ValueAsString, ValueAsStringList } = item as Record<string, unknown>;
    if (typeof FeatureName !== "string" || FeatureName === "") return invalid(`${at}.FeatureName`, "is required");
    if ((ValueAsString === undefined) === (ValueAsStringList === undefined)) {
      return invalid(at, "must have exactly one of ValueAsString and ValueAsStringList");
    }
    if (ValueAsString !== undefined) {
      if (typeof ValueAsString !== "string") return invalid(`${at}.ValueAsString`, "must be a string");
      entries.push([FeatureName, ValueAsString]);
    } else {
      if (!Array.isArray(ValueAsStringList) || !ValueAsStringList.every((v) => typeof v === "string")) {
        return invalid(`${at}.ValueAsStringList`, "must be a list of strings");
      }
      entries.push([FeatureName, ValueAsStringList]);
    }
  }
  return ok(entries);
}

const asString = (value: unknown): string => (typeof value === "string" ? value : String(value));

/** A stored record (typed JSON) as a SageMaker Record: every value as a string. */
export function wireRecord(body: string): FeatureValue[] {
  const record = JSON.parse(body) as Record<string, unknown>;
  return Object.entries(record).map(([FeatureName, value]) =>
    Array.isArray(value) ? { FeatureName, ValueAsStringList: value.map(asString) } : { FeatureName, ValueAsString: asString(value) },
  );
}

/** GetRecord's and BatchGetRecord's record fields, with ExpiresAt when asked for. */
export function wireRecordResult(record: StoredRecord, withExpiry: boolean): { Record: FeatureValue[]; ExpiresAt?: string } {
  return {
    Record: wireRecord(record.body),
    ...(withExpiry && record.expiresAtMs !== null ? { ExpiresAt: isoFromEpochMs(record.expiresAtMs) } : {}),
  };
}

const TARGETS: Record<string, StoreTarget> = { OnlineStore: "online", OfflineStore: "offline" };

export function targetStores(raw: unknown, field: string): Result<StoreTarget[] | undefined> {
  if (raw === undefined) return ok(undefined);
  if (!Array.isArray(raw) || !raw.every((t) => typeof t === "string" && t in TARGETS)) {
    return invalid(field, "must be a list of OnlineStore, OfflineStore");
  }
  return ok((raw as string[]).map((t) => TARGETS[t]!));
}

export function ttlDuration(raw: unknown, field: string): Result<TtlDuration | undefined> {
  if (raw === undefined) return ok(undefined);
  if (typeof raw !== "object" || raw === null) return invalid(field, `must be {Unit: ${TTL_UNITS.join("|")}, Value: a positive integer}`);
  const { Unit, Value } = raw as Record<string, unknown>;
  const parsed = parseTtl(field, { unit: Unit, value: Value });
  if (parsed.ok) return parsed;
  const failure = parsed.failure;
  return failure.reason === "invalid_field" ? fail({ ...failure, field: failure.field.replace(/\.unit$/, ".Unit").replace(/\.value$/, ".Value") }) : parsed;
}

export function wireTtl(ttl: TtlDuration): { Unit: string; Value: number } {
  return { Unit: ttl.unit, Value: ttl.value };
}

/** Parses an ExpirationTimeResponse value. */
export function expirationWanted(raw: unknown, field: string): Result<boolean> {
  if (raw === undefined || raw === "Disabled") return ok(false);
  if (raw === "Enabled") return ok(true);
  return invalid(field, "must be Enabled or Disabled");
}
