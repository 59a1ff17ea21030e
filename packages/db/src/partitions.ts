import { sql } from 'drizzle-orm';
import type { Executor } from './client.ts';

/**
 * `metric_observations` is partitioned by the year of `period_start` (migration
 * `metric_observations_partitioned`): `metric_observations_y<year>` for each year, and
 * `metric_observations_default` for a year that has no partition yet. The SQL functions that
 * make them live in that migration; this module is how the code calls them.
 */

/** The rows of `execute` (node-postgres and PGlite both answer `{ rows }`). */
const rowsOf = <T>(result: unknown) => (result as { rows: T[] }).rows;

/** A partition's indexes are named after it, so a unique violation names the partition's index. */
const REVISION_KEY = /^metric_observations(?:_y\d+|_default)?_revision_key$/;

/** Whether `constraint` is the observations' revision key, on the parent or any partition. */
export const isObservationRevisionKey = (constraint: string | undefined) =>
  constraint !== undefined && REVISION_KEY.test(constraint);

/**
 * Makes this year's and next year's partitions if missing, and a partition for each year that has
 * rows in the default one (moving them there). Idempotent; several processes may call it at once.
 * Run by every migrate and by the worker's daily `metric_partitions` job. Returns the partitions made.
 */
export async function maintainMetricPartitions(db: Executor): Promise<string[]> {
  const rows = rowsOf<{ made: string }>(await db.execute(sql`select made from metric_observations_maintain() as made`));
  return rows.map((row) => row.made);
}

/** The partition of `year`, made if missing (for a loader about to write that year's rows). */
export async function ensureMetricPartition(db: Executor, year: number): Promise<string> {
  const [row] = rowsOf<{ part: string }>(
    await db.execute(sql`select metric_observations_partition(${year}::integer) as part`),
  );
  if (!row) throw new Error(`no partition for ${year}`);
  return row.part;
}
