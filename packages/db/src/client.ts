import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { ltree } from '@electric-sql/pglite/contrib/ltree';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { sql } from 'drizzle-orm';
import type { Logger } from 'drizzle-orm/logger';
import { drizzle as drizzlePostgres } from 'drizzle-orm/node-postgres';
import { migrate as migratePostgres } from 'drizzle-orm/node-postgres/migrator';
import {
  type PgAsyncDatabase,
  type PgAsyncTransaction,
  type PgQueryResultHKT,
  withReplicas,
} from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import { lockDataFolder } from './lock.ts';
import { type PoolStats, RequestAwarePool } from './pool.ts';
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
  /** node-postgres pool size. */
  maxConnections?: number | undefined;
  /** Milliseconds after which PostgreSQL cancels a statement. */
  statementTimeoutMs?: number | undefined;
  /** Milliseconds a statement waits for a free pooled connection before failing (PoolTimeoutError). */
  poolTimeoutMs?: number | undefined;
  /**
   * Read replicas (PostgreSQL only): `reads` sends selects, relational queries and `execute` to one
   * of them at random, and writes and transactions to the primary (drizzle's `withReplicas`).
   */
  replicaUrls?: readonly string[] | undefined;
}

export interface DatabaseHandle {
  /** The primary: writes, transactions, and reads that must see the latest commit (sign-in). */
  readonly db: Database;
  /**
   * For reads that may lag the primary a little: with replicas, selects, relational queries and raw
   * `execute` go to one of them, inserts, updates, deletes and transactions to the primary
   * (drizzle's `withReplicas`); without replicas, the same as `db`.
   */
  readonly reads: Database;
  readonly kind: 'pglite' | 'postgres';
  /** Applies the committed migrations; safe to call from several processes at once. */
  migrate(): Promise<void>;
  /** Throws when the database cannot answer a trivial query. */
  ping(): Promise<void>;
  /** Connections of each node-postgres pool (empty on PGlite). */
  poolStats(): PoolStats[];
  close(): Promise<void>;
}

// Any constant works; it only has to be the same in every process that migrates this database.
const MIGRATION_LOCK_KEY = 7_240_512;

export async function createDb(options: CreateDbOptions = {}): Promise<DatabaseHandle> {
  const logger = options.logger ?? false;
  if (options.databaseUrl) {
    const statementTimeout = options.statementTimeoutMs ?? 30_000;
    const max = options.maxConnections ?? 10;
    // node-postgres rather than postgres.js: its pool has an acquire timeout and counters, and it
    // survives a server restart mid-transaction, where postgres.js 3.4.9 writes the rollback to
    // the closed socket from a timer and crashes the process (porsager/postgres#1154, #1208).
    const open = (url: string, name: string) => {
      const pool = new RequestAwarePool({
        url,
        name,
        max,
        timeoutMs: options.poolTimeoutMs ?? 5_000,
        statementTimeoutMs: statementTimeout,
      });
      const db: Database = drizzlePostgres({ client: pool as unknown as pg.Pool, relations, logger });
      return { pool, db };
    };
    const primary = open(options.databaseUrl, 'primary');
    const replicas = (options.replicaUrls ?? []).map((url, index) => open(url, `replica${index + 1}`));
    const [firstReplica, ...otherReplicas] = replicas.map((replica) => replica.db);
    let reads = primary.db;
    if (firstReplica) {
      const replicaDbs = [firstReplica, ...otherReplicas] as const;
      const pick = () => replicaDbs[Math.floor(Math.random() * replicaDbs.length)] ?? firstReplica;
      const routed = withReplicas(primary.db, [...replicaDbs], pick);
      // withReplicas sends `execute` to the primary, since raw SQL may write. Through `reads` it is
      // a read (the hand-written metrics and study SQL), so it goes to a replica as well.
      routed.execute = ((...args: Parameters<Database['execute']>) => pick().execute(...args)) as Database['execute'];
      reads = routed;
    }
    return {
      db: primary.db,
      reads,
      kind: 'postgres',
      poolStats: () => [primary, ...replicas].map(({ pool }) => pool.stats()),
      async migrate() {
        // A dedicated connection holds the advisory lock for the whole run, so two API processes
        // starting together apply each migration once.
        const lockClient = new pg.Client({ connectionString: options.databaseUrl });
        lockClient.on('error', () => {});
        await lockClient.connect();
        try {
          await lockClient.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
          await migratePostgres(drizzlePostgres({ client: lockClient, relations }), { migrationsFolder });
        } finally {
          await lockClient.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {});
          await lockClient.end();
        }
      },
      async ping() {
        await primary.db.execute(sql`select 1`);
      },
      async close() {
        await Promise.all([primary, ...replicas].map(({ pool }) => pool.end()));
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
    reads: db,
    kind: 'pglite',
    poolStats: () => [],
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
