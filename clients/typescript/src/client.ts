// FeatureStoreClient: the native API (docs/api.md) for fetch callers, one
// method per route. Requests, retries and errors are the transport's
// (http.ts); concurrent getRecord calls may share batch gets (coalesce.ts).
import { GetRecordCoalescer, type CoalescedRead } from "./coalesce";
import { RecordNotFoundError } from "./errors";
import { toJson, Transport, type SendOptions, type TransportOptions } from "./http";
import type {
  AsOfOptions,
  AsOfPage,
  BatchGetRecordInput,
  BatchGetRecordOutput,
  BulkFormat,
  BulkIngestOptions,
  BulkIngestReport,
  CreateFeatureGroupInput,
  DatasetJob,
  DatasetRequest,
  DatasetResult,
  DeleteRecordOptions,
  DeleteRecordOutput,
  FeatureGroupPage,
  FeatureGroupSummary,
  FeatureGroupView,
  GroupFreshness,
  GetRecordOutput,
  HistoryOptions,
  HistoryResult,
  InputValue,
  Instant,
  ListFeatureGroupsOptions,
  PutRecordOptions,
  PutRecordOutput,
  ReadOptions,
  RecordIdentifierInput,
  UpdateFeatureGroupInput,
  Upload,
  VersionView,
} from "./types";

export interface ClientOptions extends TransportOptions {
  /**
   * Coalesce concurrent getRecord calls (those started within one tick)
   * into batch gets. The key then needs sagemaker:BatchGetRecord as well as
   * sagemaker:GetRecord. `windowMs` waits longer than one tick to gather
   * more reads. Off by default.
   */
  coalesce?: boolean | { windowMs?: number };
}

/** Per call: the caller's abort, and a timeout other than the client's. */
export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface GetRecordOptions extends ReadOptions, CallOptions {
  /** false: send this read on its own even when the client coalesces. */
  coalesce?: boolean;
}

const seg = (value: RecordIdentifierInput): string => encodeURIComponent(String(value));

/** An instant as the API takes it: ISO-8601 text, or epoch seconds. */
const instant = (value: Instant | undefined): string | undefined => (value === undefined ? undefined : value instanceof Date ? value.toISOString() : String(value));

const BULK_CONTENT_TYPES: Readonly<Record<BulkFormat, string>> = {
  ndjson: "application/x-ndjson",
  csv: "text/csv",
  "arrow-stream": "application/vnd.apache.arrow.stream",
  "arrow-file": "application/vnd.apache.arrow.file",
  parquet: "application/vnd.apache.parquet",
};

const UNFINISHED_JOB_STATES: ReadonlySet<string> = new Set(["queued", "running"]);

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => (clearTimeout(timer), reject(signal.reason)), { once: true });
  });
}

export class FeatureStoreClient {
  readonly #http: Transport;
  readonly #coalescer: GetRecordCoalescer | undefined;

  constructor(options: ClientOptions) {
    this.#http = new Transport(options);
    if (options.coalesce) {
      const windowMs = typeof options.coalesce === "object" ? (options.coalesce.windowMs ?? 0) : 0;
      this.#coalescer = new GetRecordCoalescer({ batchGet: (input) => this.batchGetRecord(input), getOne: (read) => this.#getOne(read, {}) }, windowMs);
    }
  }

  get endpoint(): string {
    return this.#http.endpoint;
  }

  /** How many batch gets and lone GetRecords coalescing has sent (undefined when off). */
  get coalescing(): { batchCalls: number; singleCalls: number } | undefined {
    return this.#coalescer && { batchCalls: this.#coalescer.batchCalls, singleCalls: this.#coalescer.singleCalls };
  }

  /** Any route's JSON answer (null when empty). `path` is below /v1, e.g. `/jobs`. */
  async request<T = unknown>(method: string, path: string, options: SendOptions = {}): Promise<T> {
    return (await this.#http.json<T>(method, `/v1${path}`, options)).value;
  }

  /** Any route's successful Response, its body unread (to stream a dataset to a file). */
  send(method: string, path: string, options: SendOptions = {}): Promise<Response> {
    return this.#http.send(method, `/v1${path}`, options);
  }

  health(call: CallOptions = {}): Promise<{ status: "ok" }> {
    return this.request("GET", "/health", call);
  }

  // ---- feature groups ---------------------------------------------------------------------

  /** Not retried once the server may have seen it (429/503 are: they change nothing). */
  createFeatureGroup(input: CreateFeatureGroupInput, call: CallOptions = {}): Promise<FeatureGroupView> {
    return this.request("POST", "/feature-groups", { json: input, idempotent: false, ...call });
  }

  describeFeatureGroup(name: string, call: CallOptions = {}): Promise<FeatureGroupView> {
    return this.request("GET", `/feature-groups/${seg(name)}`, call);
  }

  /** The last online write, the newest offline write_time, rows pending and the offline lag. */
  freshness(name: string, call: CallOptions = {}): Promise<GroupFreshness> {
    return this.request("GET", `/feature-groups/${seg(name)}/freshness`, call);
  }

  /** One page, sorted by name. */
  listFeatureGroups(options: ListFeatureGroupsOptions = {}, call: CallOptions = {}): Promise<FeatureGroupPage> {
    return this.request("GET", "/feature-groups", { query: { ...options }, ...call });
  }

  /** Every group's summary, page after page. */
  async *featureGroups(options: Omit<ListFeatureGroupsOptions, "nextToken"> = {}, call: CallOptions = {}): AsyncGenerator<FeatureGroupSummary> {
    let nextToken: string | undefined;
    do {
      const page = await this.listFeatureGroups({ limit: 100, ...options, ...(nextToken ? { nextToken } : {}) }, call);
      yield* page.featureGroups;
      nextToken = page.nextToken;
    } while (nextToken);
  }

  updateFeatureGroup(name: string, changes: UpdateFeatureGroupInput, call: CallOptions = {}): Promise<FeatureGroupView> {
    return this.request("PATCH", `/feature-groups/${seg(name)}`, { json: changes, idempotent: false, ...call });
  }

  async deleteFeatureGroup(name: string, call: CallOptions = {}): Promise<void> {
    await this.request("DELETE", `/feature-groups/${seg(name)}`, call);
  }

  // ---- records ----------------------------------------------------------------------------

  /** Not retried once the server may have seen it, as the Python client: a repeat could outrank a newer write at the same event time. */
  putRecord(featureGroup: string, record: Readonly<Record<string, InputValue>>, options: PutRecordOptions & CallOptions = {}): Promise<PutRecordOutput> {
    const { targetStores, ttl, ...call } = options;
    return this.request("PUT", `/feature-groups/${seg(featureGroup)}/records`, { json: { record, ...(targetStores ? { targetStores } : {}), ...(ttl ? { ttl } : {}) }, idempotent: false, ...call });
  }

  /** The online record, or null when there is none (missing, deleted or expired). */
  getRecord(featureGroup: string, recordIdentifier: RecordIdentifierInput, options: GetRecordOptions = {}): Promise<GetRecordOutput | null> {
    const { features, maxStalenessMs = 0, coalesce = true, ...call } = options;
    const read: CoalescedRead = { featureGroup, recordIdentifier: String(recordIdentifier), features, maxStalenessMs };
    // A read with its own timeout cannot share a call; an abort signal can (it ends that read only).
    if (this.#coalescer && coalesce && call.timeoutMs === undefined) return this.#coalescer.load(read, call.signal);
    return this.#getOne(read, call);
  }

  async #getOne(read: CoalescedRead, call: CallOptions): Promise<GetRecordOutput | null> {
    try {
      const { value, response } = await this.#http.json<Omit<GetRecordOutput, "ageMs">>("GET", `/v1/feature-groups/${seg(read.featureGroup)}/records/${seg(read.recordIdentifier)}`, {
        query: { features: read.features, maxStalenessMs: read.maxStalenessMs || undefined },
        ...call,
      });
      return { ...value, ageMs: Number(response.headers.get("x-record-age-ms") ?? 0) };
    } catch (error) {
      if (error instanceof RecordNotFoundError) return null;
      throw error;
    }
  }

  deleteRecord(featureGroup: string, recordIdentifier: RecordIdentifierInput, options: DeleteRecordOptions & CallOptions): Promise<DeleteRecordOutput> {
    const { eventTime, mode, targetStores, ...call } = options;
    return this.request("DELETE", `/feature-groups/${seg(featureGroup)}/records/${seg(recordIdentifier)}`, { query: { eventTime: instant(eventTime), mode, targetStores }, ...call });
  }

  /** One batch get, answered as the API answers it: hits, misses, errors and `unprocessed` requests to send again. */
  async batchGetRecord(input: BatchGetRecordInput, call: CallOptions = {}): Promise<BatchGetRecordOutput> {
    const requests = input.requests.map((r) => ({ ...r, recordIdentifiers: r.recordIdentifiers.map(String) }));
    const answer = await this.request<BatchGetRecordOutput>("POST", "/records/batch-get", { query: { maxStalenessMs: input.maxStalenessMs || undefined }, json: { requests }, idempotent: true, ...call });
    // ageMs is on the wire only for bounded reads; without a bound every record was read from its shard.
    return { ...answer, records: answer.records.map((r) => ({ ...r, ageMs: r.ageMs ?? 0 })) };
  }

  // ---- bulk ingest ------------------------------------------------------------------------

  /**
   * Bulk ingest (POST …/records/batch): an array of records (sent as
   * NDJSON) or a body in `format`. Retried like a read: the request carries
   * an Idempotency-Key, so the server writes its offline rows once however
   * often it arrives. A 207 (a shard failed part-way) is returned with its
   * `error`; send again with the same idempotencyKey to complete it.
   */
  ingest(featureGroup: string, data: readonly Readonly<Record<string, InputValue>>[] | NonNullable<RequestInit["body"]>, options: BulkIngestOptions & CallOptions = {}): Promise<BulkIngestReport> {
    const { format, targetStores, onInvalid, availableFrom, availableDelay, idempotencyKey = crypto.randomUUID(), ...call } = options;
    const rows = Array.isArray(data) ? (data as readonly Readonly<Record<string, InputValue>>[]) : undefined;
    const body = rows ? rows.map(toJson).join("\n") : (data as NonNullable<RequestInit["body"]>);
    return this.request("POST", `/feature-groups/${seg(featureGroup)}/records/batch`, {
      query: { targetStores, onInvalid, availableFrom, availableDelay },
      body,
      contentType: BULK_CONTENT_TYPES[rows ? "ndjson" : (format ?? "ndjson")],
      headers: { "idempotency-key": idempotencyKey },
      idempotent: true,
      ...call,
    });
  }

  // ---- time travel ------------------------------------------------------------------------

  /** One page of the latest version per identifier as of an event time (and knownAt / availableAt). */
  asOf(featureGroup: string, options: AsOfOptions = {}, call: CallOptions = {}): Promise<AsOfPage> {
    const { eventTime, knownAt, availableAt, ids, ...rest } = options;
    const query = { ...rest, eventTime: instant(eventTime), knownAt: instant(knownAt), availableAt: instant(availableAt), ids: ids?.map(String) };
    return this.request("GET", `/feature-groups/${seg(featureGroup)}/as-of`, { query, ...call });
  }

  /** Every version of an as-of snapshot, page after page. */
  async *asOfAll(featureGroup: string, options: Omit<AsOfOptions, "after"> = {}, call: CallOptions = {}): AsyncGenerator<VersionView> {
    let after: string | undefined;
    do {
      const page = await this.asOf(featureGroup, { ...options, ...(after !== undefined ? { after } : {}) }, call);
      yield* page.records;
      after = page.nextAfter;
    } while (after !== undefined);
  }

  /** Every version of one record with event time in [from, to], deletions included, in version order. */
  history(featureGroup: string, recordIdentifier: RecordIdentifierInput, options: HistoryOptions = {}, call: CallOptions = {}): Promise<HistoryResult> {
    return this.request("GET", `/feature-groups/${seg(featureGroup)}/records/${seg(recordIdentifier)}/history`, { query: { from: instant(options.from), to: instant(options.to) }, ...call });
  }

  // ---- datasets ---------------------------------------------------------------------------

  /** A point-in-time-correct training set as JSON rows (synchronous: at most 100,000 entity rows). */
  buildDataset(request: Omit<DatasetRequest, "format">, call: CallOptions = {}): Promise<DatasetResult> {
    return this.request("POST", "/datasets", { json: { ...request, format: "json" }, idempotent: true, ...call });
  }

  /** The same in another format (ndjson, csv, parquet, arrow), as the streamed Response; knowledge-time counts are in its headers. */
  buildDatasetFile(request: DatasetRequest, call: CallOptions = {}): Promise<Response> {
    return this.send("POST", "/datasets", { json: request, idempotent: true, ...call });
  }

  /** An asynchronous dataset job (any size; entities usually an upload). Not retried once the server may have seen it. */
  createDatasetJob(request: DatasetRequest, call: CallOptions = {}): Promise<DatasetJob> {
    return this.request("POST", "/datasets", { json: { ...request, async: true }, idempotent: false, ...call });
  }

  getDatasetJob(id: string, call: CallOptions = {}): Promise<DatasetJob> {
    return this.request("GET", `/datasets/jobs/${seg(id)}`, call);
  }

  /** A queued or running job ends `cancelled` (ConflictError for a finished one). */
  cancelDatasetJob(id: string, call: CallOptions = {}): Promise<DatasetJob> {
    return this.request("POST", `/datasets/jobs/${seg(id)}/cancel`, { idempotent: false, ...call });
  }

  /** A succeeded job's result, streamed (ConflictError until it succeeded). */
  datasetJobResult(id: string, call: CallOptions = {}): Promise<Response> {
    return this.send("GET", `/datasets/jobs/${seg(id)}/result`, call);
  }

  /** Polls a job until it is no longer queued or running; the signal stops the wait (not the job). */
  async waitForDatasetJob(id: string, options: { pollIntervalMs?: number } & CallOptions = {}): Promise<DatasetJob> {
    const { pollIntervalMs = 1_000, ...call } = options;
    for (;;) {
      const job = await this.getDatasetJob(id, call);
      if (!UNFINISHED_JOB_STATES.has(job.state)) return job;
      await pause(pollIntervalMs, call.signal);
    }
  }

  /** An entity list for datasets (`name` ends in .csv or .parquet; at most 100 MiB). */
  upload(name: string, body: NonNullable<RequestInit["body"]>, call: CallOptions = {}): Promise<Upload> {
    return this.request("PUT", `/uploads/${seg(name)}`, { body, contentType: "application/octet-stream", ...call });
  }
}
