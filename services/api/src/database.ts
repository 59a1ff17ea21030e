import { type DatabaseFault, type DatabaseHandle, databaseFaultOf, withQuerySignal } from '@sixtype/db';
import type { GraphQLContext } from '@sixtype/graphql';
import { GraphQLError, getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from './logger.ts';

/** What a client is told when the database, not its request, is the problem. */
const faultAnswers: Record<DatabaseFault, { code: string; message: string; status?: number }> = {
  // 503: the SDK (and any gateway-aware client) retries queries and idempotent mutations.
  UNAVAILABLE: {
    code: 'DATABASE_UNAVAILABLE',
    message: 'The database is unavailable; try again shortly.',
    status: 503,
  },
  BUSY: { code: 'DATABASE_BUSY', message: 'The server is busy; try again shortly.', status: 503 },
  // Not 503: repeating a query that ran out of time would only spend another statement_timeout.
  TIMEOUT: { code: 'QUERY_TIMEOUT', message: 'The query took too long and was stopped.' },
  CANCELLED: { code: 'REQUEST_CANCELLED', message: 'The request was cancelled.' },
};

type MaskError = (error: unknown, message: string, isDev?: boolean) => Error;

/** The code a client receives for an error the database caused, or undefined for any other error. */
export function databaseErrorCode(error: unknown): string | undefined {
  const fault = databaseFaultOf(error);
  return fault === undefined ? undefined : faultAnswers[fault].code;
}

/**
 * Wraps the error masker: a database that is away, a pool with no free connection, a statement
 * stopped by statement_timeout or by a client that left each become a coded error (the driver's
 * own message never reaches the client; it is logged here). Everything else goes to `maskError`.
 */
export function withDatabaseErrors(maskError: MaskError, logger: Logger): MaskError {
  return (error, message, isDev) => {
    const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
    const fault = databaseFaultOf(original);
    if (fault === undefined) return maskError(error, message, isDev);
    const answer = faultAnswers[fault];
    const path = error instanceof GraphQLError ? error.path : undefined;
    logger.warn({ err: original, path, code: answer.code }, 'database fault');
    return new GraphQLError(answer.message, {
      path,
      extensions: {
        code: answer.code,
        ...(answer.status ? { http: { status: answer.status, headers: { 'retry-after': '1' } } } : {}),
      },
    });
  };
}

/**
 * Per operation: queries read through `database.reads` (a replica when DATABASE_REPLICA_URLS is
 * set); mutations keep the primary for their reads too, so a payload shows the row just written
 * (the credential check, before this, also reads the primary: a new session is there at once); and
 * every statement runs under the request's abort signal, so a client that disconnects cancels its
 * statements in PostgreSQL rather than leaving them to run.
 */
export function useDatabaseRouting(database: DatabaseHandle): Plugin<GraphQLContext> {
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const operation = getOperationAST(args.document, args.operationName)?.operation;
      if (operation === 'query') args.contextValue.db = database.reads;
      const signal = (args.contextValue as { request?: Request }).request?.signal;
      setExecuteFn((executeArgs) => withQuerySignal(signal, () => executeFn(executeArgs)));
    },
  };
}
