// The native API (/v1) through the TypeScript client
// (clients/typescript): it sends the bearer credential, retries and types
// the errors; this module turns its errors into CliErrors whose exit code
// follows the status, with the messages the CLI has always printed.
//
// Retries are the client's policy (429 and 503 always; network errors,
// timeouts, 502 and 504 for idempotent calls) with the CLI's short budget:
// two retries, a quarter second apart on average, so a command against a
// stopped service fails within a second.
import { ConnectionError, FeatureStoreClient, FeatureStoreError, RequestTimeoutError, type SendOptions } from "../../clients/typescript/src";
import { CliError, codeOf, EXIT, exitCodeOfStatus, messageOf } from "./errors";

const RETRIES = 2;
const BACKOFF_MS = 250;

export type RequestOptions = Pick<SendOptions, "json" | "body" | "contentType" | "idempotent">;

export class Api {
  readonly endpoint: string;
  /** The typed client; call it through `call` so its errors become CliErrors. */
  readonly client: FeatureStoreClient;

  constructor(config: { endpoint: string; accessKeyId: string; secretAccessKey: string }) {
    this.client = new FeatureStoreClient({ ...config, maxRetries: RETRIES, backoffMs: BACKOFF_MS });
    this.endpoint = this.client.endpoint;
  }

  /** A client call whose failure is a CliError (exit code by status; 7 when the service cannot be reached). */
  async call<T>(run: (client: FeatureStoreClient) => Promise<T>): Promise<T> {
    try {
      return await run(this.client);
    } catch (error) {
      throw cliErrorOf(error, this.endpoint);
    }
  }

  /**
   * The parsed JSON answer (null for an empty one). T is the shape the API
   * documents for the route (docs/api.md): the API is this project's own, so
   * its answers are taken as declared rather than parsed a second time here.
   * @param path below /v1
   */
  request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    return this.call((client) => client.request<T>(method, path, options));
  }

  /** The successful Response itself, its body unread (a dataset streamed to a file). */
  response(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    return this.call((client) => client.send(method, path, options));
  }
}

/** A CliError naming the call, the status, and the API's code and message; anything else unchanged. */
function cliErrorOf(error: unknown, endpoint: string): unknown {
  if (error instanceof ConnectionError || error instanceof RequestTimeoutError) {
    const cause = error.cause;
    const reason = error instanceof RequestTimeoutError ? "no answer in time" : (codeOf(cause instanceof Error ? cause.cause : undefined) ?? messageOf(cause));
    return new CliError(EXIT.UNAVAILABLE, `cannot reach ${endpoint} (${reason}); is the service running? (FS_ENDPOINT)`);
  }
  if (!(error instanceof FeatureStoreError) || error.status === undefined) return error;
  const answered = typeof error.body === "object" && error.body !== null && "error" in error.body;
  const detail = answered ? `${error.code}: ${error.message}` : (error.responseText ?? "");
  const cliError = new CliError(exitCodeOfStatus(error.status), `${error.method} ${error.path} failed with ${error.status} ${detail}`);
  cliError.body = error.body;
  return cliError;
}

/** Path segment encoding for names and ids. */
export const seg = (value: string): string => encodeURIComponent(value);
