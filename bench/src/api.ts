import { createApp } from '@sixtype/api';
import { createDb, type DatabaseHandle } from '@sixtype/db';
import { createUser, loadTokenSecret, login, SYSTEM_ACCESS } from '@sixtype/graphql';
import { pino } from 'pino';

import { BENCH_API_LOG_LEVEL } from './env.ts';

export { BENCH_ADMIN } from './sizes.ts';

import { BENCH_ADMIN } from './sizes.ts';

export interface LoggedStatement {
  query: string;
  params: unknown[];
}

export interface BenchApi {
  app: ReturnType<typeof createApp>;
  database: DatabaseHandle;
  /** Every statement drizzle sent, in order; callers empty it between requests. */
  statements: LoggedStatement[];
  /** An admin's Bearer token: admins may send documents (API keys may send persisted hashes only). */
  token: string;
  close(): Promise<void>;
}

/**
 * The real application (createApp) over the benchmark database, with drizzle's logger recording
 * each statement, and an admin signed in. Rate limits are lifted: the load generator is one caller.
 */
export async function openBenchApi(databaseUrl: string, maxConnections = 10): Promise<BenchApi> {
  const statements: LoggedStatement[] = [];
  const logger = { logQuery: (query: string, params: unknown[]) => statements.push({ query, params }) };
  // `pglite:<folder>` opens the embedded database (see pglite.ts) instead of a PostgreSQL server.
  const database = await createDb(
    databaseUrl.startsWith('pglite:')
      ? { dataDir: databaseUrl.slice('pglite:'.length), logger }
      : { databaseUrl, maxConnections, logger },
  );
  const tokenSecret = await loadTokenSecret(database.db);
  await createUser(database.db, SYSTEM_ACCESS.actor, { ...BENCH_ADMIN, role: 'ADMIN' }).catch(() => undefined);
  const { token } = await login(database.db, tokenSecret, BENCH_ADMIN);
  const app = createApp({
    database,
    logger: pino({ level: BENCH_API_LOG_LEVEL }, pino.destination(2)),
    env: { NODE_ENV: 'production', RATE_LIMIT_PER_MINUTE: 100_000_000, RATE_LIMIT_ANONYMOUS_PER_MINUTE: 100_000_000 },
    tokenSecret,
  });
  statements.length = 0;
  return {
    app,
    database,
    statements,
    token,
    async close() {
      await app.dispose();
      await database.close();
    },
  };
}
