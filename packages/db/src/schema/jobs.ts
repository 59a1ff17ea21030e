import { sql } from 'drizzle-orm';
import { snakeCase, timestamp, varchar } from 'drizzle-orm/pg-core';

/**
 * The job engine's workers that are alive, each beating every few seconds. graphile-worker only
 * frees a dead worker's locked job after four hours; a worker that finds a beat gone stale frees
 * that worker's jobs at once, so a job whose worker was killed runs again within a minute.
 */
export const jobWorkerHeartbeats = snakeCase.table('job_worker_heartbeats', {
  workerId: varchar({ length: 100 }).primaryKey(),
  beatAt: timestamp({ withTimezone: true, mode: 'string' }).notNull().default(sql`now()`),
});
