import type { GraphQLFormattedError } from 'graphql';

/**
 * Every code a thrown {@link SixtypeError} can carry. All but the last three are the server's
 * `extensions.code` values (a public contract); the last three are raised by the client itself.
 */
export const SIXTYPE_ERROR_CODES = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'CONFLICT',
  'INVALID_TRANSITION',
  'QUERY_TOO_COMPLEX',
  'RATE_LIMITED',
  /** The API cannot reach its database (HTTP 503 with Retry-After; retried like a gateway's 503). */
  'DATABASE_UNAVAILABLE',
  /** Every database connection was busy for the pool's wait (HTTP 503 with Retry-After; retried). */
  'DATABASE_BUSY',
  /** The statement ran past the server's statement timeout; narrow the request rather than retry it. */
  'QUERY_TIMEOUT',
  /** The server stopped the work because the request was cancelled (the client went away). */
  'REQUEST_CANCELLED',
  'INTERNAL_SERVER_ERROR',
  /** The HTTP request itself was refused: not JSON, over 1 MB, a batch, a GET without the CSRF header. */
  'BAD_REQUEST',
  /** The server's manifest has no operation with the hash sent (a server older than this SDK). */
  'PERSISTED_QUERY_NOT_FOUND',
  /** This caller (an API key) may run only persisted operations; the client then resends by hash. */
  'PERSISTED_QUERY_ONLY',
  /** The request never got a response: DNS, refused connection, reset, TLS. */
  'NETWORK_ERROR',
  /** A response that is not a GraphQL response (a proxy's 502 page, an empty 500). */
  'HTTP_ERROR',
  /** No response within the client's `timeoutMs` (a caller's own AbortSignal rejects with its reason instead). */
  'TIMEOUT',
] as const;

export type SixtypeErrorCode = (typeof SIXTYPE_ERROR_CODES)[number];

export interface SixtypeErrorDetails {
  /** The GraphQL `errors` of the response; empty when there was no GraphQL response. */
  errors?: readonly GraphQLFormattedError[];
  /** HTTP status; undefined when no response arrived. */
  status?: number;
  /** Whatever `data` the server returned next to the errors (partial results), else undefined. */
  data?: unknown;
  cause?: unknown;
}

/**
 * A failed request. Expected mutation failures (ValidationError, NotFoundError, ConflictError, …)
 * are not thrown: they come back as data and the caller switches on `__typename`.
 */
export class SixtypeError extends Error {
  override readonly name = 'SixtypeError';
  readonly code: SixtypeErrorCode;
  readonly errors: readonly GraphQLFormattedError[];
  readonly status: number | undefined;
  readonly data: unknown;

  constructor(code: SixtypeErrorCode, message: string, details: SixtypeErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.errors = details.errors ?? [];
    this.status = details.status;
    this.data = details.data;
  }
}

const knownCodes: ReadonlySet<unknown> = new Set(SIXTYPE_ERROR_CODES);

/** HTTP statuses a gateway answers with when the API behind it is down or restarting. */
const GATEWAY_STATUSES: ReadonlySet<number | undefined> = new Set([502, 503, 504]);

/**
 * Whether trying the same request again may succeed: no response (NETWORK_ERROR, TIMEOUT), or a
 * gateway's 502/503/504. Whether it is *safe* to try again is the operation's business: the client
 * retries queries, and mutations only when they carry an idempotency key.
 */
export function isTransientError(error: unknown): error is SixtypeError {
  if (!(error instanceof SixtypeError)) return false;
  return error.code === 'NETWORK_ERROR' || error.code === 'TIMEOUT' || GATEWAY_STATUSES.has(error.status);
}

export function isSixtypeErrorCode(value: unknown): value is SixtypeErrorCode {
  return knownCodes.has(value);
}

/**
 * The code of a GraphQL error response: the first error's `extensions.code`. Codes outside the
 * contract (a gateway's, graphql-js' GRAPHQL_VALIDATION_FAILED) become INTERNAL_SERVER_ERROR; the
 * original stays readable in `errors`.
 */
export function codeOfGraphQLErrors(errors: readonly GraphQLFormattedError[]): SixtypeErrorCode {
  const code = errors[0]?.extensions?.code;
  return isSixtypeErrorCode(code) ? code : 'INTERNAL_SERVER_ERROR';
}
