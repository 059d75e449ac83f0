import { WorkerEntrypoint } from "cloudflare:workers";
import { clockOf } from "../clock";
import type { Env } from "../env";
import { FailureError, invalid, ok, type Failure, type Result } from "../failure";
import { failureField, failureMessage, nativeStatus } from "../http/failures";
import { parseBatchGet, parsePutBody, parseTargets } from "../http/native/record-input";
import { featureGroupArn, featureGroupView } from "../http/native/views";
import type { StoredRecord } from "../online";
import { isoFromEpochMs } from "../records";
import { batchGetRecords, deleteRecord, describeFeatureGroup, encryptionView, getRecord, MAX_STALENESS_MS, putRecord, storeContext, type StoreContext } from "../service";
import { admitCall, auditOutcome, type CallContext, type RpcAction } from "./caller";
import type {
  BatchGetRecordInput,
  BatchGetRecordOutput,
  DeleteRecordInput,
  DeleteRecordOutput,
  DescribeFeatureGroupInput,
  DescribeFeatureGroupOutput,
  FeatureRecord,
  FeatureStoreProps,
  FeatureStoreResult,
  GetRecordInput,
  GetRecordOutput,
  PutRecordInput,
  PutRecordOutput,
} from "./types";

/**
 * The store as a Workers RPC binding: another Worker of the account binds
 * to this entrypoint with a service binding (`entrypoint = "FeatureStore"`,
 * `props = { accessKeyId = "…" }`) and calls these methods directly, with
 * no HTTP, JSON or credential handling in between.
 *
 * Each method is a thin adapter, like an HTTP handler: it authorizes the
 * call as the binding's access key (caller.ts) for the same action as the
 * HTTP route, parses its input with the native API's parsers, calls the
 * service the HTTP handlers call, and returns the native API's result or
 * error as data (FeatureStoreResult). Inputs are the caller's structured
 * clones, so every field is checked at run time whatever the types say.
 */
export class FeatureStore extends WorkerEntrypoint<Env, FeatureStoreProps> {
  async getRecord(input: GetRecordInput): Promise<FeatureStoreResult<GetRecordOutput>> {
    return this.#call("sagemaker:GetRecord", groupOf(input), async (store) => {
      const args = parseRecordAddress(input);
      if (!args.ok) return args;
      const { featureGroup, recordIdentifier } = args.value;
      const features = parseFeatures(field(input, "features"), "features");
      if (!features.ok) return features;
      const maxStalenessMs = parseStaleness(field(input, "maxStalenessMs"));
      if (!maxStalenessMs.ok) return maxStalenessMs;
      const found = await getRecord(store, {
        featureGroup,
        recordIdentifier,
        recordIdentifierField: "recordIdentifier",
        features: features.value,
        featuresField: "features",
        maxStalenessMs: maxStalenessMs.value,
      });
      if (!found.ok) return found;
      if (!found.value) return { ok: false, failure: { reason: "record_not_found", featureGroup, recordIdentifier } };
      return ok({ ...recordView(found.value), ageMs: found.value.ageMs });
    });
  }

  async batchGetRecord(input: BatchGetRecordInput): Promise<FeatureStoreResult<BatchGetRecordOutput>> {
    return this.#call("sagemaker:BatchGetRecord", batchGroupsOf(input), async (store) => {
      const maxStalenessMs = parseStaleness(field(input, "maxStalenessMs"));
      if (!maxStalenessMs.ok) return maxStalenessMs;
      if (!isObject(input)) return invalid("input", "must be an object {requests, maxStalenessMs?}");
      const requests = parseBatchGet({ requests: withStringIds(input.requests) });
      if (!requests.ok) return requests;
      const result = await batchGetRecords(store, requests.value, (i) => `requests[${i}]`, { maxStalenessMs: maxStalenessMs.value });
      return ok({
        records: result.found.map(({ featureGroup, record, ageMs }) => ({ featureGroup, recordIdentifier: record.recordIdentifier, ...recordView(record), ageMs })),
        misses: result.misses,
        errors: result.errors.map(({ featureGroup, recordIdentifier, failure }) => ({
          featureGroup,
          ...(recordIdentifier !== undefined ? { recordIdentifier } : {}),
          error: errorFields(failure),
        })),
        unprocessed: result.unprocessed.map((r) => ({ featureGroup: r.featureGroup, recordIdentifiers: r.recordIdentifiers, ...(r.features.length ? { features: r.features } : {}) })),
      });
    });
  }

  async putRecord(input: PutRecordInput): Promise<FeatureStoreResult<PutRecordOutput>> {
    return this.#call("sagemaker:PutRecord", groupOf(input), async (store) => {
      if (!isObject(input)) return invalid("input", "must be an object {featureGroup, record, targetStores?, ttl?}");
      const { featureGroup, record, ...rest } = input;
      if (typeof featureGroup !== "string") return invalid("featureGroup", "must be a feature group name");
      const body = parsePutBody({ ...rest, record: isObject(record) ? recordWithoutBigInts(record) : record });
      if (!body.ok) return body;
      const result = await putRecord(store, {
        featureGroup,
        entries: Object.entries(body.value.record),
        encoding: "typed",
        fieldOf: (feature) => `record.${feature}`,
        targetStoresField: "targetStores",
        ...(body.value.ttl ? { ttl: body.value.ttl } : {}),
        ...(body.value.targetStores ? { targetStores: body.value.targetStores } : {}),
      });
      if (!result.ok) return result;
      const { online, offline, expiresAtMs } = result.value;
      return ok({ online, offline, ...(expiresAtMs !== null ? { expiresAt: isoFromEpochMs(expiresAtMs) } : {}) });
    });
  }

  async deleteRecord(input: DeleteRecordInput): Promise<FeatureStoreResult<DeleteRecordOutput>> {
    return this.#call("sagemaker:DeleteRecord", groupOf(input), async (store) => {
      const args = parseRecordAddress(input);
      if (!args.ok) return args;
      const eventTime = field(input, "eventTime");
      if (eventTime === undefined) return invalid("eventTime", "is required (the deletion's event time)");
      if (typeof eventTime !== "string" && typeof eventTime !== "number") return invalid("eventTime", "must be an ISO-8601 string or epoch seconds");
      const mode = field(input, "mode") ?? "soft";
      if (mode !== "soft" && mode !== "hard") return invalid("mode", "must be one of soft, hard");
      const targets = parseTargets(field(input, "targetStores"), "targetStores");
      if (!targets.ok) return targets;
      return deleteRecord(store, {
        ...args.value,
        recordIdentifierField: "recordIdentifier",
        eventTime: String(eventTime),
        eventTimeField: "eventTime",
        mode,
        targetStoresField: "targetStores",
        ...(targets.value ? { targetStores: targets.value } : {}),
      });
    });
  }

  async describeFeatureGroup(input: DescribeFeatureGroupInput): Promise<FeatureStoreResult<DescribeFeatureGroupOutput>> {
    return this.#call("sagemaker:DescribeFeatureGroup", groupOf(input), async (store) => {
      const featureGroup = field(input, "featureGroup");
      if (typeof featureGroup !== "string") return invalid("featureGroup", "must be a feature group name");
      const group = await describeFeatureGroup(store, featureGroup);
      if (!group.ok) return group;
      return ok({ ...featureGroupView(group.value, featureGroupArn(this.env, group.value.name)), encryption: await encryptionView(store, group.value) });
    });
  }

  /**
   * Admits the call as the binding's access key, runs it, and turns its
   * failure into the native API's error as data. The unexpected is logged
   * (never inputs or keys) and answered as `internal_error` with the call's
   * request id, as the HTTP API's onError does.
   */
  async #call<T>(action: RpcAction, groups: string[], run: (store: StoreContext) => Promise<Result<T>>): Promise<FeatureStoreResult<T>> {
    const call: CallContext = { requestId: crypto.randomUUID(), now: clockOf(this.env)() };
    try {
      const key = await admitCall(this.env, this.ctx.props, action, groups, call);
      if (!key.ok) return failed(key.failure, call);
      const result = await run(storeContext(this.env, call.now));
      await auditOutcome(this.env, call, key.value, action, result.ok, groups[0]);
      return result.ok ? { ok: true, value: result.value } : failed(result.failure, call);
    } catch (error) {
      if (error instanceof FailureError) return failed(error.failure, call);
      console.error("unhandled error", { requestId: call.requestId, rpc: action, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      return { ok: false, error: { code: "internal_error", status: 500, message: "internal error; the request id identifies it in the logs", requestId: call.requestId } };
    }
  }
}

// ---- input and output, at the RPC boundary --------------------------------

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const field = (input: unknown, name: string): unknown => (isObject(input) ? input[name] : undefined);

/** The group a single-group call names, for authorization before its input is parsed (as HTTP reads the path first). */
const groupOf = (input: unknown): string[] => {
  const name = field(input, "featureGroup");
  return typeof name === "string" ? [name] : [];
};

const batchGroupsOf = (input: unknown): string[] => {
  const requests = field(input, "requests");
  const names = Array.isArray(requests) ? requests.map((r) => field(r, "featureGroup")) : [];
  return [...new Set(names.filter((n): n is string => typeof n === "string"))];
};

/** bigint → decimal string, the native API's exact form of an int64; everything else unchanged for the parsers to judge. */
const withoutBigInt = (value: unknown): unknown => (typeof value === "bigint" ? value.toString() : Array.isArray(value) ? value.map(withoutBigInt) : value);

const recordWithoutBigInts = (record: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(record).map(([k, v]) => [k, withoutBigInt(v)]));

/** Batch requests with bigint identifiers as decimal strings; the rest is parseBatchGet's to judge. */
const withStringIds = (requests: unknown): unknown =>
  Array.isArray(requests) ? requests.map((r) => (isObject(r) && Array.isArray(r.recordIdentifiers) ? { ...r, recordIdentifiers: r.recordIdentifiers.map(withoutBigInt) } : r)) : requests;

function parseRecordAddress(input: unknown): Result<{ featureGroup: string; recordIdentifier: string }> {
  const featureGroup = field(input, "featureGroup");
  if (typeof featureGroup !== "string") return invalid("featureGroup", "must be a feature group name");
  const id = field(input, "recordIdentifier");
  if (typeof id !== "string" && typeof id !== "number" && typeof id !== "bigint") return invalid("recordIdentifier", "must be a string or an integer");
  return ok({ featureGroup, recordIdentifier: String(id) });
}

function parseFeatures(raw: unknown, name: string): Result<string[]> {
  if (raw === undefined) return ok([]);
  return Array.isArray(raw) && raw.every((f) => typeof f === "string") ? ok(raw) : invalid(name, "must be a list of feature names");
}

function parseStaleness(raw: unknown): Result<number> {
  if (raw === undefined) return ok(0);
  return typeof raw === "number" && Number.isInteger(raw) && raw >= 0 && raw <= MAX_STALENESS_MS ? ok(raw) : invalid("maxStalenessMs", `must be an integer from 0 to ${MAX_STALENESS_MS}`);
}

/** The record as the native API serves it: Integral beyond ±(2^53−1) stays a decimal string, so nothing is rounded. */
function recordView(record: StoredRecord): { record: FeatureRecord; expiresAt?: string } {
  return { record: JSON.parse(record.body) as FeatureRecord, ...(record.expiresAtMs !== null ? { expiresAt: isoFromEpochMs(record.expiresAtMs) } : {}) };
}

function errorFields(failure: Failure): { code: Failure["reason"]; message: string; field?: string } {
  const name = failureField(failure);
  return { code: failure.reason, message: failureMessage(failure), ...(name !== undefined ? { field: name } : {}) };
}

function failed<T>(failure: Failure, call: CallContext): FeatureStoreResult<T> {
  return { ok: false, error: { ...errorFields(failure), status: nativeStatus(failure), requestId: call.requestId } };
}
