import { configureClock, createDb, type DatabaseHandle, loadDemoData, recordTimeZone, users } from '@sixtype/db';
import { DEMO_REMINDER_DAY, loadDemoReminders } from '@sixtype/graphql';
import { sql } from 'drizzle-orm';
import type { Env } from './env.ts';
import type { Logger } from './logger.ts';

/**
 * Opens the configured database and migrates it. Every process (server, cluster primary, CLI)
 * starts here, so this is where the clock takes TIME_ZONE; the database records that zone on its
 * first start and refuses another one later. The embedded database gets the demo data on its
 * first start; a PostgreSQL database only when SEED_DEMO asks for it, so a real database never
 * receives demo rows by surprise.
 */
export async function openDatabase(env: Env, logger: Logger): Promise<DatabaseHandle> {
  configureClock({ timeZone: env.TIME_ZONE });
  const database = await createDb({
    databaseUrl: env.DATABASE_URL,
    dataDir: env.DATABASE_URL ? undefined : env.DATA_DIR,
    statementTimeoutMs: env.STATEMENT_TIMEOUT_MS,
    maxConnections: env.DATABASE_POOL_MAX,
    poolTimeoutMs: env.DATABASE_POOL_TIMEOUT_MS,
    replicaUrls: env.DATABASE_REPLICA_URLS,
    replicaCheckIntervalMs: env.DATABASE_REPLICA_CHECK_MS,
    transactionPooler: env.DATABASE_POOLER === 'pgbouncer',
  });
  logger.info(
    { database: database.kind, dataDir: database.kind === 'pglite' ? env.DATA_DIR : undefined },
    'database opened',
  );
  await database.migrate();
  try {
    await recordTimeZone(database.db);
  } catch (error) {
    await database.close();
    throw error;
  }
  if (database.kind === 'pglite' || env.SEED_DEMO) {
    const loaded = await loadDemoData(database.db);
    if (loaded) {
      logger.info('demo data loaded (the document’s units plus demo units and cadres)');
      const reminders = await loadDemoReminders(database.db);
      logger.info({ reminders }, `demo reminders created (as of ${DEMO_REMINDER_DAY})`);
    }
  }
  return database;
}

/** Tells the operator of a database with no admin yet how to create one; null once there is one. */
export async function firstAdminHint(database: DatabaseHandle): Promise<string | null> {
  const [row] = await database.db
    .select({ admins: sql<number>`count(*)`.mapWith(Number) })
    .from(users)
    .where(sql`${users.role} = 'ADMIN'`);
  if ((row?.admins ?? 0) > 0) return null;
  return (
    'No admin account yet. Create one, with this server left running: ' +
    'npm run cli -- create-admin --username NAME --password-stdin ' +
    '(then sign in from GraphiQL with the SignIn tab, or with the login mutation and Authorization: Bearer <token>)'
  );
}
