// Shared helpers of the sdk project: the official clients pointed at the
// worker started by global-setup.ts, unique names, record conversions.
import { SageMakerClient, CreateFeatureGroupCommand, type FeatureDefinition, type CreateFeatureGroupCommandInput } from "@aws-sdk/client-sagemaker";
import { SageMakerFeatureStoreRuntimeClient, type FeatureValue } from "@aws-sdk/client-sagemaker-featurestore-runtime";
import { expect, inject } from "vitest";
import { SDK_ACCESS_KEY_ID, SDK_ACCOUNT_ID, SDK_SECRET_ACCESS_KEY } from "./credentials";

export { SDK_ACCESS_KEY_ID, SDK_ACCOUNT_ID, SDK_SECRET_ACCESS_KEY };

/** Origin of the worker under test (real HTTP loopback). */
export const ENDPOINT: string = inject("sdkEndpoint");

/** The offline bucket through the local S3 API: endpoint, region, bucket and credentials (see global-setup.ts). */
export const OFFLINE_S3 = inject("offlineS3");

export const CREDENTIALS = { accessKeyId: SDK_ACCESS_KEY_ID, secretAccessKey: SDK_SECRET_ACCESS_KEY };

export interface ClientOptions {
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  systemClockOffset?: number;
  /** 1 by default: a failure is reported as it happened, never hidden by a retry. */
  maxAttempts?: number;
}

function clientConfig(options: ClientOptions) {
  return {
    endpoint: ENDPOINT,
    region: options.region ?? "us-east-1",
    credentials: options.credentials ?? CREDENTIALS,
    maxAttempts: options.maxAttempts ?? 1,
    ...(options.systemClockOffset !== undefined ? { systemClockOffset: options.systemClockOffset } : {}),
  };
}

export function runtimeClient(options: ClientOptions = {}): SageMakerFeatureStoreRuntimeClient {
  return new SageMakerFeatureStoreRuntimeClient(clientConfig(options));
}

export function controlClient(options: ClientOptions = {}): SageMakerClient {
  return new SageMakerClient(clientConfig(options));
}

/** Shared default clients (us-east-1, the root credential). */
export const runtime = runtimeClient();
export const control = controlClient();

/** A feature group name unique across files and runs: `<prefix>-<random>`, within the 64-character pattern. */
export function uniqueName(prefix: string): string {
  const random = crypto.randomUUID().replace(/-/g, "").slice(0, 12);
  return `${prefix}-${random}`;
}

/** ISO-8601 UTC event time `seconds` after 2026-01-01T00:00:00Z, without fraction (yyyy-MM-ddTHH:mm:ssZ). */
export function at(seconds: number): string {
  return new Date(Date.UTC(2026, 0, 1) + seconds * 1000).toISOString().replace(".000Z", "Z");
}

/** ISO-8601 event time relative to now (seconds, may be negative), for TTL tests. */
export function fromNow(seconds: number): string {
  return new Date(Math.floor(Date.now() / 1000) * 1000 + seconds * 1000).toISOString().replace(".000Z", "Z");
}

export function arnPattern(name: string, region = "[a-z0-9-]+"): RegExp {
  return new RegExp(`^arn:aws:sagemaker:${region}:${SDK_ACCOUNT_ID}:feature-group/${name}$`);
}

export const DEFAULT_FEATURES: FeatureDefinition[] = [
  { FeatureName: "id", FeatureType: "String" },
  { FeatureName: "ts", FeatureType: "String" },
  { FeatureName: "age", FeatureType: "Integral" },
  { FeatureName: "score", FeatureType: "Fractional" },
  { FeatureName: "city", FeatureType: "String" },
];

export interface GroupSpec {
  name?: string;
  prefix?: string;
  features?: FeatureDefinition[];
  identifier?: string;
  eventTime?: string;
  ttl?: { Unit: "Seconds" | "Minutes" | "Hours" | "Days" | "Weeks"; Value: number };
  offline?: boolean;
  online?: boolean;
  description?: string;
  tags?: { Key: string; Value: string }[];
  client?: SageMakerClient;
}

/** The CreateFeatureGroup input for a spec (defaults: id, ts, DEFAULT_FEATURES, online store on). */
export function createGroupInput(name: string, spec: GroupSpec = {}): CreateFeatureGroupCommandInput {
  return {
    FeatureGroupName: name,
    RecordIdentifierFeatureName: spec.identifier ?? "id",
    EventTimeFeatureName: spec.eventTime ?? "ts",
    FeatureDefinitions: spec.features ?? DEFAULT_FEATURES,
    ...(spec.online === false ? {} : { OnlineStoreConfig: { EnableOnlineStore: true, ...(spec.ttl ? { TtlDuration: spec.ttl } : {}) } }),
    ...(spec.offline
      ? {
          OfflineStoreConfig: { S3StorageConfig: { S3Uri: `s3://sdk-test-bucket/${name}` }, DisableGlueTableCreation: true },
          RoleArn: `arn:aws:iam::${SDK_ACCOUNT_ID}:role/feature-store-sdk-test`,
        }
      : {}),
    ...(spec.description !== undefined ? { Description: spec.description } : {}),
    ...(spec.tags ? { Tags: spec.tags } : {}),
  };
}

/** Creates a feature group through CreateFeatureGroup; returns its name and ARN. */
export async function createGroup(spec: GroupSpec = {}): Promise<{ name: string; arn: string }> {
  const name = spec.name ?? uniqueName(spec.prefix ?? "sdk");
  const out = await (spec.client ?? control).send(new CreateFeatureGroupCommand(createGroupInput(name, spec)));
  expect(out.FeatureGroupArn).toMatch(arnPattern(name));
  return { name, arn: out.FeatureGroupArn! };
}

/** A SageMaker record from a plain object: strings stay scalars, arrays become ValueAsStringList. */
export function rec(values: Record<string, string | string[]>): FeatureValue[] {
  return Object.entries(values).map(([FeatureName, value]) =>
    Array.isArray(value) ? { FeatureName, ValueAsStringList: value } : { FeatureName, ValueAsString: value },
  );
}

/** A SageMaker record as a plain object (and a check that each value has exactly one form). */
export function plain(record: FeatureValue[] | undefined): Record<string, string | string[]> | undefined {
  if (record === undefined) return undefined;
  const out: Record<string, string | string[]> = {};
  for (const value of record) {
    expect(value.FeatureName, "every FeatureValue names its feature").toBeTypeOf("string");
    const forms = [value.ValueAsString, value.ValueAsStringList].filter((v) => v !== undefined);
    expect(forms, `feature ${value.FeatureName} carries exactly one of ValueAsString / ValueAsStringList`).toHaveLength(1);
    out[value.FeatureName!] = (value.ValueAsString ?? value.ValueAsStringList)!;
  }
  return out;
}

/**
 * Awaits a promise that must reject, checks the error class, and returns the
 * error. Fails with what came back when it resolves instead.
 */
export async function rejection<E>(promise: Promise<unknown>, errorClass: abstract new (...args: never[]) => E): Promise<E> {
  let outcome: unknown;
  try {
    outcome = await promise;
  } catch (error) {
    if (!(error instanceof errorClass)) {
      const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
      expect.fail(`expected ${errorClass.name}, got ${e?.name} (HTTP ${e?.$metadata?.httpStatusCode}): ${e?.message}`);
    }
    return error as E;
  }
  return expect.fail(`expected ${errorClass.name}, but the call succeeded with ${JSON.stringify(outcome)}`);
}

/** Any rejection, with the SDK's view of it. */
export async function anyRejection(promise: Promise<unknown>): Promise<{ name: string; message: string; $fault?: string; $metadata: { httpStatusCode?: number; requestId?: string } }> {
  try {
    const outcome = await promise;
    return expect.fail(`expected a rejection, but the call succeeded with ${JSON.stringify(outcome)}`);
  } catch (error) {
    return error as never;
  }
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The native API (/v1), authenticated with the bearer form of the root credential. */
export async function native<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T; text: string; headers: Headers }> {
  const init: RequestInit = { method, headers: { authorization: `Bearer ${SDK_ACCESS_KEY_ID}:${SDK_SECRET_ACCESS_KEY}`, "content-type": "application/json" } };
  if (body !== undefined) init.body = JSON.stringify(body);
  const res = await fetch(`${ENDPOINT}/v1${path}`, init);
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed as T, text, headers: res.headers };
}

/** The raw HTTP response of the last call a client made, as it came off the wire. */
export interface RawResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

interface MiddlewareClient {
  middlewareStack: {
    add(middleware: (next: (args: any) => Promise<any>) => (args: any) => Promise<any>, options: { step: "deserialize"; priority?: "high" | "normal" | "low"; name?: string }): void;
  };
}

/**
 * Records every raw response the client receives (status, lower-cased headers,
 * body text) before the SDK deserializes it. The body is buffered and handed
 * on as bytes, which the SDK's body collector accepts.
 */
export function captureResponses(client: MiddlewareClient): RawResponse[] {
  const seen: RawResponse[] = [];
  client.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const response = result.response as { statusCode: number; headers: Record<string, string>; body: any };
      const chunks: Uint8Array[] = [];
      if (response.body && typeof response.body[Symbol.asyncIterator] === "function") {
        for await (const chunk of response.body as AsyncIterable<Uint8Array | string>) chunks.push(typeof chunk === "string" ? new TextEncoder().encode(chunk) : chunk);
      } else if (response.body instanceof Uint8Array) {
        chunks.push(response.body);
      }
      const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
      let offset = 0;
      for (const chunk of chunks) {
        bytes.set(chunk, offset);
        offset += chunk.length;
      }
      response.body = bytes;
      const headers: Record<string, string> = {};
      for (const [key, value] of Object.entries(response.headers)) headers[key.toLowerCase()] = value;
      seen.push({ statusCode: response.statusCode, headers, body: new TextDecoder().decode(bytes) });
      return result;
    },
    // Below the deserializer: sees the response before it is parsed.
    { step: "deserialize", priority: "low", name: "captureRawResponse" },
  );
  return seen;
}

/**
 * Changes the request after the SDK signed it (the deserialize step runs
 * after signing, right before the request is sent).
 */
export function tamperAfterSigning(
  client: MiddlewareClient,
  change: (request: { method: string; path: string; query: Record<string, string | string[]>; headers: Record<string, string>; body: any }) => void | Promise<void>,
): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      await change(args.request);
      return next(args);
    },
    { step: "deserialize", priority: "low", name: "tamperAfterSigning" },
  );
}

/** Lower-case hex SHA-256 of a UTF-8 string (what x-amz-content-sha256 carries). */
export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
