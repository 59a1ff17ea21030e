import { ERROR_CODES, type ErrorCode, PothosValidationError } from '@sixtype/graphql';
import { GraphQLError } from 'graphql';
import type { Logger } from './logger.ts';

/**
 * The codes the API answers with besides the schema's own (`ERROR_CODES`), with the HTTP status of
 * a request refused with them and who caused them: the document (yoga and graphql-js, passed
 * through the masker like the schema's codes), the request (limits.ts, rate-limit.ts,
 * persisted-operations.ts, yoga) or the database (database.ts). `yoga` marks yoga's own code for a
 * body past the limit, which clients never see: withRequestErrors answers it as BAD_REQUEST (413).
 */
export const API_ERROR_CODES = {
  GRAPHQL_PARSE_FAILED: { status: 400, cause: 'document' },
  GRAPHQL_VALIDATION_FAILED: { status: 400, cause: 'document' },
  BAD_REQUEST: { status: 400, cause: 'request' },
  REQUEST_ENTITY_TOO_LARGE: { status: 413, cause: 'yoga' },
  PERSISTED_QUERY_NOT_FOUND: { status: 400, cause: 'request' },
  PERSISTED_QUERY_ONLY: { status: 403, cause: 'request' },
  DATABASE_UNAVAILABLE: { status: 503, cause: 'database' },
  DATABASE_BUSY: { status: 503, cause: 'database' },
  QUERY_TIMEOUT: { status: 500, cause: 'database' },
  REQUEST_CANCELLED: { status: 500, cause: 'database' },
} as const satisfies Record<string, { status: number; cause: 'document' | 'request' | 'yoga' | 'database' }>;

export type ApiErrorCode = ErrorCode | keyof typeof API_ERROR_CODES;

const apiCodesCausedBy = (...causes: string[]) =>
  Object.entries(API_ERROR_CODES)
    .filter(([, code]) => causes.includes(code.cause))
    .map(([name]) => name);

/** Codes passed through the masker as raised: the schema's (but INTERNAL_SERVER_ERROR) and the document's. */
const clientCodes: ReadonlySet<unknown> = new Set([
  ...Object.keys(ERROR_CODES).filter((code) => code !== 'INTERNAL_SERVER_ERROR'),
  ...apiCodesCausedBy('document'),
]);

/** Refusals of the request itself, also ordinary traffic rather than faults of ours. */
const requestCodes: ReadonlySet<unknown> = new Set(apiCodesCausedBy('request', 'yoga'));

/** The HTTP status of a request refused with `code` (the routes beside /graphql answer with it). */
export function httpStatusOf(code: string): number {
  if (Object.hasOwn(ERROR_CODES, code)) return ERROR_CODES[code as ErrorCode];
  if (Object.hasOwn(API_ERROR_CODES, code)) return API_ERROR_CODES[code as keyof typeof API_ERROR_CODES].status;
  return 500;
}

/**
 * Whether yoga is reporting an error the client caused (a bad body, cursor, id, page size or
 * limit) rather than a fault of ours: those are ordinary traffic, not `error` log lines.
 */
export function isClientError(error: unknown): boolean {
  if (error instanceof PothosValidationError) return true;
  if (!(error instanceof GraphQLError)) return false;
  if (error.originalError instanceof PothosValidationError) return true;
  const code = error.extensions?.code;
  if (typeof code === 'string' && (clientCodes.has(code) || requestCodes.has(code))) return true;
  const status = (error.extensions?.http as { status?: number } | undefined)?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/**
 * Errors a masker has already logged in full (as `unexpected error` or `database fault`). yoga logs
 * every error whose masking changed it, again at `error`: server.ts drops those repeats, so a client
 * that went away or a database that restarted is one line at its own level, not a second at `error`.
 */
const loggedByMasker = new WeakSet<object>();

export function markLogged(error: unknown): void {
  if (typeof error === 'object' && error !== null) loggedByMasker.add(error);
}

export function wasLogged(error: unknown): boolean {
  return typeof error === 'object' && error !== null && loggedByMasker.has(error);
}

/**
 * Errors we raised on purpose keep their message and code; invalid cursors and ids from Pothos
 * become BAD_USER_INPUT; anything else is logged in full and reaches the client only as
 * INTERNAL_SERVER_ERROR with the request id to quote.
 */
export function createErrorMasker(logger: Logger) {
  return (error: unknown, message: string): Error => {
    const original = error instanceof GraphQLError && error.originalError ? error.originalError : error;
    if (error instanceof GraphQLError) {
      const code = error.extensions?.code;
      if (typeof code === 'string' && clientCodes.has(code)) return error;
      if (original instanceof PothosValidationError) {
        return new GraphQLError(original.message, {
          nodes: error.nodes,
          path: error.path,
          extensions: { code: 'BAD_USER_INPUT' },
        });
      }
      if (!error.originalError && !error.path) {
        // Parse and validation errors of the document itself.
        return new GraphQLError(error.message, {
          nodes: error.nodes,
          extensions: { ...error.extensions, code: 'GRAPHQL_VALIDATION_FAILED' },
        });
      }
    }
    logger.error({ err: original, path: error instanceof GraphQLError ? error.path : undefined }, 'unexpected error');
    markLogged(error);
    return new GraphQLError(message, {
      path: error instanceof GraphQLError ? error.path : undefined,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  };
}
