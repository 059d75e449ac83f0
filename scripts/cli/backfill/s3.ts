// S3 access for inputs (s3://bucket/prefix) and for the offline bucket: any
// S3 endpoint, R2's included, and wrangler's local R2 S3 endpoint
// (path-style, region "auto").
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { S3Settings } from "../config";
import { CliError, EXIT } from "../errors";

/** An object under an input prefix. */
export interface InputObject {
  key: string;
  size: number;
  etag: string;
}

/** A client for an S3 endpoint (path-style when the endpoint is given: R2 and wrangler's local endpoint need it). */
export function s3Client(settings: S3Settings): S3Client {
  return new S3Client({
    ...(settings.endpoint ? { endpoint: settings.endpoint, forcePathStyle: true } : {}),
    region: settings.region,
    ...(settings.accessKeyId && settings.secretAccessKey ? { credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey } } : {}),
    maxAttempts: 4,
  });
}

/** Storage failures as CliErrors: credentials → 5, missing → 4, the rest → 7. Never includes secrets. */
export function storageError(what: string, error: unknown): CliError {
  // The SDK's service errors carry the HTTP status in $metadata; network errors do not.
  const failure = (typeof error === "object" && error !== null ? error : {}) as { $metadata?: { httpStatusCode?: number }; name?: string; message?: string };
  const status = failure.$metadata?.httpStatusCode;
  const code = status === 401 || status === 403 ? EXIT.AUTH : status === 404 ? EXIT.NOT_FOUND : EXIT.UNAVAILABLE;
  return new CliError(code, `${what} failed: ${failure.name ?? "error"}${status ? ` (${status})` : ""}${failure.message ? `: ${failure.message}` : ""}`);
}

/** Objects under s3://bucket/prefix, sorted by key. */
export async function listInputObjects(client: S3Client, bucket: string, prefix: string): Promise<InputObject[]> {
  const objects: InputObject[] = [];
  let token: string | undefined;
  try {
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
      for (const o of page.Contents ?? []) if (o.Key !== undefined && !o.Key.endsWith("/")) objects.push({ key: o.Key, size: o.Size ?? 0, etag: (o.ETag ?? "").replaceAll('"', "") });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  } catch (error) {
    throw storageError(`listing s3://${bucket}/${prefix}`, error);
  }
  return objects.sort((a, b) => (a.key < b.key ? -1 : 1));
}

/** An object's bytes, whole. */
export async function getObjectBytes(client: S3Client, bucket: string, key: string): Promise<Uint8Array> {
  try {
    const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (!out.Body) throw new Error("the answer has no body");
    return await out.Body.transformToByteArray();
  } catch (error) {
    throw storageError(`reading s3://${bucket}/${key}`, error);
  }
}

/** Writes a Parquet file to the bucket. */
export async function putObjectBytes(client: S3Client, bucket: string, key: string, bytes: Uint8Array): Promise<void> {
  try {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes, ContentType: "application/vnd.apache.parquet" }));
  } catch (error) {
    throw storageError(`writing s3://${bucket}/${key}`, error);
  }
}
