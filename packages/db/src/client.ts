import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { ltree } from '@electric-sql/pglite/contrib/ltree';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { sql } from 'drizzle-orm';
import type { Logger } from 'drizzle-orm/logger';
import type { PgAsyncDatabase, PgAsyncTransaction, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { lockDataFolder } from './lock.ts';
import { type Relations, relations } from './relations.ts';

export type Database = PgAsyncDatabase<PgQueryResultHKT, Relations>;
export type Transaction = PgAsyncTransaction<PgQueryResultHKT, Relations>;
/** Anything that runs queries: the database itself or an open transaction. */
export type Executor = Database | Transaction;

export const migrationsFolder = fileURLToPath(new URL('../migrations', import.meta.url));

export interface CreateDbOptions {
  /** PostgreSQL connection string; when absent the embedded PGlite is used. */
  databaseUrl?: string | undefined;
  /** PGlite's data folder; `undefined` keeps the database in memory. */
  dataDir?: string | undefined;
  /** Sees every statement drizzle sends (used by tests to count SQL statements per request). */
  logger?: Logger | undefined;
  /** postgres.js pool size. */
  maxConnections?: number | undefined;
  /** Milliseconds after which PostgreSQL cancels a statement. */
  statementTimeoutMs?: number | undefined;
}

export interface DatabaseHandle {
  readonly db: Database;
  readonly kind: 'pglite' | 'postgres';
  /** Applies the committed migrations; safe to call from several processes at once. */
  migrate(): Promise<void>;
  /** Throws when the database cannot answer a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

// Any constant works; it only has to be the same in every process that migrates this database.
const MIGRATION_LOCK_KEY = 7_240_512;

export async function createDb(options: CreateDbOptions = {}): Promise<DatabaseHandle> {
  const logger = options.logger ?? false;
  if (options.databaseUrl) {
    const statementTimeout = options.statementTimeoutMs ?? 30_000;
    const client = postgres(options.databaseUrl, {
      max: options.maxConnections ?? 10,
      onnotice: () => {},
      connection: { statement_timeout: statementTimeout, application_name: 'sixtype' },
    });
    const db = drizzlePostgres({ client, relations, logger });
    return {
      db,
      kind: 'postgres',
      async migrate() {
        // A dedicated connection holds the advisory lock for the whole run, so two API processes
        // starting together apply each migration once.
        const lockClient = postgres(options.databaseUrl as string, { max: 1, onnotice: () => {} });
        try {
          await lockClient`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
          await migratePostgres(drizzlePostgres({ client: lockClient, relations }), { migrationsFolder });
        } finally {
          await lockClient`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.catch(() => {});
          await lockClient.end();
        }
      },
      async ping() {
        await db.execute(sql`select 1`);
      },
      async close() {
        await client.end({ timeout: 5 });
      },
    };
  }

  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  // PGlite's folder is one process's: two writers corrupt it, so whoever opens it holds a lock file.
  const lock = options.dataDir ? await lockDataFolder(options.dataDir) : undefined;
  const client = await PGlite.create({
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    extensions: { ltree, pg_trgm },
  }).catch((error: unknown) => {
    lock?.release();
    throw error;
  });
  const db = drizzlePglite({ client, relations, logger });
  return {
    db,
    kind: 'pglite',
    async migrate() {
      await migratePglite(db, { migrationsFolder });
    },
    async ping() {
      await db.execute(sql`select 1`);
    },
    async close() {
      if (!client.closed) await client.close();
      lock?.release();
    },
  };
}
