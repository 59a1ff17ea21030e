import { type DatabaseFault, type DatabaseHandle, databaseFaultOf, lsnValue, withQuerySignal } from '@sixtype/db';
import type { GraphQLContext } from '@sixtype/graphql';
import { GraphQLError, getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { httpStatusOf, markLogged } from './errors.ts';
import type { Logger } from './logger.ts';
import { callerOf, latestAsOf, RecentWrites } from './read-your-writes.ts';

/** What a client is told when the database, not its request, is the problem (the status: httpStatusOf). */
const faultAnswers: Record<DatabaseFault, { code: string; message: string }> = {
  // 503: the SDK (and any gateway-aware client) retries queries and idempotent mutations.
  UNAVAILABLE: { code: 'DATABASE_UNAVAILABLE', message: 'The database is unavailable; try again shortly.' },
  BUSY: { code: 'DATABASE_BUSY', message: 'The server is busy; try again shortly.' },
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

/** A database fault as the API answers it: the code, the message, the code's HTTP status. */
export interface DatabaseFaultAnswer {
  status: number;
  code: string;
  message: string;
  /** Retry-After on a 503. */
  headers: Record<string, string>;
}

/**
 * What the API answers for an error the database caused (the error under a GraphQLError
 * included; logged here, with `where` it happened: a response path, a route), or undefined for any
 * other error. /graphql (withDatabaseErrors), the bulk upload and the report downloads all answer
 * through it: a pool with no free connection is DATABASE_BUSY (503, Retry-After), not an
 * unexpected error. The driver's own message never reaches the client.
 */
export function databaseFaultAnswer(
  error: unknown,
  logger: Logger,
  where: { path: unknown },
): DatabaseFaultAnswer | undefined {
  const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
  const fault = databaseFaultOf(original);
  if (fault === undefined) return undefined;
  const { code, message } = faultAnswers[fault];
  logger.warn({ err: original, ...where, code }, 'database fault');
  const status = httpStatusOf(code);
  return { status, code, message, headers: status === 503 ? { 'retry-after': '1' } : {} };
}

/**
 * Wraps the error masker: a database that is away, a pool with no free connection, a statement
 * stopped by statement_timeout or by a client that left each become a coded error
 * (databaseFaultAnswer). Everything else goes to `maskError`.
 */
export function withDatabaseErrors(maskError: MaskError, logger: Logger): MaskError {
  return (error, message, isDev) => {
    const path = error instanceof GraphQLError ? error.path : undefined;
    const answer = databaseFaultAnswer(error, logger, { path });
    if (!answer) return maskError(error, message, isDev);
    markLogged(error);
    return new GraphQLError(answer.message, {
      path,
      extensions: {
        code: answer.code,
        // Only a 503 sets the answer's status; a timeout stays an error in a GraphQL answer.
        ...(answer.status === 503 ? { http: { status: answer.status, headers: answer.headers } } : {}),
      },
    });
  };
}

/** A caller may send back the position a mutation's answer named, so that any API process honours it. */
export const READ_AFTER_HEADER = 'x-sixtype-read-after';
/** Set on a mutation's answer when replicas are configured: the primary's WAL position after it. */
export const WRITE_LSN_HEADER = 'x-sixtype-write-lsn';
const LSN = /^[0-9A-F]{1,8}\/[0-9A-F]{1,8}$/i;

/**
 * Per operation: queries read through `database.readsFor` (a replica when DATABASE_REPLICA_URLS is
 * set), mutations keep the primary for their reads too, so a payload shows the row just written
 * (the credential check, before this, also reads the primary: a new session is there at once).
 *
 * Read-your-writes: after a caller's mutation the primary's WAL position is remembered for that
 * caller (RecentWrites) and sent back in `x-sixtype-write-lsn`; the caller's next queries go to a
 * replica only once it has replayed that position (or the one the request names in
 * `x-sixtype-read-after`), otherwise to the primary. A query with `asOf` goes to a replica that
 * has replayed every commit up to that instant. Every statement runs under the request's abort
 * signal, so a client that disconnects cancels its statements in PostgreSQL rather than leaving them to run.
 */
export function useDatabaseRouting(
  database: DatabaseHandle,
  recentWrites: RecentWrites = new RecentWrites(),
): Plugin<GraphQLContext> {
  const writeLsns = new WeakMap<Request, string>();
  const followsWrites = database.replicaStates().length > 0;
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const context = args.contextValue as GraphQLContext & { request?: Request };
      const operation = getOperationAST(args.document, args.operationName)?.operation;
      const caller = followsWrites ? callerOf(context.viewer) : undefined;
      if (operation === 'query') {
        const named = context.request?.headers.get(READ_AFTER_HEADER)?.trim();
        const remembered = caller ? recentWrites.lsnOf(caller) : undefined;
        const lsn = [remembered, named && LSN.test(named) ? named : undefined]
          .filter((value): value is string => value !== undefined)
          .sort((a, b) => (lsnValue(a) < lsnValue(b) ? 1 : -1))[0];
        const asOf = followsWrites ? latestAsOf(args.document, args.variableValues ?? undefined) : undefined;
        context.db = database.readsFor({ lsn, asOf });
      }
      const signal = context.request?.signal;
      setExecuteFn(async (executeArgs) => {
        const result = await withQuerySignal(signal, () => executeFn(executeArgs));
        if (operation === 'mutation' && followsWrites) {
          // After the mutation committed: the position its reads-to-come need. Without it (the
          // primary is away) the caller is left as it was; its mutation failed as well.
          const lsn = await database.writeLsn().catch(() => null);
          if (lsn) {
            if (caller) recentWrites.record(caller, lsn);
            if (context.request) writeLsns.set(context.request, lsn);
          }
        }
        return result;
      });
    },
    onResponse({ request, response }) {
      const lsn = writeLsns.get(request);
      if (lsn) response.headers.set(WRITE_LSN_HEADER, lsn);
    },
  };
}
