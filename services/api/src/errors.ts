import { PothosValidationError } from '@sixtype/graphql';
import { GraphQLError } from 'graphql';
import type { Logger } from './logger.ts';

const clientCodes = new Set([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'CONFLICT',
  'INVALID_TRANSITION',
  'QUERY_TOO_COMPLEX',
  'RATE_LIMITED',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
]);

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

// Refusals of the request itself (limits.ts, rate-limit.ts, persisted-operations.ts, yoga).
const requestCodes = new Set([
  'BAD_REQUEST',
  'REQUEST_ENTITY_TOO_LARGE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_ONLY',
]);

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
    return new GraphQLError(message, {
      path: error instanceof GraphQLError ? error.path : undefined,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  };
}
