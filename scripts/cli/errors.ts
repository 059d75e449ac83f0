// Exit codes of the CLI (documented in docs/cli.md) and the one error type
// that carries them. Anything else thrown is a bug: exit 1.

export const EXIT = Object.freeze({
  OK: 0,
  /** An unexpected error (a bug): the message and stack go to stderr. */
  INTERNAL: 1,
  /** Unknown command or option, missing argument, unreadable option file. */
  USAGE: 2,
  /** The API refused the request (4xx other than 401/403/404). */
  REJECTED: 3,
  /** The feature group, record, job or key does not exist (404). */
  NOT_FOUND: 4,
  /** Missing or wrong credentials, or not allowed (401/403). */
  AUTH: 5,
  /** Input rows failed validation; nothing was written for the rejected file(s). */
  INVALID_DATA: 6,
  /** The service or storage could not be reached, or answered 5xx/429 after retries. */
  UNAVAILABLE: 7,
  /** A parity audit (fs audit) finished and found differences between the online and offline stores. */
  DIFFERENCES: 8,
  /** Stopped before finishing (FS_CLI_STOP_AFTER_CHUNKS, or SIGINT/SIGTERM); re-running resumes. */
  INTERRUPTED: 75,
});

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class CliError extends Error {
  /** The API's parsed error body, when the error is an API answer. */
  body: unknown = null;

  constructor(
    readonly exitCode: ExitCode,
    message: string,
  ) {
    super(message);
  }
}

/** A usage error (exit 2). */
export const usage = (message: string): CliError => new CliError(EXIT.USAGE, message);

/** Exit code for an HTTP status of the API. */
export function exitCodeOfStatus(status: number): ExitCode {
  if (status === 401 || status === 403) return EXIT.AUTH;
  if (status === 404) return EXIT.NOT_FOUND;
  if (status === 429 || status >= 500) return EXIT.UNAVAILABLE;
  return EXIT.REJECTED;
}

/** The message of anything thrown (a non-Error throw is shown as text). */
export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** The `code` of a Node system error (ENOENT, ECONNREFUSED), if it has one. */
export function codeOf(error: unknown): string | undefined {
  const code = typeof error === "object" && error !== null && "code" in error ? error.code : undefined;
  return typeof code === "string" ? code : undefined;
}
