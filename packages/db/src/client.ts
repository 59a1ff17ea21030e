import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
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
import pg from 'pg';
import { lockDataFolder } from './lock.ts';
import { maintainMetricPartitions } from './partitions.ts';
import { type PoolStats, RequestAwarePool, type RequestAwarePoolOptions } from './pool.ts';
import { type Relations, relations } from './relations.ts';
import { type ReadNeeds, ReplicaMonitor, type ReplicaState } from './replicas.ts';

export type Database = PgAsyncDatabase<PgQueryResultHKT, Relations>;
export type Transaction = PgAsyncTransaction<PgQueryResultHKT, Relations>;
/** Anything that runs queries: the database itself or an open transaction. */
export type Executor = Database | Transaction;

/** The package's migrations, found through the package (so also from a bundle of the API, services/api/scripts/bundle.mjs). */
export const migrationsFolder = join(
  dirname(createRequire(import.meta.url).resolve('@sixtype/db')),
  '..',
  'migrations',
);

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
  /** How often each replica's health and replay position are checked (default 500 ms). */
  replicaCheckIntervalMs?: number | undefined;
  /** PgBouncer (or another pooler) in transaction mode in front of PostgreSQL: see RequestAwarePoolOptions. */
  transactionPooler?: boolean | undefined;
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
  /**
   * Reads that need a replica to have replayed a given WAL position (the caller's own last write)
   * or every commit up to an `asOf` instant: a replica that is up and has, else the primary.
   */
  readsFor(needs: ReadNeeds): Database;
  /** The primary's WAL insert position now (after a write has committed), or null without replicas. */
  writeLsn(): Promise<string | null>;
  /** The pools that serve reads without needs now: the replicas that are up, or `primary`. */
  readers(): string[];
  /** Each replica as its last health check saw it (empty without replicas). */
  replicaStates(): ReplicaState[];
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
    const open = (url: string, name: string, fallback?: RequestAwarePoolOptions['fallback']) => {
      const pool = new RequestAwarePool({
        url,
        name,
        max,
        timeoutMs: options.poolTimeoutMs ?? 5_000,
        statementTimeoutMs: statementTimeout,
        transactionPooler: options.transactionPooler,
        fallback,
      });
      const db: Database = drizzlePostgres({ client: pool as unknown as pg.Pool, relations, logger });
      return { name, pool, db };
    };
    const primary = open(options.databaseUrl, 'primary');
    let monitor: ReplicaMonitor | undefined;
    const replicas = (options.replicaUrls ?? []).map((url, index) => {
      const name = `replica${index + 1}`;
      return open(url, name, {
        pool: primary.pool,
        onUnavailable: () => monitor?.markDown(name),
      });
    });
    monitor =
      replicas.length > 0
        ? new ReplicaMonitor(primary.pool, replicas, options.replicaCheckIntervalMs ?? 500)
        : undefined;
    await monitor?.check();
    // Per replica: its selects, relational queries and `execute` there, writes and transactions on
    // the primary. withReplicas sends `execute` to the primary, since raw SQL may write; through a
    // read handle it is a read (the hand-written metrics and study SQL), so it goes to the replica.
    const routedTo = new Map(
      replicas.map(({ name, db }) => {
        const routed = withReplicas(primary.db, [db], () => db);
        routed.execute = ((...args: Parameters<Database['execute']>) => db.execute(...args)) as Database['execute'];
        return [name, routed as Database] as const;
      }),
    );
    const pick = (names: string[]) => names[Math.floor(Math.random() * names.length)];
    const readsFor = (needs: ReadNeeds): Database => {
      const name = monitor ? pick(monitor.eligible(needs)) : undefined;
      return (name && routedTo.get(name)) || primary.db;
    };
    // `reads` chooses per statement, as before, among the replicas that are up.
    const reads: Database = monitor
      ? (withReplicas(primary.db, [primary.db], () => readsFor({})) as Database)
      : primary.db;
    if (monitor) {
      reads.execute = ((...args: Parameters<Database['execute']>) =>
        readsFor({}).execute(...args)) as Database['execute'];
    }
    return {
      db: primary.db,
      reads,
      readsFor,
      async writeLsn() {
        if (!monitor) return null;
        const [row] = await primary.pool.probe<{ lsn: string }>('select pg_current_wal_insert_lsn()::text as lsn');
        return row?.lsn ?? null;
      },
      readers: () => {
        const names = monitor?.eligible({}) ?? [];
        return names.length > 0 ? names : ['primary'];
      },
      replicaStates: () => monitor?.states() ?? [],
      kind: 'postgres',
      poolStats: () => [primary, ...replicas].map(({ pool }) => pool.stats()),
      async migrate() {
        // A transaction on a connection of its own holds the advisory lock while another connection
        // migrates, so two API processes starting together apply each migration once. A transaction
        // lock rather than a session lock: through a pooler in transaction mode a session lock would
        // stay on whichever server connection took it, and the unlock would land on another.
        const connect = async () => {
          const client = new pg.Client({ connectionString: options.databaseUrl });
          client.on('error', () => {});
          await client.connect();
          return client;
        };
        const lockClient = await connect();
        try {
          await lockClient.query('begin');
          await lockClient.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
          const migrateClient = await connect();
          try {
            const migrating = drizzlePostgres({ client: migrateClient, relations });
            await migratePostgres(migrating, { migrationsFolder });
            await maintainMetricPartitions(migrating);
          } finally {
            await migrateClient.end();
          }
          await lockClient.query('commit');
        } finally {
          await lockClient.end();
        }
      },
      async ping() {
        await primary.db.execute(sql`select 1`);
      },
      async close() {
        monitor?.stop();
        await Promise.all([primary, ...replicas].map(({ pool }) => pool.end()));
      },
    };
  }

  // Loaded only here: on PostgreSQL the embedded database's modules would cost every API process
  // some 40 MB of memory it never uses.
  const [{ PGlite }, { ltree }, { pg_trgm }, { drizzle: drizzlePglite }, { migrate: migratePglite }] =
    await Promise.all([
      import('@electric-sql/pglite'),
      import('@electric-sql/pglite/contrib/ltree'),
      import('@electric-sql/pglite/contrib/pg_trgm'),
      import('drizzle-orm/pglite'),
      import('drizzle-orm/pglite/migrator'),
    ]);
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
    readsFor: () => db,
    writeLsn: async () => null,
    readers: () => ['primary'],
    replicaStates: () => [],
    kind: 'pglite',
    poolStats: () => [],
    async migrate() {
      await migratePglite(db, { migrationsFolder });
      await maintainMetricPartitions(db);
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
